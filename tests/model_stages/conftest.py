"""Tiny models for the model stages, fitted once per session from the project's datasets."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from flask.testing import FlaskClient

from inferline.containers.app import create_app
from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings
from tests import abalone

DBPEDIA = Path(__file__).resolve().parents[2] / "training" / "datasets" / "dbpedia"
ROWS = 400


def abalone_numbers(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first `rows` abalone rows: 7 numeric features, rings, and sex as 0/1/2."""
    frame = abalone.frame().head(rows)
    features = frame[abalone.FEATURES[1:]].to_numpy(dtype=np.float64)
    sex = frame["sex"].map({"M": 0, "F": 1, "I": 2}).to_numpy()
    return features, frame["rings"].to_numpy(dtype=np.float64), sex


def dbpedia(rows_per_class: int = 30) -> tuple[list[str], list[str]]:
    """Abstracts and class names: the first `rows_per_class` rows of each DBpedia class."""
    names = (DBPEDIA / "classes.txt").read_text().split()
    texts: list[str] = []
    labels: list[str] = []
    seen: dict[str, int] = {}
    with (DBPEDIA / "train.csv").open(newline="", encoding="utf-8") as handle:
        for index, _title, abstract in csv.reader(handle):
            name = names[int(index) - 1]
            if seen.get(name, 0) < rows_per_class:
                seen[name] = seen.get(name, 0) + 1
                texts.append(abstract.strip())
                labels.append(name)
    return texts, labels


def sagemaker_sdk() -> ModuleType:
    """The SageMaker Python SDK's RecordIO-protobuf code: an encoder independent of ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecation on import
        from sagemaker import serializer_utils
    return serializer_utils


def sagemaker_recordio(rows: np.ndarray, sparse: bool = False) -> bytes:
    """Rows as RecordIO-protobuf, written by the SageMaker SDK (labels included, as it can)."""
    from scipy.sparse import csr_matrix

    sdk = sagemaker_sdk()
    buffer = io.BytesIO()
    if sparse:
        sdk.write_spmatrix_to_sparse_tensor(buffer, csr_matrix(rows), labels=np.ones(len(rows)))
    else:
        sdk.write_numpy_to_dense_tensor(buffer, rows, labels=np.ones(len(rows)))
    return buffer.getvalue()


def sagemaker_labels(body: bytes) -> list[dict[str, list[float]]]:
    """The `label` map of each Record in a RecordIO-protobuf body, read by the SDK."""
    records = sagemaker_sdk().read_records(io.BytesIO(body))
    return [
        {name: list(value.float32_tensor.values) for name, value in record.label.items()}
        for record in records
    ]


@pytest.fixture
def client() -> Callable[..., FlaskClient]:
    """A Flask test client for a stage, with settings as given."""

    def make(stage: Stage, **settings: object) -> FlaskClient:
        return create_app(stage, Settings(**settings)).test_client()  # type: ignore[arg-type]

    return make


def post(
    client: FlaskClient,
    body: str | bytes,
    content_type: str = "application/json",
    accept: str | None = None,
) -> tuple[int, bytes, str]:
    """POST /invocations through a stage's test client: status, body and Content-Type."""
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    response = client.post("/invocations", data=body, headers=headers)
    return response.status_code, response.data, response.headers["Content-Type"]
