"""Real sklearn artefacts for harness tests, fitted into tmp directories.

The three-stage pipeline mirrors SageMaker's sklearn examples: a ColumnTransformer
featurizer that emits CSV -> an inference script that emits JSON -> a regressor.
The script misbehaves on purpose on magic values (see SCRIPT).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CRASH = -999.0  # the script exits its worker process
WRONG_TYPE = -415.0  # the script answers a content type the regressor cannot read
SCRIPT = textwrap.dedent(f"""
    import json
    import os


    def model_fn(model_dir):
        return None


    def transform_fn(model, body, content_type, accept):
        rows = [[float(value) for value in line.split(",")] for line in body.splitlines() if line]
        values = {{value for row in rows for value in row}}
        if {CRASH} in values:
            os._exit(1)
        if {WRONG_TYPE} in values:
            return "not a table", "application/x-unknown"
        return json.dumps({{"instances": rows}}), "application/json"
""")
ONE_WORKER = {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"}


def training_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "sex": rng.choice(["M", "F", "I"], 60),
            "length": rng.uniform(0.1, 0.8, 60),
            "diameter": rng.uniform(0.1, 0.6, 60),
        }
    )


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Model directories: featurizer, script, regressor."""
    root = tmp_path_factory.mktemp("models")
    frame = training_frame()
    featurizer = ColumnTransformer(
        [
            ("sex", OneHotEncoder(sparse_output=False, handle_unknown="ignore"), ["sex"]),
            ("length", StandardScaler(), ["length"]),
            ("diameter", "passthrough", ["diameter"]),
        ]
    ).fit(frame)
    features = featurizer.transform(frame)
    target = 3 * frame["length"] + frame["diameter"] + 1
    regressor = LinearRegression().fit(features, target.to_numpy())
    paths = {name: root / name for name in ("featurizer", "script", "regressor")}
    for path in paths.values():
        path.mkdir()
    joblib.dump(featurizer, paths["featurizer"] / "model.joblib")
    joblib.dump(regressor, paths["regressor"] / "model.joblib")
    (paths["script"] / "code").mkdir()
    (paths["script"] / "code" / "inference.py").write_text(SCRIPT)
    return paths


def pipeline(models: dict[str, Path], name: str = "abalone", **extra: Any) -> dict[str, Any]:
    """The CreateModel request of the three-stage pipeline."""
    return {
        "ModelName": name,
        "Containers": [
            {
                "Image": "inferline-sklearn:1.0",
                "ModelDataUrl": str(models["featurizer"]),
                "Environment": {**ONE_WORKER, "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"},
            },
            {
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/inferline-sklearn:latest",
                "ModelDataUrl": f"file://{models['script']}",
                "Environment": dict(ONE_WORKER),
            },
            {
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(models["regressor"]),
                "Environment": dict(ONE_WORKER),
            },
        ],
        "InferenceExecutionConfig": {"Mode": "Serial"},
        **extra,
    }


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def expected(rows: list[tuple[str, float, float]], models: dict[str, Path]) -> np.ndarray:
    """What the pipeline should answer, computed in-process from the same artefacts."""
    featurizer = joblib.load(models["featurizer"] / "model.joblib")
    regressor = joblib.load(models["regressor"] / "model.joblib")
    frame = pd.DataFrame(rows, columns=["sex", "length", "diameter"])
    return regressor.predict(featurizer.transform(frame))


@pytest.fixture(scope="session")
def plus(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Model directories whose transformer adds 1 (or 2) to a one-column table.

    A chain of them answers a sum, so each hop shows in the result.
    """
    from sklearn.preprocessing import StandardScaler

    root = tmp_path_factory.mktemp("plus")
    paths = {}
    for amount in (1, 2):
        paths[amount] = root / f"plus-{amount}"
        paths[amount].mkdir()
        joblib.dump(
            StandardScaler(with_std=False).fit([[-float(amount)]]), paths[amount] / "model.joblib"
        )
    return paths


def chain_of(path: Path, count: int, name: str = "chain") -> dict[str, Any]:
    """A model of `count` copies of one container."""
    return {
        "ModelName": name,
        "Containers": [
            {
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(path),
                "Environment": dict(ONE_WORKER),
            }
            for _ in range(count)
        ],
    }
