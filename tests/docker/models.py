"""One small model per image, fitted into a folder, with a request it answers.

Each `Case` says which image serves it, how to write its model directory, the
environment its container gets, a good request and a bad one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests import abalone
from tests.sparkml import examples


def sklearn_featurizer(model_dir: Path) -> None:
    import joblib

    joblib.dump(abalone.featurizer(), model_dir / "model.joblib")


def linear_learner(model_dir: Path) -> None:
    from sklearn.linear_model import LinearRegression

    from inferline.stages.linear_learner import save

    frame = abalone.frame()
    save(LinearRegression().fit(frame[abalone.FEATURES[1:]].to_numpy(), frame["rings"]), model_dir)


def xgboost_regressor(model_dir: Path) -> None:
    import xgboost

    from inferline.stages.xgboost import save

    frame = abalone.frame().head(400)
    data = xgboost.DMatrix(frame[abalone.FEATURES[1:]].to_numpy(), label=frame["rings"])
    save(xgboost.train({"objective": "reg:squarederror", "max_depth": 3}, data, 10), model_dir)


def sparkml_car_preprocessor(model_dir: Path) -> None:
    examples.car_preprocessor(model_dir)


@dataclass(frozen=True)
class Case:
    image: str
    stage: str
    write_model: Callable[[Path], None]
    body: str
    bad_body: str
    content_type: str = "text/csv"
    env: dict[str, str] = field(default_factory=dict)


NUMBERS = abalone.SAMPLE.split(",", 1)[1].replace(" ", "")

CASES = {
    "sklearn": Case("sklearn", "sklearn", sklearn_featurizer, abalone.SAMPLE, "M, 0.44, lots"),
    "linear-learner": Case(
        "sklearn",
        "linear-learner",
        linear_learner,
        NUMBERS,
        "0.44,lots",
        env={"INFERLINE_STAGE": "linear-learner"},
    ),
    "sparkml": Case(
        "sparkml",
        "sparkml",
        sparkml_car_preprocessor,
        "low,low,5more,more,big,high",
        "low,low,5more,more,big,enormous",
        env={"SAGEMAKER_SPARKML_SCHEMA": json.dumps(examples.CAR_SCHEMA)},
    ),
    "xgboost": Case("xgboost", "xgboost", xgboost_regressor, NUMBERS, "0.44,lots,of"),
}
