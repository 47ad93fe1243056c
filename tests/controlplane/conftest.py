"""A real control plane on loopback, driven by boto3's clients (any credentials work).

Models are the harness tests' real sklearn artefacts (tests/harness/conftest.py):
the three-stage abalone pipeline and one-column "plus 1" / "plus 2" transformers,
whose answers show which model served a request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal

import boto3
import pytest

from inferline.containers.controlplane import ControlPlane, serve_control_plane
from tests.harness.conftest import ONE_WORKER, models, pipeline, plus  # noqa: F401 - fixtures

REGION: Final = "eu-west-1"
ROLE: Final = "arn:aws:iam::123456789012:role/local"
# The waiters' own delays are 30 s (AWS's pace); locally the same waiters poll fast.
FAST = {"Delay": 0.2, "MaxAttempts": 1500}


def client(kind: Literal["sagemaker", "sagemaker-runtime"], url: str) -> Any:
    return boto3.client(
        kind,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    served = serve_control_plane(0, tmp_path_factory.mktemp("home"), max_instances=6)
    yield served
    served.close()


@pytest.fixture(scope="module")
def sm(plane: ControlPlane) -> Any:
    return client("sagemaker", plane.url)


@pytest.fixture(scope="module")
def runtime(plane: ControlPlane) -> Any:
    return client("sagemaker-runtime", plane.url)


def plus_container(paths: dict[int, Path], amount: int) -> dict[str, Any]:
    return {
        "Image": "inferline-sklearn",
        "ModelDataUrl": str(paths[amount]),
        "Environment": dict(ONE_WORKER),
    }


def create_plus_model(sm: Any, paths: dict[int, Path], name: str, amount: int) -> None:
    sm.create_model(
        ModelName=name,
        PrimaryContainer=plus_container(paths, amount),
        ExecutionRoleArn="arn:aws:iam::123456789012:role/local",
    )


def variant(
    model: str, name: str = "AllTraffic", count: int = 1, weight: float = 1.0
) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": count,
        "InstanceType": "ml.m5.large",
        "InitialVariantWeight": weight,
    }


def wait_in_service(sm: Any, name: str) -> dict[str, Any]:
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    described: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
    return described


def invoke(runtime: Any, name: str, body: str = "1.0", **extra: Any) -> tuple[str, str]:
    """The answer's body and the variant that served it."""
    answer = runtime.invoke_endpoint(
        EndpointName=name, Body=body.encode(), ContentType="text/csv", Accept="text/csv", **extra
    )
    return answer["Body"].read().decode().strip(), answer["InvokedProductionVariant"]


def sdk_stages(artefacts: dict[str, Path], session: Any) -> list[Any]:
    """The SageMaker SDK's `Model` for each container of the abalone pipeline, in order,
    as a user hands them to `PipelineModel` (`artefacts`: the `models` fixture)."""
    from sagemaker.model import Model  # the SDK tests import it once they know it is there

    return [
        Model(
            image_uri=container["Image"],
            model_data=container["ModelDataUrl"],
            env=container["Environment"],
            role=ROLE,
            sagemaker_session=session,
        )
        for container in pipeline(artefacts)["Containers"]
    ]
