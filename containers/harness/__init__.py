"""The pipeline harness: a local SageMaker endpoint chaining 1 or 2-15 containers.

::

    from inferline.containers.harness import LocalEndpoint

    with LocalEndpoint.from_file("pipeline.json") as endpoint:
        endpoint.invoke(b"...", content_type="text/csv")

`inferline up PIPELINE.json` runs the same from the command line (docs/harness.md).
"""

from inferline.containers.harness.definition import DefinitionError, EndpointSpec, load
from inferline.containers.harness.deployment import StartupError
from inferline.containers.harness.errors import (
    InvocationError,
    ModelError,
    PayloadTooLarge,
    ValidationError,
)
from inferline.containers.harness.local import Answer, LocalEndpoint
from inferline.containers.harness.runtime import Container, Launch, Runtime

__all__ = [
    "Answer",
    "Container",
    "DefinitionError",
    "EndpointSpec",
    "InvocationError",
    "Launch",
    "LocalEndpoint",
    "ModelError",
    "PayloadTooLarge",
    "Runtime",
    "StartupError",
    "ValidationError",
    "load",
]
