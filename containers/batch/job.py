"""A batch transform job: the CreateTransformJob request, validated, and its resolved settings.

``--job JOB.json`` is read as SageMaker's CreateTransformJob request as is; the
command-line options build the very same request (named as the SDK's `Transformer`
names them), so both paths are validated by one function::

    job = TransformJob.from_request(request)          # ConfigurationError naming the key
    settings = resolve(job, execution_parameters)     # job, then container, then defaults

Precedence of MaxConcurrentTransforms, BatchStrategy and MaxPayloadInMB is
SageMaker's (awsdocs ``your-algorithms-batch-code.md``): the job's values, then what
the pipeline's ``GET /execution-parameters`` answers, then MaxConcurrentTransforms 1,
MaxPayloadInMB 6 and BatchStrategy MultiRecord (the SDK's local mode default).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from inferline.containers.batch.validation import validate_request
from inferline.containers.core.errors import ConfigurationError

DEFAULT_MAX_CONCURRENT = 1
DEFAULT_MAX_PAYLOAD_MB = 6
DEFAULT_STRATEGY = "MultiRecord"
MAX_PAYLOAD_MB = 100
MAX_TOTAL_PAYLOAD_MB = 100  # MaxConcurrentTransforms x MaxPayloadInMB (API_CreateTransformJob)
DEFAULT_TIMEOUT_SECONDS = 600  # ModelClientConfig.InvocationsTimeoutInSeconds
DEFAULT_MAX_RETRIES = 3  # ModelClientConfig.InvocationsMaxRetries
SUPPORTED_SPLITS = ("None", "Line", "RecordIO")
# DataProcessing works on these formats only (batch-transform-data-processing.md).
PROCESSABLE_TYPES = ("text/csv", "application/json", "application/jsonlines")
# The env-var spelling /execution-parameters answers -> the API's.
STRATEGY_NAMES = {
    "MULTI_RECORD": "MultiRecord",
    "SINGLE_RECORD": "SingleRecord",
    "MultiRecord": "MultiRecord",
    "SingleRecord": "SingleRecord",
}
ENV_STRATEGY = {"MultiRecord": "MULTI_RECORD", "SingleRecord": "SINGLE_RECORD"}
DEFAULT_RESOURCES = {"InstanceType": "ml.m5.large", "InstanceCount": 1}


@dataclass(frozen=True)
class TransformJob:
    """What one CreateTransformJob request asks for (None: the request leaves it unset)."""

    name: str
    model_name: str
    input_uri: str
    output_uri: str
    data_type: str = "S3Prefix"
    content_type: str | None = None
    compression: str = "None"
    split_type: str = "None"
    accept: str | None = None
    assemble_with: str = "None"
    strategy: str | None = None
    max_payload_mb: int | None = None
    max_concurrent: int | None = None
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    input_filter: str = "$"
    join_source: str = "None"
    output_filter: str = "$"
    environment: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> TransformJob:
        """Validate a CreateTransformJob request and read it.

        Raises:
            ConfigurationError: a member breaks the API's shapes or SageMaker's rules.
        """
        validate_request(request)
        source = request["TransformInput"]["DataSource"]["S3DataSource"]
        transform_input = request["TransformInput"]
        transform_output = request["TransformOutput"]
        client = request.get("ModelClientConfig", {})
        processing = request.get("DataProcessing", {})
        job = cls(
            name=request["TransformJobName"],
            model_name=request["ModelName"],
            input_uri=source["S3Uri"],
            output_uri=transform_output["S3OutputPath"],
            data_type=source["S3DataType"],
            content_type=transform_input.get("ContentType") or None,
            compression=transform_input.get("CompressionType", "None"),
            split_type=transform_input.get("SplitType", "None"),
            accept=transform_output.get("Accept") or None,
            assemble_with=transform_output.get("AssembleWith", "None"),
            strategy=request.get("BatchStrategy"),
            # 0 in MaxConcurrentTransforms is the API's "unset"; MaxPayloadInMB 0 is checked.
            max_payload_mb=request.get("MaxPayloadInMB"),
            max_concurrent=request.get("MaxConcurrentTransforms") or None,
            timeout_seconds=client.get("InvocationsTimeoutInSeconds", DEFAULT_TIMEOUT_SECONDS),
            max_retries=client.get("InvocationsMaxRetries", DEFAULT_MAX_RETRIES),
            input_filter=processing.get("InputFilter") or "$",
            join_source=processing.get("JoinSource", "None"),
            output_filter=processing.get("OutputFilter") or "$",
            environment=dict(request.get("Environment", {})),
        )
        job.check()
        return job

    def check(self) -> None:
        """SageMaker's rules across members, and what this engine does not support."""
        if self.data_type not in ("S3Prefix", "ManifestFile"):
            raise ConfigurationError(
                f"S3DataType {self.data_type} is not supported; use S3Prefix or ManifestFile"
            )
        if self.split_type not in SUPPORTED_SPLITS:
            raise ConfigurationError(
                f"SplitType {self.split_type} is not supported; use {', '.join(SUPPORTED_SPLITS)}"
            )
        if self.max_payload_mb is not None:
            if self.max_payload_mb == 0:
                raise ConfigurationError(
                    "MaxPayloadInMB 0 (HTTP chunked streaming) is not supported, as by "
                    "SageMaker's built-in algorithms; set 1 to 100"
                )
            if self.max_payload_mb > MAX_PAYLOAD_MB:
                raise ConfigurationError(
                    f"MaxPayloadInMB {self.max_payload_mb} is over the maximum of {MAX_PAYLOAD_MB}"
                )
        if self.max_payload_mb and self.max_concurrent:
            total = self.max_payload_mb * self.max_concurrent
            if total > MAX_TOTAL_PAYLOAD_MB:
                raise ConfigurationError(
                    f"MaxConcurrentTransforms x MaxPayloadInMB is {self.max_concurrent} x "
                    f"{self.max_payload_mb} = {total} MB, over the limit of "
                    f"{MAX_TOTAL_PAYLOAD_MB} MB"
                )
        from inferline.containers.batch.dataprocessing import check_job

        check_job(self)

    def fingerprint(self, pipeline: bytes) -> str:
        """Identifies the job's work (not its name): a resumed job must match it."""
        settings = asdict(self)
        settings.pop("name")
        blob = json.dumps(settings, sort_keys=True).encode() + b"\0" + pipeline
        return hashlib.sha256(blob).hexdigest()


