"""The control plane's protocol, validation, errors, listing and state, through boto3.

Error codes and messages are AWS's: botocore reads ``__type`` into the ClientError's
code, and the texts are those SageMaker answers (unknown names and duplicates name
the resource's ARN; constraint violations name the member as AWS does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError, WaiterError

from inferline.containers.controlplane import ControlPlane, serve_control_plane
from tests.controlplane.conftest import (
    FAST,
    client,
    create_plus_model,
    plus_container,
    variant,
)

ARN = "arn:aws:sagemaker:eu-west-1:123456789012"


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def raw(plane: ControlPlane, target: str, body: bytes) -> urllib3.BaseHTTPResponse:
    return urllib3.request(
        "POST",
        plane.url + "/",
        body=body,
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        retries=False,
    )


def test_an_operation_not_served_answers_unknown_operation(sm: Any, plane: ControlPlane) -> None:
    code, message = error_of(sm.list_training_jobs)
    assert code == "UnknownOperationException"
    assert "ListTrainingJobs is not served by this local control plane" in message
    answer = raw(plane, "SageMaker.Frobnicate", b"{}")
    assert answer.status == 400
    assert answer.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "Frobnicate is not a SageMaker operation" in answer.json()["message"]


def test_a_body_that_is_not_json_is_a_serialization_error(plane: ControlPlane) -> None:
    answer = raw(plane, "SageMaker.ListModels", b"{not json")
    assert answer.status == 400
    assert answer.json()["__type"] == "SerializationException"


def test_requests_are_validated_against_the_service_model(sm: Any, plane: ControlPlane) -> None:
    code, message = error_of(
        sm.create_model, ModelName="bad_name!", PrimaryContainer={"Image": "inferline-sklearn"}
    )
    assert code == "ValidationException"
    assert message == (
        "1 validation error detected: Value 'bad_name!' at 'modelName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"
    )
    code, message = error_of(sm.describe_endpoint, EndpointName="e" * 64)
    assert (
        "at 'endpointName' failed to satisfy constraint: Member must have length less "
        "than or equal to 63" in message
    )
    answer = raw(plane, "SageMaker.CreateEndpointConfig", json.dumps({}).encode())
    assert answer.json() == {
        "__type": "ValidationException",
        "message": "2 validation errors detected: Value null at 'endpointConfigName' failed to "
        "satisfy constraint: Member must not be null; Value null at 'productionVariants' failed "
        "to satisfy constraint: Member must not be null",
    }
    code, message = error_of(
        sm.create_model,
        ModelName="mode",
        Containers=[{"Image": "inferline-sklearn"}],
        InferenceExecutionConfig={"Mode": "Parallel"},
    )
    assert "Member must satisfy enum value set: [Serial, Direct]" in message


def test_unknown_names_answer_aws_messages(sm: Any) -> None:
    assert error_of(sm.describe_model, ModelName="nope") == (
        "ValidationException",
        f'Could not find model "{ARN}:model/nope".',
    )
    assert error_of(sm.delete_model, ModelName="Nope")[1] == (
        f'Could not find model "{ARN}:model/nope".'
    )
    assert error_of(sm.describe_endpoint_config, EndpointConfigName="nope")[1] == (
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".'
    )
    assert error_of(sm.describe_endpoint, EndpointName="nope")[1] == (
        f'Could not find endpoint "{ARN}:endpoint/nope".'
    )
    assert error_of(sm.create_endpoint, EndpointName="e", EndpointConfigName="nope")[1] == (
        f'Could not find endpoint configuration "{ARN}:endpoint-config/nope".'
    )
    assert error_of(
        sm.create_endpoint_config,
        EndpointConfigName="c",
        ProductionVariants=[variant("no-such-model")],
    )[1] == (f'Could not find model "{ARN}:model/no-such-model".')


def test_duplicates_are_refused(sm: Any, plus: dict[int, Path]) -> None:
    create_plus_model(sm, plus, "dup", 1)
    assert error_of(sm.create_model, ModelName="dup", PrimaryContainer=plus_container(plus, 1)) == (
        "ValidationException",
        f'Cannot create already existing model "{ARN}:model/dup".',
    )
    sm.create_endpoint_config(EndpointConfigName="dup", ProductionVariants=[variant("dup")])
    assert error_of(
        sm.create_endpoint_config, EndpointConfigName="dup", ProductionVariants=[variant("dup")]
    )[1] == (f'Cannot create already existing endpoint configuration "{ARN}:endpoint-config/dup".')
    described = sm.describe_model(ModelName="dup")
    assert described["ModelArn"] == f"{ARN}:model/dup"
    assert described["PrimaryContainer"]["ModelDataUrl"] == str(plus[1])
    assert described["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/local"
    sm.delete_endpoint_config(EndpointConfigName="dup")
    sm.delete_model(ModelName="dup")
    assert error_of(sm.describe_model, ModelName="dup")[0] == "ValidationException"


def test_models_that_cannot_run_are_refused_at_create_model(sm: Any, tmp_path: Path) -> None:
    code, message = error_of(
        sm.create_model,
        ModelName="missing-data",
        PrimaryContainer={"Image": "inferline-sklearn", "ModelDataUrl": str(tmp_path / "none")},
    )
    assert message.startswith(f"Could not access model data at {tmp_path / 'none'}")
    code, message = error_of(
        sm.create_model, ModelName="unknown-image", PrimaryContainer={"Image": "someone/else:1"}
    )
    assert code == "ValidationException"
    assert "Container primary (image someone/else:1) cannot run here" in message
    assert "docker" in message  # a foreign image runs under docker: no engine, or not pulled
    code, message = error_of(
        sm.create_model,
        ModelName="half-named",
        Containers=[
            {"Image": "inferline-sklearn", "ContainerHostname": "a"},
            {"Image": "inferline-sklearn"},
        ],
    )
    assert "ContainerHostname must be set on all containers or on none" in message


def test_lists_filter_sort_and_page(sm: Any, plus: dict[int, Path]) -> None:
    names = [f"listed-{index:02d}" for index in range(12)]
    for name in names:
        create_plus_model(sm, plus, name, 1)
    pages = list(
        sm.get_paginator("list_models").paginate(
            NameContains="LISTED",
            SortBy="Name",
            SortOrder="Ascending",
            PaginationConfig={"PageSize": 5},
        )
    )
    assert [len(page["Models"]) for page in pages] == [5, 5, 2]
    assert [m["ModelName"] for page in pages for m in page["Models"]] == names
    assert set(pages[0]["Models"][0]) == {"ModelName", "ModelArn", "CreationTime"}
    newest = sm.list_models(NameContains="listed-", MaxResults=1)["Models"][0]["ModelName"]
    assert newest == names[-1]  # CreationTime, Descending, by default
    later = sm.list_models(
        NameContains="listed-", CreationTimeAfter=pages[0]["Models"][0]["CreationTime"]
    )
    assert "listed-00" not in [m["ModelName"] for m in later["Models"]]
    code, message = error_of(sm.list_models, NextToken="not-a-token")
    assert code == "ValidationException" and "Invalid pagination token" in message
    for name in names:
        sm.delete_model(ModelName=name)


def test_instances_beyond_the_machine_limit_are_refused(sm: Any, plus: dict[int, Path]) -> None:
    create_plus_model(sm, plus, "big", 1)
    sm.create_endpoint_config(
        EndpointConfigName="big", ProductionVariants=[variant("big", count=7)]
    )
    code, message = error_of(sm.create_endpoint, EndpointName="big", EndpointConfigName="big")
    assert code == "ResourceLimitExceeded"
    assert (
        "is 6 Instances, with current utilization of 0 Instances and a request delta of 7"
        in message
    )
    assert error_of(sm.describe_endpoint, EndpointName="big")[0] == "ValidationException"


def test_a_container_that_never_gets_healthy_fails_the_endpoint(sm: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty-model"
    empty.mkdir()
    sm.create_model(
        ModelName="broken",
        PrimaryContainer={"Image": "inferline-sklearn", "ModelDataUrl": str(empty)},
    )
    sm.create_endpoint_config(EndpointConfigName="broken", ProductionVariants=[variant("broken")])
    sm.create_endpoint(EndpointName="broken", EndpointConfigName="broken")
    assert sm.describe_endpoint(EndpointName="broken")["EndpointStatus"] == "Creating"
    with pytest.raises(WaiterError):
        sm.get_waiter("endpoint_in_service").wait(EndpointName="broken", WaiterConfig=FAST)
    described = sm.describe_endpoint(EndpointName="broken")
    assert described["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in described["FailureReason"]
    sm.delete_endpoint(EndpointName="broken")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="broken", WaiterConfig=FAST)


def test_what_was_created_survives_a_restart(tmp_path: Path, plus: dict[int, Path]) -> None:
    first = serve_control_plane(0, tmp_path)
    try:
        sm = client("sagemaker", first.url)
        create_plus_model(sm, plus, "kept", 2)
        sm.create_endpoint_config(EndpointConfigName="kept", ProductionVariants=[variant("kept")])
    finally:
        first.close()
    second = serve_control_plane(0, tmp_path)
    try:
        sm = client("sagemaker", second.url)
        assert sm.describe_model(ModelName="kept")["PrimaryContainer"]["ModelDataUrl"] == str(
            plus[2]
        )
        assert (
            sm.describe_endpoint_config(EndpointConfigName="kept")["ProductionVariants"][0][
                "ModelName"
            ]
            == "kept"
        )
    finally:
        second.close()
