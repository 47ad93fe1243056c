"""Fault benchmark: kill -9 one container of the car-evaluation pipeline under load.

Sixteen boto3 clients (no retries) invoke the 3-container car-evaluation pipeline
(preprocessor -> xgboost -> postprocessor) without pause; after a few seconds one
container's whole process group gets SIGKILL, as a crash or an OOM kill takes it.
Run twice: on a harness endpoint with one copy of each container, and through the
control plane with InitialInstanceCount 2 (the router skips the copy that is down).
For each it prints the failed requests (each must be a 424 naming the container), how
many were in flight on the killed copy, how long after the kill the endpoint answered
again (a request sent after the kill answering 200), and where that time went: the
kill reaped, the new container process started, its /ping answering 200::

    .venv/bin/python benchmarks/faults.py [--artifacts artifacts/car-evaluation] [--rounds 3]

`make faults` runs it; docs/reliability.md ("Faults") holds the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inferline.containers.controlplane import serve_control_plane  # noqa: E402
from inferline.containers.core import definition  # noqa: E402
from inferline.containers.harness import LocalEndpoint  # noqa: E402
from inferline.containers.harness.deployment import Deployment  # noqa: E402
from inferline.containers.harness.process import ProcessContainer  # noqa: E402

CLIENTS = 16
WARM_SECONDS = 5.0
AFTER_SECONDS = 10.0
KILLED = "xgboost"
CONFIG = Config(retries={"total_max_attempts": 1}, read_timeout=120, max_pool_connections=4)


@dataclass
class Outcome:
    """One invocation: when it was sent and answered, and how it failed (None: a 200)."""

    sent: float
    answered: float
    error: str | None


@dataclass
class Run:
    """What one scenario measured."""

    outcomes: list[Outcome] = field(default_factory=list)
    killed_at: float = 0.0
    reaped_at: float = 0.0
    """When the killed master was reaped: from then on the harness sees it is down."""
    in_flight_on_killed: int = 0
    restarted_at: float | None = None
    """When the victim's new process was started (forked or spawned)."""
    healthy_at: float | None = None
    """When the restarted victim passed its /ping again (the deployment serves it)."""

    def since_kill(self, moment: float | None) -> float | None:
        return None if moment is None else round(moment - self.killed_at, 3)

    def report(self, title: str) -> dict[str, Any]:
        failed = [o for o in self.outcomes if o.error is not None]
        after = [o for o in failed if o.sent > self.killed_at]
        after_reaped = [o for o in failed if o.sent > self.reaped_at]
        recovered = min(
            (o.answered for o in self.outcomes if o.error is None and o.sent > self.killed_at),
            default=float("nan"),
        )
        named = all(KILLED in (o.error or "") and "424" in (o.error or "") for o in failed)
        figures = {
            "scenario": title,
            "requests": len(self.outcomes),
            "failed": len(failed),
            "failed_sent_after_kill": len(after),
            "failed_sent_after_reaped": len(after_reaped),
            "reaped_after_kill_s": round(self.reaped_at - self.killed_at, 3),
            "new_process_after_kill_s": self.since_kill(self.restarted_at),
            "ping_200_after_kill_s": self.since_kill(self.healthy_at),
            "in_flight_on_killed_copy": self.in_flight_on_killed,
            "every_failure_a_424_naming_it": named,
            "first_200_after_kill_s": round(recovered - self.killed_at, 3),
            "last_failure_after_kill_s": round(
                max((o.answered for o in failed), default=self.killed_at) - self.killed_at, 3
            ),
        }
        print(json.dumps(figures), flush=True)
        if failed and not named:
            print("  a failure that is not a 424 naming the container:", flush=True)
            print("  " + next(o.error for o in failed if KILLED not in (o.error or "")), flush=True)
        return figures


def load(url: str, name: str, body: bytes, stop: threading.Event, run: Run) -> None:
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CONFIG,
    )
    while not stop.is_set():
        sent = time.monotonic()
        try:
            answer = client.invoke_endpoint(
                EndpointName=name, Body=body, ContentType="text/csv", Accept="text/csv"
            )
            answer["Body"].read()
            error = None
        except ClientError as failure:
            status = failure.response["ResponseMetadata"]["HTTPStatusCode"]
            error = f"{status} {failure.response['Error'].get('Message', '')}"
        run.outcomes.append(Outcome(sent, time.monotonic(), error))


