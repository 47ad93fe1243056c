"""The booster artefact: `xgboost-model` in the model directory, JSON or UBJ.

SageMaker's XGBoost algorithm writes its model as a file named `xgboost-model`, with no
suffix to tell the format. We read the bytes and let XGBoost recognise JSON or UBJ
from them (`load_model` on a suffix-less path would guess UBJ and fail on JSON).
The legacy binary format needs xgboost<3.1 to read; Python pickles are refused, since
loading one runs arbitrary code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import xgboost

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.xgboost.kind import MODEL_FILE

__all__ = ["MODEL_FILE", "load_booster", "save"]


def load_booster(model_dir: Path) -> xgboost.Booster:
    """The booster saved in `model_dir`.

    Raises:
        ModelLoadError: no `xgboost-model`, or XGBoost cannot read it (the message says why).
    """
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(f"no {MODEL_FILE} file in {model_dir}")
    raw = path.read_bytes()
    if raw[:1] == b"\x80":
        raise ModelLoadError(
            f"{path} is a Python pickle, which inferline does not load (it can run any code); "
            "re-save the booster with booster.save_model(path) as JSON or UBJ"
        )
    booster = xgboost.Booster()
    try:
        booster.load_model(bytearray(raw))
    except xgboost.core.XGBoostError as error:
        first_line = str(error).splitlines()[0]
        raise ModelLoadError(
            f"xgboost {xgboost.__version__} cannot read {path} ({first_line}); "
            "save it as JSON or UBJ (legacy binary models need xgboost<3.1 to convert)"
        ) from None
    # One thread per prediction: gunicorn runs a worker per core already (as AWS's
    # container does), and more threads per worker would only contend for them.
    booster.set_param("nthread", 1)
    return booster


def save(
    booster: xgboost.Booster, model_dir: Path, model_format: Literal["json", "ubj"] = "json"
) -> Path:
    """Write `booster` as `model_dir/xgboost-model` in `model_format` (JSON by default)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    path.write_bytes(bytes(booster.save_raw(raw_format=model_format)))
    return path
