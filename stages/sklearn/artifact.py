"""Reading and writing fitted estimators: joblib/pickle, or skops with its type check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ModelLoadError

SUFFIXES = (".joblib", ".pkl", ".skops")
DEFAULT_NAME = "model.joblib"


def find(model_dir: Path) -> Path:
    """The one estimator file in `model_dir` (model.joblib is preferred when several)."""
    candidates = sorted(p for p in model_dir.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
    if not candidates:
        raise ModelLoadError(f"no *.joblib, *.pkl or *.skops file in {model_dir}")
    preferred = [p for p in candidates if p.name == DEFAULT_NAME]
    if preferred:
        return preferred[0]
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise ModelLoadError(f"several estimator files in {model_dir} ({names}); keep one")
    return candidates[0]


def load(path: Path) -> Any:
    """Load a fitted estimator. skops files load only if every type in them is trusted."""
    if path.suffix == ".skops":
        return _load_skops(path)
    import joblib

    try:
        return joblib.load(path)
    except Exception as error:  # noqa: BLE001 - any unpickling failure is a load error
        raise ModelLoadError(f"cannot load {path.name}: {type(error).__name__}: {error}") from None


def save(estimator: Any, model_dir: Path, name: str = DEFAULT_NAME) -> Path:
    """Write `estimator` where `load` finds it (skops when `name` ends in .skops)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / name
    if path.suffix == ".skops":
        import skops.io

        skops.io.dump(estimator, path)
    else:
        import joblib

        joblib.dump(estimator, path)
    return path


def _load_skops(path: Path) -> Any:
    import skops.io

    untrusted = skops.io.get_untrusted_types(file=path)
    if untrusted:
        raise ModelLoadError(
            f"{path.name} holds types skops does not trust by default: {', '.join(untrusted)}; "
            "save the model with joblib, or only with scikit-learn's own types"
        )
    return skops.io.load(path, trusted=[])