def request_from_options(
    *,
    model_name: str,
    input_uri: str,
    output_uri: str,
    name: str,
    data_type: str = "S3Prefix",
    content_type: str | None = None,
    compression_type: str | None = None,
    split_type: str | None = None,
    accept: str | None = None,
    assemble_with: str | None = None,
    strategy: str | None = None,
    max_payload: int | None = None,
    max_concurrent_transforms: int | None = None,
    invocations_timeout: int | None = None,
    invocations_max_retries: int | None = None,
    input_filter: str | None = None,
    output_filter: str | None = None,
    join_source: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The CreateTransformJob request the SDK's Transformer.transform() sends for these options."""
    transform_input: dict[str, Any] = {
        "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": input_uri}}
    }
    _put(transform_input, "ContentType", content_type)
    _put(transform_input, "CompressionType", compression_type)
    _put(transform_input, "SplitType", split_type)
    transform_output: dict[str, Any] = {"S3OutputPath": output_uri}
    _put(transform_output, "Accept", accept)
    _put(transform_output, "AssembleWith", assemble_with)
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": model_name,
        "TransformInput": transform_input,
        "TransformOutput": transform_output,
        "TransformResources": dict(DEFAULT_RESOURCES),
    }
    _put(request, "BatchStrategy", strategy)
    _put(request, "MaxPayloadInMB", max_payload)
    _put(request, "MaxConcurrentTransforms", max_concurrent_transforms)
    client: dict[str, Any] = {}
    _put(client, "InvocationsTimeoutInSeconds", invocations_timeout)
    _put(client, "InvocationsMaxRetries", invocations_max_retries)
    if client:
        request["ModelClientConfig"] = client
    processing: dict[str, Any] = {}
    _put(processing, "InputFilter", input_filter)
    _put(processing, "JoinSource", join_source)
    _put(processing, "OutputFilter", output_filter)
    if processing:
        request["DataProcessing"] = processing
    if environment:
        request["Environment"] = dict(environment)
    return request


def _put(target: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        target[key] = value


@dataclass(frozen=True)
class Settings:
    """The job's effective MaxConcurrentTransforms, BatchStrategy and MaxPayloadInMB."""

    max_concurrent: int
    strategy: str
    max_payload_mb: int
    origin: dict[str, str]
    """Where each value came from: "job", "execution-parameters" or "default"."""

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_mb * 1024 * 1024

    def log_line(self) -> str:
        """SageMaker's own log line for these settings (amazon-sagemaker-examples#898)."""
        return (
            f"MaxConcurrentTransforms={self.max_concurrent}, MaxPayloadInMB={self.max_payload_mb}, "
            f"BatchStrategy={ENV_STRATEGY[self.strategy]}"
        )


def resolve(job: TransformJob, execution_parameters: Mapping[str, Any]) -> Settings:
    """The job's values, else the container's /execution-parameters, else the defaults."""
    origin: dict[str, str] = {}

    def pick(name: str, mine: Any, default: Any, convert: Any) -> Any:
        if mine is not None:
            origin[name] = "job"
            return mine
        theirs = execution_parameters.get(name)
        if theirs is not None:
            try:
                value = convert(theirs)
            except (KeyError, TypeError, ValueError):
                raise ConfigurationError(
                    f"/execution-parameters answered {name}={theirs!r}, which is not valid"
                ) from None
            origin[name] = "execution-parameters"
            return value
        origin[name] = "default"
        return default

    def positive(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(value)
        return value

    concurrent = pick(
        "MaxConcurrentTransforms", job.max_concurrent, DEFAULT_MAX_CONCURRENT, positive
    )
    strategy = pick("BatchStrategy", job.strategy, DEFAULT_STRATEGY, STRATEGY_NAMES.__getitem__)
    payload = pick("MaxPayloadInMB", job.max_payload_mb, DEFAULT_MAX_PAYLOAD_MB, positive)
    return Settings(concurrent, strategy, min(payload, MAX_PAYLOAD_MB), origin)


def container_environment(job: TransformJob) -> dict[str, str]:
    """What every container of the pipeline gets in a batch job (your-algorithms-batch-code.md).

    SAGEMAKER_BATCH always; the other three only when the job sets them, as SageMaker
    does (the containers start before their /execution-parameters can be asked). The
    job's Environment comes last: it is the job's word over the model's.
    """
    environment = {"SAGEMAKER_BATCH": "true"}
    if job.max_payload_mb is not None:
        environment["SAGEMAKER_MAX_PAYLOAD_IN_MB"] = str(job.max_payload_mb)
    if job.strategy is not None:
        environment["SAGEMAKER_BATCH_STRATEGY"] = ENV_STRATEGY[job.strategy]
    if job.max_concurrent is not None:
        environment["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(job.max_concurrent)
    return {**environment, **job.environment}
