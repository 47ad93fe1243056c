"""The pipeline harness: a local SageMaker endpoint chaining 1 or 2-15 containers.

::

    from inferline.containers.harness import LocalEndpoint

    with LocalEndpoint.from_file("pipeline.json") as endpoint:
        endpoint.invoke(b"...", content_type="text/csv")

`inferline up PIPELINE.json` runs the same from the command line (docs/harness.md).
"""

from __future__ import annotations

import importlib
from typing import Any

# Names resolve on first use: `inferline --help` and the serving images import
# harness.cli, and must not need the harness extra (urllib3, prometheus_client).
_EXPORTS = {
    "DefinitionError": "core.errors",
    "EndpointSpec": "core.definition",
    "load": "core.definition",
    "StartupError": "core.errors",
    "InvocationError": "core.errors",
    "InvocationTooLarge": "core.errors",
    "ModelError": "core.errors",
    "ValidationError": "core.errors",
    "Answer": "harness.client",
    "EndpointClient": "harness.client",
    "LocalEndpoint": "harness.local",
    "Container": "harness.runtime",
    "Launch": "harness.runtime",
    "Runtime": "harness.runtime",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"inferline.containers.{_EXPORTS[name]}")
    return getattr(module, name)


__all__ = [
    "Answer",
    "Container",
    "DefinitionError",
    "EndpointClient",
    "EndpointSpec",
    "InvocationError",
    "Launch",
    "LocalEndpoint",
    "InvocationTooLarge",
    "ModelError",
    "Runtime",
    "StartupError",
    "ValidationError",
    "load",
]
