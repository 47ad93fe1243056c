"""Stage kinds, found through entry points, loaded without the ones a server does not use.

Each kind declares itself in its own package (``stages/<kind>/kind.py``, a `Kind`) and
registers that declaration under the ``inferline.stages`` entry-point group, as a
third-party package can too (docs/stage-kinds.md)::

    [options.entry_points]
    inferline.stages =
        xgboost = inferline.stages.xgboost.kind:KIND

``kinds()`` reads the group; ``detect`` asks each kind whether it recognises a model
directory; ``load(kind, model_dir, settings)`` imports only the chosen kind's loader,
so the sklearn image never imports the Spark ML runtime or xgboost.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core.errors import ConfigurationError, ModelLoadError
from inferline.containers.core.invocation import ExecutionParameters, Stage
from inferline.containers.core.settings import Settings
from inferline.stages.kind import Kind
from inferline.stages.lazy import lazy

if TYPE_CHECKING:
    from inferline.stages.base import FrameStage, StageLoader

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExecutionParameters",
    "FrameStage",
    "Kind",
    "Stage",
    "StageLoader",
    "detect",
    "environment_variables",
    "kind_named",
    "kinds",
    "load",
    "names",
]

ENTRY_POINT_GROUP = "inferline.stages"

# FrameStage brings in pandas: only a stage that uses it pays for it.
__getattr__ = lazy(
    __name__, {"FrameStage": "inferline.stages.base", "StageLoader": "inferline.stages.base"}
)


@functools.cache
def kinds() -> dict[str, Kind]:
    """Every registered kind by name, in detection order (priority, then name).

    Raises:
        ConfigurationError: an entry point does not load, is not a `Kind`, is
            registered under another name than its own, or two packages claim one name.
    """
    found: dict[str, Kind] = {}
    owners: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        owner = entry.dist.name if entry.dist else entry.value
        if entry.name in found:
            raise ConfigurationError(
                f"stage kind {entry.name!r} is registered twice ({owners[entry.name]} and "
                f"{owner}); uninstall one"
            )
        try:
            kind = entry.load()
        except ImportError as error:
            raise ConfigurationError(
                f"stage kind {entry.name!r} ({entry.value}, from {owner}) does not import: {error}"
            ) from None
        if not isinstance(kind, Kind) or kind.name != entry.name:
            raise ConfigurationError(
                f"entry point {entry.name!r} of {owner} in {ENTRY_POINT_GROUP} must be an "
                f"inferline.stages.Kind named {entry.name!r}, got {kind!r}"
            )
        found[kind.name] = kind
        owners[kind.name] = owner
    ordered = sorted(found.values(), key=lambda kind: (kind.priority, kind.name))
    return {kind.name: kind for kind in ordered}


def names() -> list[str]:
    """The registered kinds' names, sorted, read from the entry points without importing
    any declaration (for help text: a broken third-party kind must not break --help)."""
    return sorted(set(entry_points(group=ENTRY_POINT_GROUP).names))


def kind_named(name: str) -> Kind:
    """The kind called `name` (INFERLINE_STAGE, --stage).

    Raises:
        ConfigurationError: no such kind; the message lists the registered ones.
    """
    registered = kinds()
    if name not in registered:
        raise ConfigurationError(
            f"unknown stage {name!r}; choose one of {', '.join(sorted(registered))}"
        )
    return registered[name]


def detect(model_dir: Path, settings: Settings | None = None) -> str:
    """The kind whose model `model_dir` holds: the first, by priority, to recognise it,
    else the first whose `claims` accepts `settings`.

    Raises:
        ModelLoadError: no kind recognises it; the message lists what each looks for.
    """
    registered = kinds().values()
    for kind in registered:
        if kind.recognises is not None and kind.recognises(model_dir):
            return kind.name
    for kind in registered:
        if settings is not None and kind.claims is not None and kind.claims(settings):
            return kind.name
    looked_for = [kind.detection for kind in registered if kind.recognises is not None]
    named_only = [kind.name for kind in registered if kind.recognises is None]
    hint = f" ({', '.join(named_only)} are chosen only that way)" if named_only else ""
    raise ModelLoadError(
        f"cannot tell which stage serves {model_dir}: expected {', or '.join(looked_for)}; "
        f"or name the stage with --stage or INFERLINE_STAGE{hint}"
    )


def load(kind: str | None, model_dir: Path, settings: Settings) -> Stage:
    """Load the stage `kind` (detected when None) from `model_dir`.

    Raises:
        ConfigurationError: an unknown kind, one not installed here, or a bad setting.
        ModelLoadError: nothing recognisable in `model_dir`, or the model does not load.
    """
    return kind_named(kind or detect(model_dir, settings)).load(model_dir, settings)


def environment_variables() -> dict[str, str]:
    """The variables the registered kinds read, each mapped to its ``kind.field``."""
    return {
        variable: f"{kind.name}.{field}"
        for kind in kinds().values()
        for variable, field in kind.variables.items()
    }
