"""Transform jobs through boto3 and the SDK's `PipelineModel.transformer().transform()`.

They run on the batch transform engine (containers/batch); s3:// input and output go
to moto's S3 server on 127.0.0.1 (AWS_ENDPOINT_URL_S3), local paths stay local;
data capture to an s3:// DestinationS3Uri and ModelDataUrl from s3:// are tested
here too, beside that server.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

from inferline.containers.controlplane import ControlPlane
from tests.controlplane.conftest import (
    FAST,
    REGION,
    ROLE,
    create_plus_model,
    invoke,
    sdk_stages,
    variant,
    wait_in_service,
)
from tests.harness.conftest import expected
from tests.s3 import s3_on_moto


@pytest.fixture
def s3(moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return s3_on_moto(moto_s3_url, monkeypatch, region=REGION, buckets=("data",))


def job_request(name: str, model: str, source: str, output: str) -> dict[str, Any]:
    return {
        "TransformJobName": name,
        "ModelName": model,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": output, "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "BatchStrategy": "MultiRecord",
    }


def wait(sm: Any, name: str) -> dict[str, Any]:
    sm.get_waiter("transform_job_completed_or_stopped").wait(
        TransformJobName=name, WaiterConfig=FAST
    )
    described: dict[str, Any] = sm.describe_transform_job(TransformJobName=name)
    return described


def progress_of(sm: Any, name: str) -> dict[str, int] | None:
    """DescribeTransformJob's ``Progress``, read from the raw answer (botocore drops it)."""
    raw: dict[str, Any] = {}

    def keep(http_response: Any, **_: Any) -> None:
        raw.update(json.loads(http_response.content))

    event = "after-call.sagemaker.DescribeTransformJob"
    sm.meta.events.register(event, keep)
    try:
        sm.describe_transform_job(TransformJobName=name)
    finally:
        sm.meta.events.unregister(event, keep)
    progress: dict[str, int] | None = raw.get("Progress")
    return progress


def test_a_transform_job_through_boto3(sm: Any, plus: dict[int, Path], tmp_path: Path) -> None:
    create_plus_model(sm, plus, "batch-plus", 1)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.csv").write_text("1\n2\n3\n")
    (inputs / "b.csv").write_text("10\n")
    sm.create_transform_job(
        **job_request("batch-plus", "batch-plus", str(inputs), f"file://{tmp_path}/out")
    )
    assert sm.describe_transform_job(TransformJobName="batch-plus")["TransformJobStatus"] in (
        "InProgress",
        "Completed",
    )
    with pytest.raises(ClientError, match="a job with this name already exists") as caught:
        sm.create_transform_job(
            **job_request("batch-plus", "batch-plus", str(inputs), str(tmp_path))
        )
    assert caught.value.response["Error"]["Code"] == "ResourceInUse"
    described = wait(sm, "batch-plus")
    assert described["TransformJobStatus"] == "Completed"
    assert described["TransformStartTime"] <= described["TransformEndTime"]
    assert (tmp_path / "out" / "a.csv.out").read_text().split() == ["2.0", "3.0", "4.0"]
    assert (tmp_path / "out" / "b.csv.out").read_text().split() == ["11.0"]
    assert progress_of(sm, "batch-plus") == {
        "FilesTotal": 2,
        "FilesDone": 2,
        "FilesFailed": 0,
        "Records": 4,
        "Requests": 2,  # MultiRecord: one request per file
    }
    listed = sm.list_transform_jobs(StatusEquals="Completed", NameContains="batch-")
    assert [job["TransformJobName"] for job in listed["TransformJobSummaries"]] == ["batch-plus"]

    with pytest.raises(ClientError) as caught:
        sm.describe_transform_job(TransformJobName="no-such-job")
    assert caught.value.response["Error"] == {
        "Code": "ResourceNotFound",
        "Message": "Could not find requested job with name no-such-job",
    }


def test_a_job_whose_records_fail_reports_why(
    sm: Any, plus: dict[int, Path], tmp_path: Path
) -> None:
    create_plus_model(sm, plus, "batch-bad", 1)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "bad.csv").write_text("not,a,number\n")
    sm.create_transform_job(
        **job_request("batch-bad", "batch-bad", str(inputs), str(tmp_path / "out"))
    )
    described = wait_failed(sm, "batch-bad")
    assert described["TransformJobStatus"] == "Failed"
    assert "bad.csv" in described["FailureReason"]


def wait_failed(sm: Any, name: str) -> dict[str, Any]:
    from botocore.exceptions import WaiterError

    with pytest.raises(WaiterError):
        wait(sm, name)
    described: dict[str, Any] = sm.describe_transform_job(TransformJobName=name)
    return described


