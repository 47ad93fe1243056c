"""`inferline export`: its requests are accepted by SageMaker's API (moto's, on loopback)."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from inferline.containers.cli import main
from tests.servers import free_port

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"
BUCKET = "s3://models-bucket/car-evaluation"
SAMPLE_ENVIRONMENT = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}


@pytest.fixture(scope="module")
def sagemaker() -> Iterator[Any]:
    """A boto3 SageMaker client talking to moto's server on 127.0.0.1."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield boto3.client(
            "sagemaker",
            region_name="eu-west-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


def archive(folder: Path) -> str:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"weights")
    with tarfile.open(folder / "model.tar.gz", "w:gz") as tar:
        tar.add(folder / "model.bin", arcname="model.bin")
    return str(folder.relative_to(folder.parent) / "model.tar.gz")


def pipeline(tmp_path: Path) -> Path:
    """Three containers, as `inferline train car-evaluation` writes them (relative archives)."""
    containers = [
        {
            "ContainerHostname": "preprocess",
            "Image": "inferline-sparkml:latest",
            "ModelDataUrl": archive(tmp_path / "preprocess"),
            "Environment": SAMPLE_ENVIRONMENT,
        },
        {
            "ContainerHostname": "xgboost",
            "Image": "inferline-xgboost:latest",
            "ModelDataUrl": archive(tmp_path / "xgboost"),
        },
        {
            "ContainerHostname": "postprocess",
            "Image": "987654321098.dkr.ecr.eu-west-1.amazonaws.com/custom:1",
            "ModelDataUrl": "s3://elsewhere/post/model.tar.gz",
        },
    ]
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps({"ModelName": "car-evaluation", "Containers": containers}))
    return path


def export(definition: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(
        [
            "export",
            str(definition),
            "--format",
            "sagemaker",
            "--image-uri-prefix",
            REGISTRY,
            "--model-data-prefix",
            BUCKET,
        ]
    )
    assert code == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_moto_accepts_every_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sagemaker: Any
) -> None:
    requests = export(pipeline(tmp_path), capsys)
    for create_model in requests["CreateModel"]:
        sagemaker.create_model(**create_model)
    sagemaker.create_endpoint_config(**requests["CreateEndpointConfig"])
    sagemaker.create_endpoint(**requests["CreateEndpoint"])
    sagemaker.create_transform_job(**requests["CreateTransformJob"])

    model = sagemaker.describe_model(ModelName="car-evaluation")
    assert [c["Image"] for c in model["Containers"]] == [
        REGISTRY + "inferline-sparkml:latest",
        REGISTRY + "inferline-xgboost:latest",
        "987654321098.dkr.ecr.eu-west-1.amazonaws.com/custom:1",
    ]
    assert model["Containers"][0]["Environment"] == SAMPLE_ENVIRONMENT
    endpoint = sagemaker.describe_endpoint(EndpointName="car-evaluation")
    assert endpoint["EndpointConfigName"] == "car-evaluation-config"
    job = sagemaker.describe_transform_job(TransformJobName="car-evaluation-transform")
    assert job["ModelName"] == "car-evaluation"


def test_local_archives_are_uploads_under_the_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = export(pipeline(tmp_path), capsys)
    urls = [c["ModelDataUrl"] for c in requests["CreateModel"][0]["Containers"]]
    assert urls == [
        f"{BUCKET}/car-evaluation/preprocess/model.tar.gz",
        f"{BUCKET}/car-evaluation/xgboost/model.tar.gz",
        "s3://elsewhere/post/model.tar.gz",
    ]
    assert [(Path(u["File"]), u["S3Uri"]) for u in requests["Uploads"]] == [
        (tmp_path / "preprocess" / "model.tar.gz", urls[0]),
        (tmp_path / "xgboost" / "model.tar.gz", urls[1]),
    ]


def test_one_container_is_a_primary_container(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sagemaker: Any
) -> None:
    definition = tmp_path / "model.json"
    definition.write_text(
        json.dumps(
            {
                "ModelName": "featurizer",
                "PrimaryContainer": {
                    "Image": "inferline-sklearn",
                    "ModelDataUrl": archive(tmp_path / "m"),
                },
            }
        )
    )
    request = export(definition, capsys)["CreateModel"][0]
    assert "Containers" not in request and "ContainerHostname" not in request["PrimaryContainer"]
    sagemaker.create_model(**request)
    assert sagemaker.describe_model(ModelName="featurizer")["PrimaryContainer"]["Image"] == (
        REGISTRY + "inferline-sklearn"
    )


def test_model_data_prefix_must_be_s3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "export",
            str(pipeline(tmp_path)),
            "--image-uri-prefix",
            REGISTRY,
            "--model-data-prefix",
            "/local/folder",
        ]
    )
    assert code == 2
    assert "--model-data-prefix must be an s3:// URI" in capsys.readouterr().err
