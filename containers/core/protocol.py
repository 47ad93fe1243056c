"""SageMaker's wire names and limits, defined once for containers, endpoints and clients.

Header names are InvokeEndpoint's (botocore's ``sagemaker-runtime`` service model);
the limits are that model's and the container contract's (../docs/content-types.md).
"""

from __future__ import annotations

from typing import Final

CUSTOM_ATTRIBUTES: Final = "X-Amzn-SageMaker-Custom-Attributes"
TARGET_VARIANT: Final = "X-Amzn-SageMaker-Target-Variant"
TARGET_CONTAINER: Final = "X-Amzn-SageMaker-Target-Container-Hostname"
INFERENCE_ID: Final = "X-Amzn-SageMaker-Inference-Id"
INVOKED_VARIANT: Final = "X-Amzn-Invoked-Production-Variant"
ERROR_TYPE: Final = "x-amzn-ErrorType"
"""botocore takes an error's code from this header (RestJSONParser._inject_error_code)."""
CONTAINER_LATENCIES: Final = "X-Inferline-Container-Latencies"
"""inferline's own: what each container of the chain took, ``host=µs,host=µs``."""

REQUEST_HEADER_LIMITS: Final = {
    CUSTOM_ATTRIBUTES: 1024,
    TARGET_VARIANT: 63,
    TARGET_CONTAINER: 63,
    INFERENCE_ID: 64,
}
"""InvokeEndpoint's request headers and their longest allowed values."""

MAX_PAYLOAD_MB: Final = 6
MAX_PAYLOAD_BYTES: Final = MAX_PAYLOAD_MB * 1024 * 1024
"""InvokeEndpoint's BodyBlob limit, and a container's default request limit."""
