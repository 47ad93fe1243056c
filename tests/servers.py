"""Real `inferline serve` processes for tests: a free loopback port, readiness by /ping.

with ServerProcess.start(model_dir, tmp_path / "server.log") as server:
    requests.post(server.url + "/invocations", ...)

Starting, readiness and stopping are the harness's own `lifecycle` helper.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from inferline.containers.harness import lifecycle, ports

PRIVATE_PREFIXES = ("SAGEMAKER_", "SM_", "INFERLINE_")
READY_SECONDS = 60.0
STOP_SECONDS = 30.0


def free_port() -> int:
    """A free loopback port below the ephemeral range, as the harness allocates them."""
    return ports.allocate().port


def serve_command(model_dir: Path, *args: str) -> list[str]:
    """`inferline serve` on loopback, run with this interpreter."""
    return [sys.executable, "-m", "inferline.containers", "serve",
            "--model-dir", str(model_dir), "--host", "127.0.0.1", *args]  # fmt: skip


@dataclass
class ServerProcess:
    server: lifecycle.ServerProcess
    port: int

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.server.process

    @property
    def log(self) -> Path:
        return self.server.log_path

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    def start(
        cls,
        model_dir: Path,
        log: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        port_by_env: bool = False,
    ) -> ServerProcess:
        """Start and wait for /ping; the port goes by --port, or SAGEMAKER_BIND_TO_PORT."""
        port = free_port()
        command = serve_command(model_dir, *([] if port_by_env else ["--port", str(port)]), *args)
        # Not the shell's own serving variables: a developer's must not change the test.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE_PREFIXES)}
        environ = {**inherited, "SAGEMAKER_MODEL_SERVER_WORKERS": "1", **(env or {})}
        if port_by_env:
            environ["SAGEMAKER_BIND_TO_PORT"] = str(port)
        server = lifecycle.start(command, url=f"http://127.0.0.1:{port}", log_path=log, env=environ)
        running = cls(server, port)
        running.wait_ready()
        return running

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        """Poll /ping until 200; stop it and fail with its log if it exits or time runs out."""
        try:
            self.server.wait_ready(seconds)
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = STOP_SECONDS) -> int:
        return self.server.stop(timeout)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
