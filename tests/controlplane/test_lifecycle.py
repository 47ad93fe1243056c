"""Endpoints through boto3, executed for real: instances, capture, updates, weights, delete.

Each test creates its own endpoint on the module's control plane (6 instances at
most) and deletes it at the end, so the limit holds for the next.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from inferline.containers.controlplane import ControlPlane, serve_control_plane
from tests.controlplane.conftest import (
    FAST,
    client,
    create_plus_model,
    invoke,
    variant,
    wait_in_service,
)
from tests.harness.conftest import expected, pipeline

DEADLINE_SECONDS = 60.0
LOAD_THREADS = 4


def delete(sm: Any, name: str) -> None:
    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig=FAST)


def capture_files(root: Path, count: int) -> list[dict[str, Any]]:
    """The capture records under `root`, once `count` are written (bounded wait)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        lines = [
            json.loads(line)
            for path in sorted(root.rglob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_a_pipeline_on_two_instances_serves_and_captures(
    sm: Any, runtime: Any, plane: ControlPlane, models: dict[str, Path], tmp_path: Path
) -> None:
    document = pipeline(models, name="abalone")
    sm.create_model(
        ModelName="abalone",
        Containers=document["Containers"],
        InferenceExecutionConfig={"Mode": "Serial"},
    )
    sm.create_endpoint_config(
        EndpointConfigName="abalone",
        ProductionVariants=[variant("abalone", count=2)],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"file://{tmp_path}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        },
    )
    sm.create_endpoint(EndpointName="abalone", EndpointConfigName="abalone")
    assert sm.describe_endpoint(EndpointName="abalone")["EndpointStatus"] == "Creating"
    described = wait_in_service(sm, "abalone")
    (summary,) = described["ProductionVariants"]
    assert summary["CurrentInstanceCount"] == 2
    assert summary["CurrentWeight"] == 1.0
    assert [image["SpecifiedImage"] for image in summary["DeployedImages"]] == [
        container["Image"] for container in document["Containers"]
    ]
    assert described["DataCaptureConfig"]["CaptureStatus"] == "Started"

    rows = [("M", 0.5, 0.4), ("F", 0.3, 0.2)]
    body = "\n".join(",".join(str(value) for value in row) for row in rows)
    for index in range(6):
        answer = runtime.invoke_endpoint(
            EndpointName="abalone",
            Body=body.encode(),
            ContentType="text/csv",
            Accept="application/json",
            InferenceId=f"request-{index}",
        )
        predictions = [
            row["prediction"] for row in json.loads(answer["Body"].read())["predictions"]
        ]
        np.testing.assert_allclose(predictions, expected(rows, models), rtol=1e-6)
    copies = plane.live["abalone"].copies("AllTraffic")
    assert [copy.served for copy in copies] == [3, 3]  # round-robin over the instances

    records = capture_files(tmp_path / "capture" / "abalone" / "AllTraffic", 6)
    assert len(records) == 6
    first = records[0]
    assert first["eventVersion"] == "0"
    assert first["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": body,
        "encoding": "CSV",
    }
    output = first["captureData"]["endpointOutput"]
    assert output["mode"] == "OUTPUT" and output["encoding"] == "BASE64"  # JSON not listed
    assert json.loads(base64.b64decode(output["data"]))
    assert {r["eventMetadata"]["inferenceId"] for r in records} == {
        f"request-{i}" for i in range(6)
    }
    folders = {
        path.parent.relative_to(tmp_path / "capture")
        for path in (tmp_path / "capture").rglob("*.jsonl")
    }
    assert all(len(folder.parts) == 6 for folder in folders)  # endpoint/variant/yyyy/mm/dd/hh
    delete(sm, "abalone")
    with pytest.raises(ClientError, match="not found"):
        invoke(runtime, "abalone")


def test_update_endpoint_under_load_loses_no_request(
    sm: Any, runtime: Any, plus: dict[int, Path]
) -> None:
    create_plus_model(sm, plus, "plus-one", 1)
    create_plus_model(sm, plus, "plus-two", 2)
    sm.create_endpoint_config(EndpointConfigName="one", ProductionVariants=[variant("plus-one")])
    sm.create_endpoint_config(EndpointConfigName="two", ProductionVariants=[variant("plus-two")])
    sm.create_endpoint(EndpointName="rolling", EndpointConfigName="one")
    wait_in_service(sm, "rolling")
    assert invoke(runtime, "rolling") == ("2.0", "AllTraffic")

    answers: list[str] = []
    failures: list[Exception] = []
    updated = threading.Event()

    def load() -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        after = 0
        while time.monotonic() < deadline and after < 20:
            try:
                answers.append(invoke(runtime, "rolling")[0])
            except Exception as error:  # noqa: BLE001 - every failure is the test's finding
                failures.append(error)
            if updated.is_set():
                after += 1

    threads = [threading.Thread(target=load) for _ in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    sm.update_endpoint(EndpointName="rolling", EndpointConfigName="two")
    assert sm.describe_endpoint(EndpointName="rolling")["EndpointStatus"] == "Updating"
    code = _error_code(sm.update_endpoint, EndpointName="rolling", EndpointConfigName="one")
    assert code == "ValidationException"  # Cannot update in-progress endpoint
    described = wait_in_service(sm, "rolling")
    updated.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert set(answers) == {"2.0", "3.0"}
    assert answers[-1] == "3.0"
    assert described["EndpointConfigName"] == "two"
    delete(sm, "rolling")


def _error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return str(caught.value.response["Error"]["Code"])


def test_weights_and_capacities_change_live(
    sm: Any, runtime: Any, plane: ControlPlane, plus: dict[int, Path]
) -> None:
    create_plus_model(sm, plus, "weights-one", 1)
    create_plus_model(sm, plus, "weights-two", 2)
    sm.create_endpoint_config(
        EndpointConfigName="weights",
        ProductionVariants=[variant("weights-one", "One"), variant("weights-two", "Two")],
    )
    sm.create_endpoint(EndpointName="weights", EndpointConfigName="weights")
    wait_in_service(sm, "weights")
    assert invoke(runtime, "weights", TargetVariant="Two") == ("3.0", "Two")
    assert invoke(runtime, "weights", TargetVariant="One") == ("2.0", "One")

    sm.update_endpoint_weights_and_capacities(
        EndpointName="weights",
        DesiredWeightsAndCapacities=[
            {"VariantName": "One", "DesiredWeight": 0.0},
            {"VariantName": "Two", "DesiredInstanceCount": 2},
        ],
    )
    described = wait_in_service(sm, "weights")
    by_name = {v["VariantName"]: v for v in described["ProductionVariants"]}
    assert by_name["One"]["CurrentWeight"] == 0.0
    assert by_name["Two"]["CurrentInstanceCount"] == 2
    assert {invoke(runtime, "weights") for _ in range(10)} == {("3.0", "Two")}
    assert [copy.served > 0 for copy in plane.live["weights"].copies("Two")] == [
        True,
        True,
    ]

    sm.update_endpoint_weights_and_capacities(
        EndpointName="weights",
        DesiredWeightsAndCapacities=[{"VariantName": "Two", "DesiredInstanceCount": 1}],
    )
    described = wait_in_service(sm, "weights")
    assert {
        v["VariantName"]: v["CurrentInstanceCount"] for v in described["ProductionVariants"]
    } == {
        "One": 1,
        "Two": 1,
    }
    with pytest.raises(ClientError, match=r'The variant\(s\) "\[Three\]" is/are not present'):
        sm.update_endpoint_weights_and_capacities(
            EndpointName="weights",
            DesiredWeightsAndCapacities=[{"VariantName": "Three", "DesiredWeight": 1.0}],
        )
    delete(sm, "weights")


def test_endpoints_start_again_after_a_restart_and_capture_is_flushed_on_close(
    tmp_path: Path, plus: dict[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferline.containers.controlplane import capture as capturing

    monkeypatch.setattr(capturing, "FLUSH_SECONDS", 3600.0)  # only close() can write them
    capture = tmp_path / "capture"
    first = serve_control_plane(0, tmp_path / "home")
    try:
        sm = client("sagemaker", first.url)
        create_plus_model(sm, plus, "restarted", 2)
        sm.create_endpoint_config(
            EndpointConfigName="restarted",
            ProductionVariants=[variant("restarted")],
            DataCaptureConfig={
                "InitialSamplingPercentage": 100,
                "DestinationS3Uri": str(capture),
                "CaptureOptions": [{"CaptureMode": "Input"}],
            },
        )
        sm.create_endpoint(EndpointName="restarted", EndpointConfigName="restarted")
        wait_in_service(sm, "restarted")
        for _ in range(3):
            invoke(client("sagemaker-runtime", first.url), "restarted")
    finally:
        first.close()
    # close() wrote what was still buffered: no waiting here
    records = [
        json.loads(line)
        for path in capture.rglob("*.jsonl")
        for line in path.read_text().split("\n")
        if line
    ]
    assert len(records) == 3
    assert all("endpointOutput" not in r["captureData"] for r in records)  # Input only
    assert records[0]["captureData"]["endpointInput"]["encoding"] == "BASE64"  # no type header
    assert base64.b64decode(records[0]["captureData"]["endpointInput"]["data"]) == b"1.0"

    second = serve_control_plane(0, tmp_path / "home")
    try:
        sm = client("sagemaker", second.url)
        status = sm.describe_endpoint(EndpointName="restarted")["EndpointStatus"]
        assert status in ("Creating", "InService")
        wait_in_service(sm, "restarted")
        assert invoke(client("sagemaker-runtime", second.url), "restarted") == (
            "3.0",
            "AllTraffic",
        )
        delete(sm, "restarted")
    finally:
        second.close()


def test_a_pipeline_file_deploys_through_the_same_operations(
    sm: Any, runtime: Any, plane: ControlPlane, models: dict[str, Path], tmp_path: Path
) -> None:
    from inferline.containers.controlplane.definitions import deploy_file

    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(pipeline(models, name="from-file")))
    assert deploy_file(plane.operations, path) == "from-file"
    described = wait_in_service(sm, "from-file")
    assert described["EndpointConfigName"] == "from-file"
    model = sm.describe_model(ModelName="from-file")
    assert [c["ContainerHostname"] for c in model["Containers"]] == [
        "container-1",
        "container-2",
        "container-3",
    ]
    assert deploy_file(plane.operations, path) == "from-file"  # the same file again: reused
    answer = runtime.invoke_endpoint(
        EndpointName="from-file", Body=b"M,0.5,0.4", ContentType="text/csv", Accept="text/csv"
    )
    assert np.isclose(float(answer["Body"].read()), expected([("M", 0.5, 0.4)], models)[0])
    delete(sm, "from-file")