def watch_restart(
    victim: ProcessContainer, deployment: Deployment, killed: object, run: Run
) -> None:
    """Note when the victim's new process starts and when it serves (every 2 ms, for
    AFTER_SECONDS): the restart's breakdown."""
    deadline = time.monotonic() + AFTER_SECONDS
    while time.monotonic() < deadline:
        now = time.monotonic()
        if run.restarted_at is None and victim.process is not killed:
            run.restarted_at = now
        if run.restarted_at is not None and victim not in deployment.down():
            run.healthy_at = now
            return
        time.sleep(0.002)


def under_load(
    url: str,
    name: str,
    body: bytes,
    kill: Callable[[], int],
    victim: ProcessContainer,
    deployment: Deployment,
    *,
    clients: int = CLIENTS,
) -> Run:
    """Load the endpoint, call `kill` (it returns the requests in flight on the killed
    copy), keep loading AFTER_SECONDS, stop."""
    run, stop = Run(), threading.Event()
    threads = [
        threading.Thread(target=load, args=(url, name, body, stop, run)) for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(WARM_SECONDS)  # a benchmark's steady state, not a test's wait
    process = victim.process  # before the kill: a restart replaces it
    watcher = threading.Thread(target=watch_restart, args=(victim, deployment, process, run))
    killed = time.monotonic()
    run.in_flight_on_killed = kill()
    run.killed_at = killed
    watcher.start()
    if process is not None:
        process.wait()  # the harness's own watcher may reap it first: then this returns
    run.reaped_at = time.monotonic()
    time.sleep(AFTER_SECONDS)
    watcher.join()
    stop.set()
    for thread in threads:
        thread.join()
    return run


def sigkill_group(container: ProcessContainer) -> None:
    process = container.process
    assert process is not None
    os.killpg(process.pid, signal.SIGKILL)


def one_instance(artifacts: Path, body: bytes) -> dict[str, Any]:
    spec = definition.load(artifacts / "pipeline.json")
    with LocalEndpoint(spec) as endpoint:
        containers = endpoint.endpoint.deployment.containers
        victim = next(c for c in containers if c.hostname == KILLED)
        assert isinstance(victim, ProcessContainer)

        def kill() -> int:
            in_flight = endpoint.endpoint.deployment._in_flight
            sigkill_group(victim)
            return in_flight

        deployment = endpoint.endpoint.deployment
        run = under_load(endpoint.url, endpoint.name, body, kill, victim, deployment)
    return run.report("one instance")


def two_instances(artifacts: Path, body: bytes) -> dict[str, Any]:
    document = json.loads((artifacts / "pipeline.json").read_text())
    for container in document["Containers"]:
        container["ModelDataUrl"] = str((artifacts / container["ModelDataUrl"]).resolve())
    with tempfile.TemporaryDirectory(prefix="inferline-faults-") as home:
        plane = serve_control_plane(0, Path(home), max_instances=2)
        try:
            sm = boto3.client(
                "sagemaker",
                endpoint_url=plane.url,
                region_name="eu-west-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            sm.create_model(
                ModelName="car",
                Containers=document["Containers"],
                ExecutionRoleArn="arn:aws:iam::123456789012:role/local",
            )
            variant = {
                "VariantName": "AllTraffic",
                "ModelName": "car",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.m5.large",
            }
            sm.create_endpoint_config(EndpointConfigName="car", ProductionVariants=[variant])
            sm.create_endpoint(EndpointName="car", EndpointConfigName="car")
            sm.get_waiter("endpoint_in_service").wait(
                EndpointName="car", WaiterConfig={"Delay": 0.5, "MaxAttempts": 600}
            )
            first = plane.live["car"].copies("AllTraffic")[0]
            victim = next(c for c in first.endpoint.deployment.containers if c.hostname == KILLED)
            assert isinstance(victim, ProcessContainer)

            def kill() -> int:
                in_flight = first.in_flight
                sigkill_group(victim)
                return in_flight

            run = under_load(plane.url, "car", body, kill, victim, first.endpoint.deployment)
        finally:
            plane.close()
    return run.report("two instances")


def artefacts(folder: Path) -> Path:
    """The car-evaluation pipeline in `folder`, trained unless up to date (as `make demo`)."""
    from inferline.training.demo import ensure_trained

    ensure_trained("car-evaluation", folder, retrain=False)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts" / "car-evaluation")
    parser.add_argument("--only", choices=("one", "two"))
    parser.add_argument("--rounds", type=int, default=1, help="repeat each scenario")
    args = parser.parse_args()
    folder = artefacts(args.artifacts)
    body = json.loads((folder / "samples.json").read_text())[0]["body"].encode()
    for _ in range(args.rounds):
        if args.only != "two":
            one_instance(folder, body)
        if args.only != "one":
            two_instances(folder, body)


if __name__ == "__main__":
    main()
