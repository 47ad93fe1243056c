"""The XGBoost stage (inferline-xgboost image): SageMaker's XGBoost algorithm wire format.

``load`` serves the booster saved as `xgboost-model` in the model directory; ``save``
writes one there (JSON, or UBJ). `kind.py` declares the kind; xgboost itself is
imported only when a booster is loaded or saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core.settings import Settings
from inferline.stages.lazy import lazy
from inferline.stages.xgboost.kind import MODEL_FILE

if TYPE_CHECKING:
    from inferline.stages.xgboost.model import save
    from inferline.stages.xgboost.stage import XGBoostStage

__all__ = ["MODEL_FILE", "XGBoostStage", "load", "save"]

__getattr__ = lazy(
    __name__,
    {"XGBoostStage": "inferline.stages.xgboost.stage", "save": "inferline.stages.xgboost.model"},
)


def load(model_dir: Path, settings: Settings) -> XGBoostStage:
    """The stage for the booster in `model_dir` (its `xgboost-model` file)."""
    from inferline.stages.xgboost.model import load_booster
    from inferline.stages.xgboost.stage import XGBoostStage

    return XGBoostStage(load_booster(model_dir))
