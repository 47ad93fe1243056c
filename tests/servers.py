"""Real `inferline serve` processes for tests: a free loopback port, readiness by /ping.

with ServerProcess.start(model_dir, tmp_path / "server.log") as server:
    requests.post(server.url + "/invocations", ...)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import requests

from inferline.containers.harness import ports

READY_SECONDS = 60.0


def free_port() -> int:
    """A free loopback port below the ephemeral range, as the harness allocates them."""
    return ports.allocate().port


def serve_command(model_dir: Path, *args: str) -> list[str]:
    """`inferline serve` on loopback, run with this interpreter."""
    return [sys.executable, "-m", "inferline.containers", "serve",
            "--model-dir", str(model_dir), "--host", "127.0.0.1", *args]  # fmt: skip


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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
        environ = {**os.environ, "SAGEMAKER_MODEL_SERVER_WORKERS": "1", **(env or {})}
        if port_by_env:
            environ["SAGEMAKER_BIND_TO_PORT"] = str(port)
        with log.open("wb") as handle:  # the child keeps its own descriptor
            process = subprocess.Popen(
                command, stdout=handle, stderr=subprocess.STDOUT, env=environ
            )
        server = cls(process, port, log)
        server.wait_ready()
        return server

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        """Poll /ping until 200; fail with the log if the process exits or time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                if requests.get(self.url + "/ping", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not ready after {seconds} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
