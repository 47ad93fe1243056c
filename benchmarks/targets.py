"""The HTTP targets of the suite: how each starts, where its health and invocation paths are,
what body it takes for N abalone rows and how its answer reads back as scores.

Every server binds 127.0.0.1 on a port picked here. inferline runs from the project's venv;
each peer from its own (`peers.envs`). `Target.start` measures the cold start: process
start to the first 200 on its health path, then to the first answer.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from abalone_artifacts import COLUMNS, PEERS, PIPELINE_NAME, ROOT, Artifacts, csv_rows
from peers import envs, mlserver_settings
from peers.requirements import REQUIREMENTS
from processes import descendants, wait_gone
from workloads import wait_status

START_SECONDS = 180.0
MMS_PORTS = 32767  # MMS refuses ports from 32767 up
INFERLINE = Path(os.path.abspath(sys.executable)).parent / "inferline"
CSV = {"Content-Type": "text/csv", "Accept": "text/csv"}
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def free_port(below: int = 65536) -> int:
    """A free loopback port; `below` for servers that refuse high ports (MMS: < 32767)."""
    if below < 65536:
        for candidate in random.sample(range(20000, below), 200):
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", candidate))
                except OSError:
                    continue
                return candidate
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def csv_scores(answer: bytes) -> list[float]:
    return [float(line) for line in answer.decode().split()]


def json_scores(answer: bytes) -> list[float]:
    decoded = json.loads(answer)
    values = decoded["predictions"] if isinstance(decoded, dict) else decoded
    return [float(value) for value in values]


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen[bytes]
    url: str
    to_ping: float  # seconds from process start
    to_answer: float
    log: Path

    def stop(self) -> None:
        """Stop the server and wait until every process below it is gone too.

        Not only its process group: inferline's containers run in sessions of their own
        (they follow the harness by the parent-death signal), and a JVM (MMS) can take
        seconds to exit; the next target's cold start must not share the CPU with them.
        """
        below = descendants(self.process.pid)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        for pid in wait_gone(below):
            os.kill(pid, signal.SIGKILL)


@dataclass
class Target:
    name: str
    label: str
    command: Callable[[int], list[str]]  # port -> argv
    ping: str
    invoke: str
    body: Callable[[pd.DataFrame], bytes]
    headers: dict[str, str]
    scores: Callable[[bytes], list[float]]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    prepare: Callable[[int], None] = lambda port: None  # per start: config files for the port
    versions: str = ""
    settings: str = ""  # workers etc., for the doc
    port_below: int = 65536

    def start(self, logs: Path, first_row: pd.DataFrame) -> Running:
        port = free_port(self.port_below)
        self.prepare(port)
        argv = self.command(port)
        log = logs / f"{self.name}-{port}.log"
        url = f"http://127.0.0.1:{port}"
        with log.open("wb") as out:
            started = time.monotonic()
            process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = Running(process, url, 0.0, 0.0, log)
        try:
            deadline = started + START_SECONDS
            alive = lambda: process.poll() is None  # noqa: E731
            wait_status(url + self.ping, deadline, alive=alive)
            to_ping = time.monotonic() - started
            wait_status(
                url + self.invoke, deadline, "POST", self.body(first_row), self.headers, alive
            )
            to_answer = time.monotonic() - started
        except BaseException as error:
            running.stop()
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError(f"{error}; log: {' / '.join(tail)}") from error
        return Running(process, url, to_ping, to_answer, log)

    def command_line(self) -> str:
        return " ".join(str(part) for part in self.command(8080))


def inferline_targets(artifacts: Artifacts, home: Path) -> list[Target]:
    csv = dict(body=csv_rows, headers=CSV, scores=csv_scores)
    return [
        Target(
            "inferline-pipeline",
            "inferline, 3 containers (`inferline up`)",
            lambda port: [
                str(INFERLINE),
                "up",
                str(artifacts.three_containers),
                "--port",
                str(port),
                "--home",
                str(home / f"up-{port}"),
            ],
            "/ping",
            f"/endpoints/{PIPELINE_NAME}/invocations",
            settings="defaults (each container: inferline-sklearn's gunicorn defaults)",
            **csv,  # type: ignore[arg-type]
        ),
        Target(
            "inferline-stage",
            "inferline, 1 sklearn stage (`inferline serve`)",
            lambda port: [
                str(INFERLINE),
                "serve",
                "--model-dir",
                str(artifacts.single_stage),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            "/ping",
            "/invocations",
            settings="defaults",
            **csv,  # type: ignore[arg-type]
        ),
    ]


def peer_targets(artifacts: Artifacts, work: Path) -> tuple[list[Target], dict[str, str]]:
    """The peers whose venvs install; the others as {name: why}."""
    built: list[Target] = []
    failed: dict[str, str] = {}
    for name, make in PEER_BUILDERS.items():
        try:
            venv = envs.ensure(name, REQUIREMENTS[name])
            built.append(make(venv, artifacts, work))
        except Exception as error:  # reported in the table, never silently dropped
            failed[name] = f"{type(error).__name__}: {error}"
    return built, failed


def _flask(venv: envs.Venv, artifacts: Artifacts, work: Path) -> Target:
    return Target(
        "flask",
        "plain Flask + gunicorn, one model",
        lambda port: [
            str(venv.bin / "gunicorn"),
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "flask_app:app",
        ],
        "/ping",
        "/invocations",
        csv_rows,
        CSV,
        csv_scores,
        env={"BENCH_MODEL": str(artifacts.joblib_file)},
        cwd=PEERS,
        versions=f"flask {venv.version('flask')}, gunicorn {venv.version('gunicorn')}",
        settings="2 gthread workers x 4 threads",
    )


def _mlflow(venv: envs.Venv, artifacts: Artifacts, work: Path) -> Target:
    model = work / "mlflow-model"
    if not model.exists():
        subprocess.run(
            [
                str(venv.python),
                str(PEERS / "mlflow_save.py"),
                str(artifacts.joblib_file),
                str(model),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    path = f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '')}"
    return Target(
        "mlflow",
        "MLflow (`mlflow models serve`)",
        lambda port: [
            str(venv.bin / "mlflow"),
            "models",
            "serve",
            "-m",
            str(model),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        "/ping",
        "/invocations",
        lambda rows: rows.to_csv(index=False).encode(),  # MLflow's CSV needs the header row
        {"Content-Type": "text/csv", "Accept": "application/json"},
        json_scores,
        env={"PATH": path, "MLFLOW_TRACKING_URI": f"file://{work / 'mlruns'}"},
        versions=f"mlflow {venv.version('mlflow')}",
        settings="defaults (1 worker); the model saved as "
        + ("skops, its types trusted" if list(model.glob("*.skops")) else "pickle"),
    )


def _bentoml(venv: envs.Venv, artifacts: Artifacts, work: Path) -> Target:
    return Target(
        "bentoml",
        "BentoML (`bentoml serve`)",
        lambda port: [
            str(venv.bin / "bentoml"),
            "serve",
            "bento_service:AbalonePipeline",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        "/readyz",
        "/predict",
        lambda rows: json.dumps({"csv": csv_rows(rows).decode()}).encode(),
        JSON,
        json_scores,
        env={
            "BENCH_MODEL": str(artifacts.joblib_file),
            "BENTOML_HOME": str(work / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "True",
        },
        cwd=PEERS,
        versions=f"bentoml {venv.version('bentoml')}",
        settings="1 service, 1 worker",
    )


def _mlserver(venv: envs.Venv, artifacts: Artifacts, work: Path) -> Target:
    folder = work / "mlserver"

    def prepare(port: int) -> None:
        mlserver_settings.write(folder, artifacts.joblib_file, port, free_port())

    return Target(
        "mlserver",
        "MLServer (`mlserver start`, sklearn runtime)",
        lambda port: [str(venv.bin / "mlserver"), "start", str(folder)],
        "/v2/health/ready",
        "/v2/models/abalone/infer",
        lambda rows: mlserver_settings.request(COLUMNS, rows.values.tolist()),
        JSON,
        mlserver_settings.scores,
        env={"PATH": f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '')}"},
        prepare=prepare,
        versions=f"mlserver {venv.version('mlserver')}, uvloop {venv.version('uvloop')}",
        settings="1 parallel worker, V2 protocol, pandas codec",
    )


def _sagemaker(venv: envs.Venv, artifacts: Artifacts, work: Path) -> Target:
    store = work / "mms-models"
    if not (store / "model").exists():
        store.mkdir(parents=True, exist_ok=True)
        code = work / "mms-code"
        code.mkdir(exist_ok=True)
        (code / "sagemaker_handler.py").write_text((PEERS / "sagemaker_handler.py").read_text())
        subprocess.run(
            [
                str(venv.bin / "model-archiver"),
                "--model-name",
                "model",
                "--handler",
                "sagemaker_handler",
                "--model-path",
                str(code),
                "--export-path",
                str(store),
                "--archive-format",
                "no-archive",
                "--force",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    properties = work / "mms.properties"

    def prepare(port: int) -> None:
        properties.write_text(
            f"inference_address=http://127.0.0.1:{port}\n"
            f"management_address=http://127.0.0.1:{free_port(MMS_PORTS)}\n"
            f"model_store={store}\n"
            "load_models=ALL\n"
            "default_workers_per_model=1\n"
            "decode_input_request=false\n"
        )

    return Target(
        "sagemaker",
        "SageMaker inference toolkit + multi-model-server",
        lambda port: [
            str(venv.bin / "multi-model-server"),
            "--start",
            "--foreground",
            "--mms-config",
            str(properties),
            "--model-store",
            str(store),
        ],
        "/ping",
        "/invocations",
        csv_rows,
        CSV,
        csv_scores,
        env={
            "BENCH_MODEL": str(artifacts.joblib_file),
            "PATH": f"{venv.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        prepare=prepare,
        cwd=work,  # MMS writes its logs/ folder in its working directory
        versions=(
            f"sagemaker-inference {venv.version('sagemaker-inference')}, "
            f"multi-model-server {venv.version('multi-model-server')}"
        ),
        settings="1 worker",
        port_below=MMS_PORTS,
    )


PEER_BUILDERS: dict[str, Callable[[envs.Venv, Artifacts, Path], Target]] = {
    "flask": _flask,
    "mlflow": _mlflow,
    "bentoml": _bentoml,
    "mlserver": _mlserver,
    "sagemaker": _sagemaker,
}
