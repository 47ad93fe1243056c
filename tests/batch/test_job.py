"""The job definition: CreateTransformJob validated as SageMaker does, and settings precedence."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from inferline.containers.batch.job import (
    Settings,
    TransformJob,
    container_environment,
    request_from_options,
    resolve,
)
from inferline.containers.core.errors import ConfigurationError

REQUEST: dict[str, Any] = {
    "TransformJobName": "abalone-batch",
    "ModelName": "abalone",
    "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "/data/in"}},
        "ContentType": "text/csv",
        "SplitType": "Line",
        "CompressionType": "Gzip",
    },
    "TransformOutput": {
        "S3OutputPath": "file:///data/out",
        "Accept": "text/csv",
        "AssembleWith": "Line",
    },
    "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    "BatchStrategy": "SingleRecord",
    "MaxPayloadInMB": 10,
    "MaxConcurrentTransforms": 4,
    "ModelClientConfig": {"InvocationsTimeoutInSeconds": 30, "InvocationsMaxRetries": 1},
    "DataProcessing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    "Environment": {"MY_SETTING": "1"},
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """REQUEST with one member set (value None: removed); path like 'TransformInput.SplitType'."""
    request = copy.deepcopy(REQUEST)
    *parents, last = path.split(".")
    target = request
    for key in parents:
        target = target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return request


def test_a_full_request_is_read_member_by_member() -> None:
    job = TransformJob.from_request(REQUEST)
    assert (job.input_uri, job.output_uri, job.data_type) == (
        "/data/in",
        "file:///data/out",
        "S3Prefix",
    )
    assert (job.content_type, job.split_type, job.compression) == ("text/csv", "Line", "Gzip")
    assert (job.accept, job.assemble_with) == ("text/csv", "Line")
    assert (job.strategy, job.max_payload_mb, job.max_concurrent) == ("SingleRecord", 10, 4)
    assert (job.timeout_seconds, job.max_retries) == (30, 1)
    assert (job.input_filter, job.join_source, job.output_filter) == ("$[1:]", "Input", "$[0,-1]")
    assert job.environment == {"MY_SETTING": "1"}


def test_defaults_are_the_apis() -> None:
    request = {key: REQUEST[key] for key in ("TransformJobName", "ModelName", "TransformResources")}
    request["TransformInput"] = {"DataSource": REQUEST["TransformInput"]["DataSource"]}
    request["TransformOutput"] = {"S3OutputPath": "/data/out"}
    job = TransformJob.from_request(request)
    assert (job.split_type, job.compression, job.assemble_with) == ("None", "None", "None")
    assert (job.strategy, job.max_payload_mb, job.max_concurrent) == (None, None, None)
    assert (job.timeout_seconds, job.max_retries) == (600, 3)
    assert (job.input_filter, job.join_source, job.output_filter) == ("$", "None", "$")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("TransformResources", None, 'Missing required parameter in input: "TransformResources"'),
        (
            "TransformInput.SplitType",
            "Lines",
            "'Lines' is not one of None, Line, RecordIO, TFRecord",
        ),
        ("BatchStrategy", "MULTI_RECORD", "is not one of MultiRecord, SingleRecord"),
        ("TransformJobName", "bad_name", "does not match the pattern"),
        ("ModelClientConfig.InvocationsMaxRetries", 4, "4 is over the maximum of 3"),
        ("ModelClientConfig.InvocationsTimeoutInSeconds", 0, "valid min value: 1"),
        ("MaxPayloadInMB", "6", "Invalid type for parameter MaxPayloadInMB"),
        ("DataProcessing.InputFilter", "$" + ".a" * 40, "over the maximum of 63"),
        ("Environment", {f"K{i}": "v" for i in range(17)}, "17 entries, over the maximum of 16"),
        ("Environment", {"1BAD": "v"}, "does not match the pattern"),
        ("Unknown", 1, 'Unknown parameter in input: "Unknown"'),
    ],
)
def test_shapes_and_limits_of_botocores_model(path: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match="CreateTransformJob request is invalid") as raised:
        TransformJob.from_request(with_change(path, value))
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("MaxPayloadInMB", 101, "MaxPayloadInMB 101 is over the maximum of 100"),
        ("MaxPayloadInMB", 0, "MaxPayloadInMB 0 (HTTP chunked streaming) is not supported"),
        ("MaxConcurrentTransforms", 11, "11 x 10 = 110 MB, over the limit of 100 MB"),
        ("TransformInput.SplitType", "TFRecord", "SplitType TFRecord is not supported"),
        (
            "TransformInput.DataSource.S3DataSource.S3DataType",
            "AugmentedManifestFile",
            "not supported",
        ),
        (
            "TransformOutput.Accept",
            "application/json",
            "JoinSource Input needs Accept equal to ContentType",
        ),
        ("TransformOutput.AssembleWith", "None", "needs AssembleWith equal to SplitType"),
        ("DataProcessing.InputFilter", "$.features", "only index paths such as $[0]"),
        ("DataProcessing.OutputFilter", "$..a", ".. (descendants) is not supported"),
        ("DataProcessing.OutputFilter", "id", "must start with $"),
    ],
)
def test_sagemakers_rules_across_members(path: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        TransformJob.from_request(with_change(path, value))
    assert message in str(raised.value)


def test_joining_csv_needs_line_split_and_assembly() -> None:
    request = with_change("TransformInput.SplitType", "None")
    request["TransformOutput"]["AssembleWith"] = "None"
    with pytest.raises(ConfigurationError, match="text/csv needs SplitType and AssembleWith Line"):
        TransformJob.from_request(request)


def test_filters_need_a_format_they_can_read() -> None:
    request = with_change("TransformInput.ContentType", "application/x-recordio-protobuf")
    request["TransformOutput"]["Accept"] = "application/x-recordio-protobuf"
    with pytest.raises(ConfigurationError, match="DataProcessing needs ContentType to be one of"):
        TransformJob.from_request(request)


def test_options_build_the_request_the_sdk_sends() -> None:
    request = request_from_options(
        model_name="abalone",
        input_uri="/data/in",
        output_uri="/data/out",
        name="job-1",
        content_type="text/csv",
        split_type="Line",
        strategy="MultiRecord",
        max_payload=2,
        join_source="Input",
        accept="text/csv",
        assemble_with="Line",
        environment={"A": "b"},
    )
    assert request["TransformInput"]["SplitType"] == "Line"
    assert request["DataProcessing"] == {"JoinSource": "Input"}
    assert "ModelClientConfig" not in request
    job = TransformJob.from_request(request)
    assert (job.strategy, job.max_payload_mb, job.environment) == ("MultiRecord", 2, {"A": "b"})


def job(**changes: Any) -> TransformJob:
    base = TransformJob(name="j", model_name="m", input_uri="/in", output_uri="/out")
    return TransformJob(**{**base.__dict__, **changes})


def test_precedence_job_then_execution_parameters_then_defaults() -> None:
    answered = {"MaxConcurrentTransforms": 8, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 5}
    assert resolve(job(), {}) == Settings(
        1, "MultiRecord", 6, {name: "default" for name in answered}
    )
    from_container = resolve(job(), answered)
    assert (
        from_container.max_concurrent,
        from_container.strategy,
        from_container.max_payload_mb,
    ) == (
        8,
        "SingleRecord",  # the env-var spelling it answers, read as the API's
        5,
    )
    mixed = resolve(job(max_payload_mb=20, strategy="MultiRecord"), answered)
    assert (mixed.max_concurrent, mixed.strategy, mixed.max_payload_mb) == (8, "MultiRecord", 20)
    assert mixed.origin == {
        "MaxConcurrentTransforms": "execution-parameters",
        "BatchStrategy": "job",
        "MaxPayloadInMB": "job",
    }
    assert (
        mixed.log_line()
        == "MaxConcurrentTransforms=8, MaxPayloadInMB=20, BatchStrategy=MULTI_RECORD"
    )


def test_a_container_answering_nonsense_is_named() -> None:
    with pytest.raises(ConfigurationError, match="answered BatchStrategy='SOMETIMES'"):
        resolve(job(), {"BatchStrategy": "SOMETIMES"})


def test_containers_get_only_the_values_the_job_sets() -> None:
    assert container_environment(job()) == {"SAGEMAKER_BATCH": "true"}
    assert container_environment(
        job(max_payload_mb=3, strategy="SingleRecord", max_concurrent=2, environment={"X": "1"})
    ) == {
        "SAGEMAKER_BATCH": "true",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": "3",
        "SAGEMAKER_BATCH_STRATEGY": "SINGLE_RECORD",
        "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS": "2",
        "X": "1",
    }


def test_the_fingerprint_ignores_the_name_but_not_the_work() -> None:
    pipeline = b"{}"
    assert job().fingerprint(pipeline) == job(name="other").fingerprint(pipeline)
    assert job().fingerprint(pipeline) != job(split_type="Line").fingerprint(pipeline)
    assert job().fingerprint(pipeline) != job().fingerprint(b"{ }")
