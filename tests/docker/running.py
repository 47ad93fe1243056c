"""A container run as SageMaker runs it, for tests: `docker run IMAGE serve`.

    with RunningContainer.start("inferline-sklearn:latest", model_dir) as container:
        requests.post(container.url + "/invocations", ...)

Host networking with SAGEMAKER_BIND_TO_PORT (as SageMaker does for pipelines) and the
model mounted read-only at /opt/ml/model; readiness by /ping in a bounded loop.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests

from tests.servers import free_port

READY_SECONDS = 120.0
STOP_SECONDS = 30  # SageMaker sends SIGKILL 30 s after SIGTERM; so does `docker stop -t 30`


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


@dataclass
class RunningContainer:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls, image: str, model_dir: Path, env: dict[str, str] | None = None
    ) -> RunningContainer:
        """`docker run -d` the image's `serve` and wait until /ping answers 200."""
        container = cls(f"inferline-test-{uuid.uuid4().hex[:12]}", free_port())
        environment = {
            "SAGEMAKER_BIND_TO_PORT": str(container.port),
            # Host networking: listen on loopback only, not on every interface of the host.
            "INFERLINE_BIND_HOST": "127.0.0.1",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
            **(env or {}),
        }
        flags = [arg for name, value in environment.items() for arg in ("-e", f"{name}={value}")]
        started = docker(
            "run",
            "-d",
            "--name",
            container.name,
            "--network",
            "host",
            *flags,
            "-v",
            f"{model_dir}:/opt/ml/model:ro",
            image,
            "serve",
        )
        if started.returncode != 0:
            raise RuntimeError(f"docker run {image} failed: {started.stderr}")
        try:
            container.wait_ready()
        except BaseException:
            container.remove()
            raise
        return container

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"container exited ({self.exit_code()}):\n{self.logs()}")
            try:
                if requests.get(self.url + "/ping", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"container not ready after {seconds} s:\n{self.logs()}")

    def running(self) -> bool:
        return docker("inspect", "-f", "{{.State.Running}}", self.name).stdout.strip() == "true"

    def exit_code(self) -> int:
        return int(docker("inspect", "-f", "{{.State.ExitCode}}", self.name).stdout.strip())

    def logs(self) -> str:
        result = docker("logs", self.name)
        return result.stdout + result.stderr

    def stop(self) -> int:
        """`docker stop` (SIGTERM, then SIGKILL after 30 s); the container's exit code."""
        docker("stop", "-t", str(STOP_SECONDS), self.name)
        return self.exit_code()

    def remove(self) -> None:
        docker("rm", "-f", self.name)

    def __enter__(self) -> RunningContainer:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.remove()