def test_the_sdk_transformer_reads_and_writes_s3(
    sm: Any,
    runtime: Any,
    plane: ControlPlane,
    models: dict[str, Path],
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # v2 is what the issue targets
    import sagemaker
    from sagemaker.pipeline import PipelineModel

    rows = [("M", 0.5, 0.4), ("F", 0.3, 0.2), ("I", 0.1, 0.1)]
    body = "".join(",".join(str(value) for value in row) + "\n" for row in rows)
    s3.put_object(Bucket="data", Key="abalone/in/rows.csv", Body=body.encode())
    session = sagemaker.Session(
        boto_session=boto3.Session(region_name=REGION),
        sagemaker_client=sm,
        sagemaker_runtime_client=runtime,
    )
    stages = sdk_stages(models, session)
    model = PipelineModel(models=stages, role=ROLE, name="sdk-batch", sagemaker_session=session)
    transformer = model.transformer(
        instance_count=1,
        instance_type="ml.m5.large",
        output_path="s3://data/abalone/out",
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
    )
    transformer.transform(
        "s3://data/abalone/in/",
        content_type="text/csv",
        split_type="Line",
        job_name="sdk-batch",
        wait=False,
        logs=False,
    )
    described = wait(sm, "sdk-batch")
    assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
    output = s3.get_object(Bucket="data", Key="abalone/out/rows.csv.out")["Body"].read().decode()
    np.testing.assert_allclose(
        [float(line) for line in output.split()], expected(rows, models), rtol=1e-6
    )
    page = plane.url + "/"
    import urllib3

    html = urllib3.request("GET", page).data.decode()
    assert "data-transform-job='sdk-batch'" in html and "Completed" in html


def test_stop_transform_job_ends_stopped(sm: Any, plus: dict[int, Path], tmp_path: Path) -> None:
    create_plus_model(sm, plus, "batch-stop", 1)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "rows.csv").write_text("1\n")
    sm.create_transform_job(
        **job_request("batch-stop", "batch-stop", str(inputs), str(tmp_path / "out"))
    )
    sm.stop_transform_job(TransformJobName="batch-stop")  # its containers are still starting
    assert sm.describe_transform_job(TransformJobName="batch-stop")["TransformJobStatus"] in (
        "Stopping",
        "Stopped",
    )
    assert wait(sm, "batch-stop")["TransformJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="only an InProgress job can be stopped"):
        sm.stop_transform_job(TransformJobName="batch-stop")


def test_stop_transform_job_mid_run_keeps_finished_files_only(
    sm: Any, plus: dict[int, Path], tmp_path: Path
) -> None:
    create_plus_model(sm, plus, "batch-halt", 1)
    inputs, output = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    files = 20
    for number in range(files):
        (inputs / f"part-{number:02}.csv").write_text("".join(f"{row}\n" for row in range(200)))
    request = job_request("batch-halt", "batch-halt", str(inputs), str(output))
    request["BatchStrategy"] = "SingleRecord"  # 4,000 requests: far more than a stop takes
    sm.create_transform_job(**request)
    deadline = time.monotonic() + 120
    progress = progress_of(sm, "batch-halt")
    while (progress is None or progress["FilesDone"] < 1) and time.monotonic() < deadline:
        time.sleep(0.05)
        progress = progress_of(sm, "batch-halt")
    assert progress is not None and progress["FilesDone"] >= 1 and progress["Records"] >= 200
    sm.stop_transform_job(TransformJobName="batch-halt")
    described = wait(sm, "batch-halt")
    assert described["TransformJobStatus"] == "Stopped"
    assert "FailureReason" not in described
    final = progress_of(sm, "batch-halt")
    assert final is not None and 1 <= final["FilesDone"] < files
    written = sorted(path.name for path in output.glob("*.out"))
    assert len(written) == final["FilesDone"]
    assert written == [f"part-{number:02}.csv.out" for number in range(len(written))]
    assert not list(output.glob("*.partial"))  # the file under way kept nothing
    import urllib3

    html = urllib3.request("GET", f"{sm.meta.endpoint_url}/").data.decode()
    assert f"files {final['FilesDone']}/{files}" in html


def test_data_capture_writes_to_s3(sm: Any, runtime: Any, plus: dict[int, Path], s3: Any) -> None:
    create_plus_model(sm, plus, "captured", 1)
    sm.create_endpoint_config(
        EndpointConfigName="captured",
        ProductionVariants=[variant("captured")],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": "s3://data/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    sm.create_endpoint(EndpointName="captured", EndpointConfigName="captured")
    wait_in_service(sm, "captured")
    assert invoke(runtime, "captured", "5") == ("6.0", "AllTraffic")
    deadline = time.monotonic() + 60
    keys: list[str] = []
    while not keys and time.monotonic() < deadline:
        listed = s3.list_objects_v2(Bucket="data", Prefix="capture/captured/AllTraffic/")
        keys = [item["Key"] for item in listed.get("Contents", [])]
        time.sleep(0.1)
    (key,) = keys
    assert key.endswith(".jsonl") and len(key.split("/")) == 8  # .../yyyy/mm/dd/hh/file
    record = json.loads(s3.get_object(Bucket="data", Key=key)["Body"].read())
    assert record["captureData"]["endpointInput"]["data"] == "5"
    assert record["captureData"]["endpointOutput"]["data"].strip() == "6.0"
    sm.delete_endpoint(EndpointName="captured")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="captured", WaiterConfig=FAST)


def test_model_data_from_s3(sm: Any, runtime: Any, plus: dict[int, Path], s3: Any) -> None:
    s3.upload_file(str(plus[2] / "model.joblib"), "data", "models/plus-two/model.joblib")
    sm.create_model(
        ModelName="from-s3",
        PrimaryContainer={
            "Image": "inferline-sklearn",
            "ModelDataUrl": "s3://data/models/plus-two/",
        },
    )
    sm.create_endpoint_config(EndpointConfigName="from-s3", ProductionVariants=[variant("from-s3")])
    sm.create_endpoint(EndpointName="from-s3", EndpointConfigName="from-s3")
    wait_in_service(sm, "from-s3")
    assert invoke(runtime, "from-s3", "1") == ("3.0", "AllTraffic")
    sm.delete_endpoint(EndpointName="from-s3")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="from-s3", WaiterConfig=FAST)
