"""Abalone: a Spark ML featurizer -> an XGBoost regressor, CSV between the stages.

As the seed ``inference_pipeline_sparkml_xgboost_abalone`` does: StringIndexer and
OneHotEncoder on `sex`, a VectorAssembler with the seven measurements, fitted in
pyspark and converted to an MLeap bundle; the SparkML stage answers the features as
one CSV line, which the XGBoost stage scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost

from inferline.stages import xgboost as xgboost_stage
from inferline.stages.sparkml.convert import package_model
from inferline.training import data, metrics, outputs, samples, spark
from inferline.training import sparkml_featurizers as featurizers
from inferline.training.examples import Trained

NAME = "abalone-sparkml"
# The seed notebook's request, then the scikit-learn seed's (spaces after the commas).
REQUESTS = (
    "F,0.515,0.425,0.14,0.766,0.304,0.1725,0.255",
    "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",
)
PARAMS = {
    "objective": "reg:squarederror",
    "eta": 0.05,
    "max_depth": 5,
    "min_child_weight": 6,
    # One thread: 3,342 rows need no more, and OpenMP spinning beside Spark's JVM is slow.
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "seed": data.SEED,
    "nthread": 1,
}
ROUNDS = 300

FEATURIZER = outputs.Container(
    "sparkml",
    outputs.SPARKML_IMAGE,
    {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(featurizers.ABALONE_SCHEMA, separators=(",", ":"))},
)
REGRESSOR = outputs.Container("xgboost", outputs.XGBOOST_IMAGE)


def train(out: Path) -> Trained:
    session = spark.session()
    train_rows, held_out = data.split(data.abalone())
    featurizer = featurizers.abalone_featurizer().fit(session.createDataFrame(train_rows))

    def features(frame: pd.DataFrame) -> np.ndarray:
        return featurizers.vectors(featurizer.transform(session.createDataFrame(frame)))

    booster = xgboost.train(
        PARAMS,
        xgboost.DMatrix(features(train_rows), label=train_rows[data.ABALONE_LABEL]),
        num_boost_round=ROUNDS,
    )

    package_model(featurizer, out / FEATURIZER.model_data)
    outputs.archive(out, REGRESSOR, lambda model_dir: xgboost_stage.save(booster, model_dir))
    outputs.write_definitions(out, NAME, [FEATURIZER, REGRESSOR])

    predicted = booster.predict(xgboost.DMatrix(features(held_out)))
    quality = {
        **metrics.regression(held_out[data.ABALONE_LABEL], predicted),
        "model": "xgboost",
        "rounds": ROUNDS,
    }
    outputs.write_metrics(out, quality)

    requests = []
    for number, request in enumerate(REQUESTS, start=1):
        row = pd.DataFrame(
            [[cell.strip() for cell in request.split(",")]], columns=list(data.ABALONE_FEATURES)
        )
        row = row.astype({name: float for name in data.ABALONE_FEATURES[1:]})
        score = booster.predict(xgboost.DMatrix(features(row)))
        requests.append(
            samples.Sample(
                f"request {number}",
                request,
                "text/csv",
                "text/csv",
                [[float(score[0])]],
            )
        )
    samples.save(requests, out)
    return Trained(NAME, out, quality, requests)
