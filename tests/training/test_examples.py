"""The four examples end to end: train, run the pipeline, invoke through boto3.

Each answer must have the shape the seed's pipeline gives and equal what the same
models answer in-process at training time (Spark's own transform, the booster's and
scikit-learn's own predict), so serving cannot drift from training unnoticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from inferline.containers.harness import state as states
from inferline.containers.harness.local import LocalEndpoint
from inferline.training import data, outputs, samples
from inferline.training.examples import EXAMPLES, Trained
from tests.training.conftest import runtime_client

CAR_CLASSES = {"unacc", "acc", "good", "vgood"}
IMAGES = {"inferline-sklearn", "inferline-sparkml", "inferline-xgboost"}


def check_abalone_sklearn(answer: Any) -> None:
    (prediction,) = answer["predictions"]
    assert 1 <= prediction["score"] <= 29


def check_abalone_sparkml(answer: Any) -> None:
    ((rings,),) = answer
    assert 1 <= rings <= 29


def check_car(answer: Any) -> None:
    ((label,),) = answer
    assert label in CAR_CLASSES


def check_dbpedia(answer: Any) -> None:
    ((record),) = answer
    (label,), (prob,) = record["label"], record["prob"]
    assert label.removeprefix("__label__") in data.dbpedia_classes()
    assert 0 < prob <= 1


SHAPES: dict[str, Callable[[Any], None]] = {
    "abalone-sklearn": check_abalone_sklearn,
    "abalone-sparkml": check_abalone_sparkml,
    "car-evaluation": check_car,
    "dbpedia": check_dbpedia,
}
SEED_REQUESTS = {
    "abalone-sklearn": "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",
    "abalone-sparkml": "F,0.515,0.425,0.14,0.766,0.304,0.1725,0.255",
    "car-evaluation": "low,low,5more,more,big,high",
    "dbpedia": "Convair was an american aircraft manufacturing company",
}


def invoke_samples(url: str, name: str, out: Path) -> None:
    client: Any = runtime_client(url)
    for sample in samples.load(out):
        response = client.invoke_endpoint(
            EndpointName=name,
            Body=sample.body.encode(),
            ContentType=sample.content_type,
            Accept=sample.accept,
        )
        assert response["ContentType"] == sample.accept.split(";")[0]
        answer = samples.parse(response["Body"].read(), response["ContentType"])
        SHAPES[name](answer)
        assert samples.matches(answer, sample.expected), (sample.name, answer, sample.expected)


@pytest.mark.parametrize("name", ["abalone-sklearn", "abalone-sparkml", "dbpedia"])
def test_served_pipeline_answers_as_trained(name: str, trained: Callable[[str], Trained]) -> None:
    example = trained(name)
    assert any(SEED_REQUESTS[name] in sample.body for sample in example.samples)
    with LocalEndpoint.from_file(example.out / outputs.PIPELINE) as endpoint:
        invoke_samples(endpoint.url, name, example.out)


def test_inferline_up_serves_the_endpoint_file(
    trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    """car-evaluation, three containers, through the `inferline up` command as a user runs it."""
    example = trained("car-evaluation")
    assert any(SEED_REQUESTS["car-evaluation"] == sample.body for sample in example.samples)
    home = tmp_path / "home"
    up = [
        sys.executable,
        "-m",
        "inferline.containers",
        "up",
        str(example.out / outputs.ENDPOINT),
        "--port",
        "0",
        "--detach",
        "--home",
        str(home),
    ]
    subprocess.run(up, check=True, capture_output=True, timeout=180)
    try:
        _, state = states.find(home, example.name)
        invoke_samples(state.url, example.name, example.out)
    finally:
        down = [
            sys.executable,
            "-m",
            "inferline.containers",
            "down",
            example.name,
            "--home",
            str(home),
        ]
        subprocess.run(down, check=True, capture_output=True, timeout=120)


def test_bad_request_is_a_named_model_error(trained: Callable[[str], Trained]) -> None:
    """Seven columns instead of eight: the featurizer script says so, the endpoint keeps serving."""
    example = trained("abalone-sklearn")
    with LocalEndpoint.from_file(example.out / outputs.PIPELINE) as endpoint:
        client: Any = runtime_client(endpoint.url)
        with pytest.raises(ClientError) as caught:
            client.invoke_endpoint(
                EndpointName=example.name,
                Body=b"M,0.44,0.365,0.125,0.516,0.2,0.1",
                ContentType="text/csv",
                Accept="application/json",
            )
        error = caught.value.response
        assert error["Error"]["Code"] == "ModelError"
        assert error["OriginalStatusCode"] == 400
        assert "expected 8 columns" in error["OriginalMessage"]
        invoke_samples(endpoint.url, example.name, example.out)


@pytest.mark.parametrize(
    ("name", "metric", "floor"),
    [
        ("abalone-sklearn", "rmse", 2.5),
        ("abalone-sparkml", "rmse", 2.5),
    ],
)
def test_regressors_meet_the_rmse_floor(
    name: str, metric: str, floor: float, trained: Callable[[str], Trained]
) -> None:
    example = trained(name)
    assert outputs.read_metrics(example.out) == example.metrics
    assert example.metrics["held_out_rows"] == 835
    assert example.metrics[metric] <= floor
    assert example.metrics[metric] < example.metrics["baseline_rmse"]


@pytest.mark.parametrize(
    ("name", "floor", "rows"),
    [
        ("car-evaluation", 0.95, 346),
        ("dbpedia", 0.95, 2800),
    ],
)
def test_classifiers_meet_the_accuracy_floor(
    name: str, floor: float, rows: int, trained: Callable[[str], Trained]
) -> None:
    example = trained(name)
    assert outputs.read_metrics(example.out) == example.metrics
    assert example.metrics["held_out_rows"] == rows
    assert example.metrics["accuracy"] >= floor


@pytest.mark.parametrize("name", EXAMPLES)
def test_pipeline_files_have_the_create_model_shape(
    name: str, trained: Callable[[str], Trained]
) -> None:
    out = trained(name).out
    model = json.loads((out / outputs.PIPELINE).read_text())
    endpoint = json.loads((out / outputs.ENDPOINT).read_text())
    assert model["ModelName"] == name
    assert 2 <= len(model["Containers"]) <= 3
    for container in model["Containers"]:
        assert container["Image"] in IMAGES
        assert not Path(container["ModelDataUrl"]).is_absolute()
        assert (out / container["ModelDataUrl"]).is_file()
        assert all(isinstance(value, str) for value in container["Environment"].values())
    assert endpoint["Models"] == [model]
    assert endpoint["ProductionVariants"][0]["ModelName"] == name
