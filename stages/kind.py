"""What a stage kind declares about itself: the one object its package registers.

A kind's ``stages/<kind>/kind.py`` builds a `Kind` and names it under the
``inferline.stages`` entry-point group (setup.cfg), so `inferline.stages` finds every
kind, a third-party one too, without a central list::

    KIND = Kind(
        name="xgboost",
        image="xgboost",
        extra="xgboost",
        requires=("xgboost",),
        loader="inferline.stages.xgboost:load",
        recognises=lambda model_dir: (model_dir / "xgboost-model").is_file(),
        looks_for="xgboost-model",
        priority=20,
        content_types=("text/csv", ...),
    )

A declaration module must be cheap to import (no numpy, pandas, scikit-learn or
xgboost): the registry imports every one to detect a model directory, and only the
chosen kind's `loader` module brings in its runtime.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings, read, variables_of

__all__ = ["Kind", "NoSettings"]

Recogniser = Callable[[Path], bool]
Claim = Callable[[Settings], bool]
DEFAULT_PRIORITY = 50


@dataclass(frozen=True)
class NoSettings:
    """The settings of a kind that reads no variables of its own."""


@dataclass(frozen=True)
class Kind:
    """One stage kind: how it is found, configured, loaded and shipped."""

    name: str
    """What INFERLINE_STAGE and --stage call it (`linear-learner`)."""
    image: str
    """The image it ships in (`containers.images`): inferline-<image>."""
    loader: str
    """``"module:function"``; the function is ``(model_dir, settings) -> Stage``. Its
    module may import the kind's runtime (scikit-learn, xgboost): it is imported only
    when this kind is loaded."""
    content_types: tuple[str, ...]
    """The request Content-Types its stages read (the conformance suite sends each)."""
    extra: str | None = None
    """The pip extra holding its dependencies: ``inferline[<extra>]``."""
    requires: tuple[str, ...] = ()
    """Top-level modules it cannot load without; missing ones are named before loading."""
    recognises: Recogniser | None = None
    """Whether a model directory holds this kind's model; None: chosen by name only."""
    claims: Claim | None = None
    """Whether the settings alone choose this kind when `recognises` finds nothing in the
    directory (sklearn: SAGEMAKER_PROGRAM names a script delivered elsewhere)."""
    looks_for: str = ""
    """What `recognises` looks for, as the detection error shows it (`bundle.json`)."""
    priority: int = DEFAULT_PRIORITY
    """Detection order, lowest first: the first kind that recognises a directory wins."""
    settings: type[Any] = NoSettings
    """Its settings dataclass: fields declared with `containers.core.settings.variable`."""

    def options(self, settings: Settings) -> Any:
        """This kind's own settings, read from the environment `settings` came from.

        Raises:
            ConfigurationError: one of its variables does not parse; the message names it.
        """
        return read(self.settings, settings.environ)

    @property
    def variables(self) -> dict[str, str]:
        """The environment variables only this kind reads, mapped to their field names."""
        return variables_of(self.settings)

    @property
    def detection(self) -> str:
        """How detection finds it, for error messages."""
        if self.recognises is None:
            return f"{self.name}: named only (--stage {self.name})"
        return f"{self.looks_for} ({self.name})"

    def load(self, model_dir: Path, settings: Settings) -> Stage:
        """Import the loader (and with it the kind's runtime) and load `model_dir`.

        Raises:
            ConfigurationError: the kind's dependencies are not installed here.
        """
        missing = [name for name in self.requires if importlib.util.find_spec(name) is None]
        if missing:
            extra = f"inferline[{self.extra}]" if self.extra else "its dependencies"
            raise ConfigurationError(
                f"stage {self.name!r} is not installed here ({', '.join(missing)} missing); "
                f"install {extra}"
            )
        module_name, _, attribute = self.loader.partition(":")
        stage_loader: Callable[[Path, Settings], Stage] = getattr(
            importlib.import_module(module_name), attribute
        )
        return stage_loader(model_dir, settings)
