"""`inferline up PIPELINE`: a control plane serving the file's endpoint, deployed by API calls.

The file goes through CreateModel, CreateEndpointConfig and CreateEndpoint
(`definitions.deploy_file`), and `inferline up` returns (or detaches) once
DescribeEndpoint says InService; Failed ends it with the failure (the containers that
failed, each with its log tail). SIGHUP and `inferline update FILE` are an
UpdateEndpoint to a new endpoint config (`definitions.update_file`): the new
containers start before the old ones leave, so no request is lost, and a failed
update keeps the old ones serving and says why.

The file is the truth: what an earlier `inferline up` of this folder created is
forgotten at start. The harness's state file (``<home>/<name>/state.json``: pid, url,
definition, logs) is kept as `harness.daemon` writes it, so `inferline invoke | update
| down | logs` work unchanged, and the port also answers boto3's ``sagemaker`` client.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.controlplane.definitions import deploy_file, update_file
from inferline.containers.controlplane.endpoints import BUSY
from inferline.containers.controlplane.server import FOLDER, ControlPlane
from inferline.containers.controlplane.store import STATE_FILE as RESOURCES_FILE
from inferline.containers.core.errors import InferlineError, StartupError
from inferline.containers.harness import state as states

if TYPE_CHECKING:
    from inferline.containers.core.definition import EndpointSpec

POLL_SECONDS = 0.05


def serve_file(
    spec: EndpointSpec,
    folder: Path,
    path: Path,
    *,
    port: int,
    host: str,
    runtime: str,
    timeout: float,
) -> int:
    """Deploy `path` as endpoint `spec.name`, record the state, serve until SIGINT/SIGTERM.

    Raises:
        StartupError, ModelLoadError: the endpoint failed (its FailureReason, whole).
    """
    (folder / FOLDER / RESOURCES_FILE).unlink(missing_ok=True)  # the file is the truth
    plane = ControlPlane(folder, runtime, host=host, port=port)
    plane.endpoints.timeout = timeout
    state = states.State(
        spec.name, os.getpid(), "", str(path.resolve()), harness=states.harness_id()
    )
    try:
        plane.start()
        deploy_file(plane.operations, path, spec.name)
        _raise_if_failed(plane, spec.name, _settled(plane, spec.name))
        signals: queue.SimpleQueue[int] = queue.SimpleQueue()  # put() is signal-handler safe
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda received, frame: signals.put(received))
        state.url = plane.url
        _describe(plane, state, folder)
        while signals.get() == signal.SIGHUP:
            _reload(plane, state, folder)
        return 0
    finally:
        (folder / states.STATE_FILE).unlink(missing_ok=True)
        plane.close()


def _settled(plane: ControlPlane, name: str) -> dict[str, object]:
    """The endpoint's record once it is no longer Creating or Updating."""
    while True:
        record = plane.store.get("endpoints", name)
        assert record is not None, f"endpoint {name} vanished"
        if record["EndpointStatus"] not in BUSY:
            return dict(record)
        time.sleep(POLL_SECONDS)


def _raise_if_failed(plane: ControlPlane, name: str, record: dict[str, object]) -> None:
    if record["EndpointStatus"] == "Failed":
        error = plane.endpoints.errors.get(name)
        if isinstance(error, InferlineError):
            raise error
        raise StartupError(str(record.get("FailureReason") or f"endpoint {name} failed"))


def _reload(plane: ControlPlane, state: states.State, folder: Path) -> None:
    """SIGHUP: update to the definition `inferline update` left, else re-read the current one."""
    pending = folder / states.UPDATE_FILE
    path, request = Path(state.definition), None
    if pending.exists():
        asked = json.loads(pending.read_text())
        path, request = Path(asked["definition"]), asked.get("request")
        pending.unlink()
    name = state.name
    plane.endpoints.errors.pop(name, None)
    try:
        config = update_file(plane.operations, path, name, state.generation + 1)
        record = _settled(plane, name)
        if record["EndpointConfigName"] != config or record.get("FailureReason"):
            error = plane.endpoints.errors.get(name)
            raise StartupError(str(error or record.get("FailureReason") or "the update failed"))
        state.definition, state.update_error = str(path), None
        print(f"endpoint {name} now serves {path}", flush=True)
    except InferlineError as error:
        state.update_error = str(error)
        print(
            f"update failed, still serving the previous one: {error}", file=sys.stderr, flush=True
        )
    state.generation += 1
    state.answered = request
    _describe(plane, state, folder, quiet=True)


def _describe(plane: ControlPlane, state: states.State, folder: Path, quiet: bool = False) -> None:
    """Record the live containers' logs in the state file; print where to call."""
    fleet = plane.live[state.name]
    found = [
        (f"{variant}-{index + 1}", container)
        for variant in fleet.counts()
        for index, copy in enumerate(fleet.copies(variant))
        for container in copy.endpoint.deployment.containers
    ]
    unique = len({container.hostname for _, container in found}) == len(found)
    logs = {
        container.hostname if unique else f"{where}/{container.hostname}": str(container.log_path)
        for where, container in found
    }
    state.logs = logs
    state.save(folder)
    if quiet:
        return
    print(
        f"endpoint {state.name} is up: POST {plane.url}/endpoints/{state.name}/invocations "
        f"(and boto3's sagemaker client at {plane.url})",
        flush=True,
    )
    for hostname, log in state.logs.items():
        print(f"  {hostname}: log {log}", flush=True)
