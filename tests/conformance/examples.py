"""One tiny real model per stage kind, with a request body for each Content-Type it reads.

The contract suite (test_contract.py) runs over every registered kind and looks its
example up here by the kind's name; a kind registered without an entry fails the suite.
A new kind adds one factory: write a real fitted model into the directory, return the
bodies::

    @example("my-kind")
    def my_kind(model_dir: Path) -> Example:
        save(fit_something(), model_dir)
        return Example(requests={"text/csv": b"1.0,2.0\\n"}, bad=[("text/csv", b"x,y")])
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.sparkml import examples as sparkml_examples

ExampleFactory = Callable[[Path], "Example"]
EXAMPLES: dict[str, ExampleFactory] = {}

# Two numeric features: the shape of every numeric example below.
FEATURES = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 3.0], [5.0, 0.5]])
TARGETS = np.array([1.0, 2.0, 5.0, 6.0, 9.0, 8.0])
LABELS = np.array([0, 0, 1, 0, 1, 1])
ROWS = FEATURES[:2]


@dataclass(frozen=True)
class Example:
    """What a kind's model directory answers: good bodies by Content-Type, and bad ones.

    `bad` holds bodies that decode but do not fit this model (too few columns, an
    unknown category); the suite adds its own malformed bodies for every type.
    `environ` is the serving environment the model needs (a kind's own variables).
    """

    requests: dict[str, bytes]
    bad: list[tuple[str, bytes]] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)


def example(kind: str) -> Callable[[ExampleFactory], ExampleFactory]:
    def register(factory: ExampleFactory) -> ExampleFactory:
        EXAMPLES[kind] = factory
        return factory

    return register


def csv_rows(rows: np.ndarray) -> bytes:
    return "".join(",".join(map(str, row)) + "\n" for row in rows.tolist()).encode()


def npy(rows: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, rows, allow_pickle=False)
    return buffer.getvalue()


def recordio(rows: np.ndarray) -> bytes:
    """RecordIO-protobuf written by the SageMaker SDK, not by our own encoder."""
    from tests.model_stages.conftest import sagemaker_recordio

    return sagemaker_recordio(rows)


def numeric_bodies(rows: np.ndarray) -> dict[str, bytes]:
    """The default codecs' forms of `rows`: CSV, JSON, JSON Lines and .npy."""
    return {
        "text/csv": csv_rows(rows),
        "application/json": json.dumps({"instances": rows.tolist()}).encode(),
        "application/jsonlines": "".join(json.dumps(row) + "\n" for row in rows.tolist()).encode(),
        "application/x-npy": npy(rows),
    }


@example("sklearn")
def sklearn_pipeline(model_dir: Path) -> Example:
    """A scaler and a regression, fitted on arrays (positional columns)."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from inferline.stages.sklearn import artifact

    artifact.save(
        make_pipeline(StandardScaler(), LinearRegression()).fit(FEATURES, TARGETS), model_dir
    )
    return Example(
        requests=numeric_bodies(ROWS),
        bad=[("text/csv", b"1.0\n"), ("application/json", b'{"instances": [[1.0, 2.0, 3.0]]}')],
    )


@example("linear-learner")
def linear_learner(model_dir: Path) -> Example:
    import shutil

    # A Linear Learner job's model_algo-1 (an MXNet checkpoint, 3 features): the detected
    # artefact. The scikit-learn one, chosen by name, has tests/model_stages' tests.
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "linear-learner"
    shutil.copy(fixtures / "model_algo-1", model_dir / "model_algo-1")
    rows = np.array(json.loads((fixtures / "expected.json").read_text())["rows"])[:2]
    return Example(
        requests={
            **numeric_bodies(rows),
            "application/json": json.dumps(
                {"instances": [{"features": row} for row in rows.tolist()]}
            ).encode(),
            "application/x-recordio-protobuf": recordio(rows),
        },
        bad=[
            ("text/csv", b"1.0\n"),
            ("application/x-recordio-protobuf", recordio(rows[:, :1])),
        ],
    )


@example("xgboost")
def xgboost_booster(model_dir: Path) -> Example:
    import xgboost

    from inferline.stages import xgboost as xgboost_stage

    booster = xgboost.train(
        {"objective": "binary:logistic", "max_depth": 2, "nthread": 1, "seed": 0},
        xgboost.DMatrix(FEATURES, label=LABELS),
        num_boost_round=4,
    )
    xgboost_stage.save(booster, model_dir)
    libsvm = "".join(f"0 0:{a} 1:{b}\n" for a, b in ROWS.tolist()).encode()
    return Example(
        requests={
            "text/csv": csv_rows(ROWS),
            "text/libsvm": libsvm,
            "text/x-libsvm": libsvm,
            "application/x-recordio-protobuf": recordio(ROWS),
            "application/json": json.dumps(
                {"instances": [{"features": row} for row in ROWS.tolist()]}
            ).encode(),
            "application/jsonlines": "".join(
                json.dumps({"features": row}) + "\n" for row in ROWS.tolist()
            ).encode(),
        },
        bad=[("text/csv", b"1.0,2.0,3.0,4.0\n")],
    )


@example("blazingtext")
def blazingtext_classifier(model_dir: Path) -> Example:
    from inferline.stages import blazingtext

    texts = ["a red apple", "green pears", "a ripe apple", "pears in season"]
    classifier = blazingtext.train(texts, ["apple", "pear", "apple", "pear"], dim=10, thread=1)
    blazingtext.save(classifier, model_dir)  # fastText's model.bin, as BlazingText writes it
    return Example(
        requests={
            "application/json": json.dumps({"instances": ["an apple a day"], "k": 2}).encode(),
            "application/jsonlines": b'{"source": "an apple a day"}\n{"source": "pears"}\n',
        },
        bad=[("application/json", b'{"instances": [42]}')],
    )


@example("sparkml")
def sparkml_bundle(model_dir: Path) -> Example:
    """The car-evaluation featurizer bundle (tests/sparkml/examples.py), schema from the
    kind's own variable."""
    sparkml_examples.car_preprocessor(model_dir)
    row = ["low", "low", "5more", "more", "big", "high"]
    return Example(
        requests={
            "text/csv": (",".join(row) + "\n").encode(),
            "application/json": json.dumps({"data": row}).encode(),
            "application/jsonlines": (json.dumps({"data": row}) + "\n").encode(),
        },
        bad=[("text/csv", b"low,low,5more,more,big,tiny\n"), ("text/csv", b"low,low\n")],
        environ={"SAGEMAKER_SPARKML_SCHEMA": json.dumps(sparkml_examples.CAR_SCHEMA)},
    )
