"""kill -9 of one container of a 3-container pipeline under load (docs/reliability.md).

The container's whole process group gets SIGKILL, as a crash or an OOM kill takes it,
while clients invoke without pause. With one copy, the requests that fail are 424s
naming it, and the harness restarts it; with two copies (InitialInstanceCount 2), the
router stops sending to the copy that is down, so no request sent after the kill fails.
benchmarks/faults.py measures the same on the car-evaluation pipeline.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from inferline.containers.controlplane import ControlPlane, serve_control_plane
from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint
from inferline.containers.harness.process import ProcessContainer
from tests.echo import echo_chain, until

CLIENTS = 6
NAMES = ("one", "two", "three")


@dataclass
class Outcome:
    sent: float
    error: str | None  # None: a 200


class Load:
    """`clients` threads calling `invoke` without pause until stopped."""

    def __init__(self, invoke: Callable[[], str | None], clients: int = CLIENTS) -> None:
        self.outcomes: list[Outcome] = []
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._invoke = invoke
        self._threads = [threading.Thread(target=self._run) for _ in range(clients)]

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            self.outcomes.append(Outcome(sent, self._invoke()))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def answered_after(self, moment: float) -> int:
        return sum(1 for o in list(self.outcomes) if o.sent > moment and o.error is None)

    def running(self, moment: float = 0.0, at_least: int = 20) -> bool | None:
        """True once `at_least` requests sent after `moment` were answered; a failure
        to get there shows the last error."""
        if self.answered_after(moment) >= at_least:
            return True
        failed = [o.error for o in list(self.outcomes) if o.error is not None]
        self.last_error = failed[-1] if failed else None
        return None


def kill_group(container: ProcessContainer) -> tuple[float, float]:
    """SIGKILL the container's process group: the moment the signal was sent, and the
    moment the process is known dead (reaped, and so visible to the harness)."""
    process = container.process
    assert process is not None
    signalled = time.monotonic()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return signalled, time.monotonic()


def test_one_instance_fails_with_424s_naming_it_until_restarted(
    echo_model: Path, tmp_path: Path
) -> None:
    spec = definition.parse(echo_chain(echo_model, tmp_path / "state", NAMES))
    with LocalEndpoint(spec) as endpoint:
        url = f"{endpoint.url}/endpoints/{endpoint.name}/invocations"
        session = threading.local()

        def invoke() -> str | None:
            if not hasattr(session, "value"):
                session.value = requests.Session()
            answer = session.value.post(
                url, data="load", headers={"Content-Type": "text/plain"}, timeout=120
            )
            return None if answer.status_code == 200 else f"{answer.status_code} {answer.text}"

        victim = endpoint.endpoint.deployment.containers[1]
        assert isinstance(victim, ProcessContainer)
        with Load(invoke) as load:
            until(load.running, "the load to run", why=lambda: load.last_error)
            _, killed = kill_group(victim)
            # The gate file lets its second boot (the restart) through at once.
            (tmp_path / "state" / "gate").touch()
            until(lambda: load.answered_after(killed) >= 20 or None, "the endpoint to serve again")
        failed = [o.error for o in load.outcomes if o.error is not None]
        assert failed, "the kill failed no request: the test injected no fault"
        for error in failed:
            assert error.startswith("424 ") and "container-2" in error, error
        assert victim.alive()
        assert (tmp_path / "state" / "boots-two").read_text().count("boot") == 2


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    served = serve_control_plane(0, tmp_path / "home", max_instances=2)
    yield served
    served.close()


def client(kind: str, url: str) -> Any:
    return boto3.client(
        kind,  # type: ignore[call-overload]  # boto3's overloads want a literal
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=CLIENTS),
    )


def test_two_instances_fail_only_what_was_in_flight_on_the_killed_copy(
    plane: ControlPlane, echo_model: Path, tmp_path: Path
) -> None:
    document = echo_chain(echo_model, tmp_path / "state", NAMES)
    gate = tmp_path / "state" / "gate"
    gate.touch()  # both copies' containers boot at once (they share the state folder)
    sm = client("sagemaker", plane.url)
    sm.create_model(
        ModelName="echo",
        Containers=document["Containers"],
        ExecutionRoleArn="arn:aws:iam::123456789012:role/local",
    )
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "echo",
        "InitialInstanceCount": 2,
        "InstanceType": "ml.m5.large",
    }
    sm.create_endpoint_config(EndpointConfigName="echo", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName="echo", EndpointConfigName="echo")
    sm.get_waiter("endpoint_in_service").wait(
        EndpointName="echo", WaiterConfig={"Delay": 0.2, "MaxAttempts": 1500}
    )
    runtime = client("sagemaker-runtime", plane.url)

    def invoke() -> str | None:
        try:
            runtime.invoke_endpoint(EndpointName="echo", Body=b"load", ContentType="text/plain")
        except ClientError as error:
            return str(error)
        return None

    first, second = plane.live["echo"].copies("AllTraffic")
    victim = first.endpoint.deployment.containers[1]
    assert isinstance(victim, ProcessContainer)
    with Load(invoke) as load:
        until(load.running, "the load to run", why=lambda: load.last_error)
        gate.unlink()  # the killed copy's restart waits, so only the survivor serves
        in_flight = first.in_flight
        signalled, killed = kill_group(victim)
        served = second.served
        until(lambda: load.answered_after(killed) >= 40 or None, "answers after the kill")
        assert second.served >= served + 40  # the survivor served them
        gate.touch()
        until(lambda: first.endpoint.deployment.serves() or None, "the killed copy to return")
    failed = [o for o in load.outcomes if o.error is not None]
    assert all("container-2" in (o.error or "") for o in failed), failed
    assert not [o for o in failed if o.sent > killed], "a request sent after the kill failed"
    # Until the kernel has ended the killed master (0.01-0.1 s), the copy looks alive and a
    # client may fail there more than once; what was sent before the signal and failed is
    # what was in flight on the copy, or on its way to it.
    assert len([o for o in failed if o.sent <= signalled]) <= in_flight + CLIENTS
