"""The XGBoost stage (inferline-xgboost image): SageMaker's XGBoost algorithm wire format.

``load`` serves the booster saved as `xgboost-model` in the model directory; ``save``
writes one there (JSON, or UBJ).
"""

from __future__ import annotations

from pathlib import Path

from inferline.containers.core.settings import Settings
from inferline.stages.xgboost.model import MODEL_FILE, load_booster, save
from inferline.stages.xgboost.stage import XGBoostStage

__all__ = ["MODEL_FILE", "XGBoostStage", "load", "save"]


def load(model_dir: Path, settings: Settings) -> XGBoostStage:
    """The stage for the booster in `model_dir` (its `xgboost-model` file)."""
    return XGBoostStage(load_booster(model_dir))
