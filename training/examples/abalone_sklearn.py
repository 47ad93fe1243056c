"""Abalone: a scikit-learn featurizer script -> a Linear Learner-compatible regressor.

As the seed ``scikit_learn_inference_pipeline`` does: the featurizer is a SageMaker
inference script (shipped under ``code/``) that turns CSV rows into Linear Learner's
JSON ``{"instances": [{"features": [...]}]}``; the regressor (a scikit-learn linear
model served by the ``linear-learner`` stage) answers ``{"predictions": [{"score": ...}]}``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from sklearn.linear_model import RidgeCV

from inferline.stages import linear_learner
from inferline.stages.sklearn import artifact
from inferline.training import data, metrics, outputs, samples
from inferline.training import sklearn_abalone_featurizer as script
from inferline.training.examples import Trained

NAME = "abalone-sklearn"
# The seed's own request; the spaces after the commas are part of it.
REQUEST = "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155"
PROGRAM = Path(script.__file__).name

FEATURIZER = outputs.Container(
    "featurizer",
    outputs.SKLEARN_IMAGE,
    {"SAGEMAKER_PROGRAM": PROGRAM},
)
REGRESSOR = outputs.Container(
    "linear-learner",
    outputs.SKLEARN_IMAGE,
    {"INFERLINE_STAGE": "linear-learner"},
)


def train(out: Path) -> Trained:
    train_rows, held_out = data.split(data.abalone())
    featurizer = script.featurizer().fit(train_rows[list(data.ABALONE_FEATURES)])
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(
        featurizer.transform(train_rows), train_rows[data.ABALONE_LABEL]
    )

    def write_featurizer(model_dir: Path) -> None:
        artifact.save(featurizer, model_dir, script.MODEL_FILE)
        (model_dir / "code").mkdir()
        shutil.copy(script.__file__, model_dir / "code" / PROGRAM)

    outputs.archive(out, FEATURIZER, write_featurizer)
    outputs.archive(out, REGRESSOR, lambda model_dir: linear_learner.save(regressor, model_dir))
    outputs.write_definitions(out, NAME, [FEATURIZER, REGRESSOR])

    predicted = regressor.predict(featurizer.transform(held_out))
    quality = {
        **metrics.regression(held_out[data.ABALONE_LABEL], predicted),
        "model": "RidgeCV",
        "alpha": float(regressor.alpha_),
    }
    outputs.write_metrics(out, quality)

    # In process, the way the served pipeline computes it: the script's own hooks.
    features = script.predict_fn(script.input_fn(REQUEST, "text/csv"), featurizer)
    expected = {"predictions": [{"score": float(score)} for score in regressor.predict(features)]}
    requests = [samples.Sample("seed request", REQUEST, "text/csv", "application/json", expected)]
    samples.save(requests, out)
    return Trained(NAME, out, quality, requests)
