"""A local SageMaker control plane: the API boto3's ``sagemaker`` client and the SDK drive.

::

    from inferline.containers.controlplane import serve_control_plane

    plane = serve_control_plane(8080, Path(".inferline"))
    sm = boto3.client("sagemaker", endpoint_url=plane.url, region_name="us-east-1")
    sm.create_model(...); sm.create_endpoint_config(...); sm.create_endpoint(...)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=...)
    boto3.client("sagemaker-runtime", endpoint_url=plane.url).invoke_endpoint(...)

Modules, each with one job: api (the JSON 1.1 protocol), service (botocore's model
and request validation), operations (the operations), endpoints (their lifecycle),
fleet (a live endpoint's copies and routing), capture (data capture files), listing
(List filters and pages), store (the state file), page (the HTML page), server
(one port for all of it), transforms (transform jobs on the batch engine), runtimes
(which runtime runs an image), commands (`inferline up` without a file), definitions
(a pipeline file deployed by the same operations), fromfile (`inferline up PIPELINE`
served that way), errors
(AWS's error codes). docs/control-plane.md shows use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inferline.containers.controlplane.server import ControlPlane, serve_control_plane


def __getattr__(name: str) -> Any:
    # Resolved on first use: importing the package must not load botocore and the harness.
    if name in ("ControlPlane", "serve_control_plane"):
        from inferline.containers.controlplane import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ControlPlane", "serve_control_plane"]
