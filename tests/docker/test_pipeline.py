"""The car-evaluation pipeline (sparkml -> xgboost -> sparkml) in real containers.

`inferline train car-evaluation` writes the pipeline; the harness runs it with the
docker runtime and with the process runtime, and boto3 invokes both: the answers
must be equal. Stopping the endpoint stops every container gracefully (exit code 0,
so SIGTERM was handled within SageMaker's 30 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from inferline.containers.harness.docker import DockerContainer
from inferline.containers.harness.local import LocalEndpoint

ROWS = [
    "low,low,5more,more,big,high",
    "vhigh,vhigh,2,2,small,low",
    "med,high,4,4,med,med",
]


@pytest.fixture(scope="module")
def car_evaluation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipeline.json of `inferline train car-evaluation`, trained into a temporary folder."""
    out = tmp_path_factory.mktemp("car-evaluation")
    trained = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferline.containers",
            "train",
            "car-evaluation",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert trained.returncode == 0, trained.stdout + trained.stderr
    return out / "pipeline.json"


def invoke_all(url: str, bodies: list[str]) -> list[tuple[str, str]]:
    runtime = boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    answers = []
    for body in bodies:
        answer: dict[str, Any] = runtime.invoke_endpoint(
            EndpointName="car-evaluation",
            Body=body.encode(),
            ContentType="text/csv",
            Accept="text/csv",
        )
        answers.append((answer["ContentType"], answer["Body"].read().decode()))
    return answers


def test_docker_runtime_answers_as_the_process_runtime(
    car_evaluation: Path, image: Callable[[str], str]
) -> None:
    for name in {spec["Image"].removeprefix("inferline-") for spec in _containers(car_evaluation)}:
        image(name)
    with LocalEndpoint.from_file(car_evaluation, runtime="process") as local:
        expected = invoke_all(local.url, ROWS)

    endpoint = LocalEndpoint.from_file(car_evaluation, runtime="docker").start()
    try:
        containers = list(endpoint.endpoint.deployment.containers)
        answers = invoke_all(endpoint.url, ROWS)
        log = endpoint.log_path("xgboost").read_text()
    finally:
        endpoint.close()

    assert [type(c) for c in containers] == [DockerContainer] * 3
    assert answers == expected
    assert {label for _, body in answers for label in body.split()} <= {
        "unacc",
        "acc",
        "good",
        "vgood",
    }
    # `docker logs` of the container, line-prefixed: gunicorn's start and its graceful stop.
    assert "xgboost | " in log and "Booting worker" in log
    assert [c.exit_code for c in containers] == [0, 0, 0]


def _containers(pipeline: Path) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = json.loads(pipeline.read_text())["Containers"]
    return containers
