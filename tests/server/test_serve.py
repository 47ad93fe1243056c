"""The real `inferline serve` (gunicorn) over HTTP on loopback."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests

from inferline.stages.sklearn import artifact
from tests import abalone
from tests.servers import ServerProcess, free_port, serve_command


@pytest.fixture(scope="module")
def server(
    featurizer_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("logs") / "server.log"
    with ServerProcess.start(featurizer_dir, log) as running:
        yield running


def post(
    server: ServerProcess, body: bytes | str, content_type: str = "text/csv", **headers: str
) -> requests.Response:
    return requests.post(
        server.url + "/invocations",
        data=body,
        headers={"Content-Type": content_type, **headers},
        timeout=30,
    )


def test_ping_and_one_row(server: ServerProcess) -> None:
    ping = requests.get(server.url + "/ping", timeout=2)
    assert (ping.status_code, ping.content) == (200, b"")
    response = post(server, abalone.SAMPLE, Accept="text/csv")
    assert response.headers["Content-Type"] == "text/csv"
    assert len(response.text.strip().split(",")) == 10


def test_ten_thousand_rows(server: ServerProcess) -> None:
    rows = abalone.frame()[abalone.FEATURES].sample(10_000, replace=True, random_state=0)
    response = post(server, rows.to_csv(header=False, index=False), Accept="text/csv")
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 10_000


def test_json_jsonlines_and_npy(server: ServerProcess) -> None:
    values = ["M", 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155]
    by_json = post(server, json.dumps({"instances": [values, values]}), "application/json")
    assert len(by_json.json()["predictions"]) == 2
    by_lines = post(
        server,
        json.dumps(values) + "\n" + json.dumps(values),
        "application/jsonlines",
        Accept="application/jsonlines",
    )
    assert by_lines.headers["Content-Type"] == "application/jsonlines"
    assert len(by_lines.text.splitlines()) == 2
    as_npy = post(server, abalone.SAMPLE, Accept="application/x-npy")
    assert np.load(io.BytesIO(as_npy.content), allow_pickle=False).shape == (1, 10)


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status"),
    [
        ("M,1", "text/csv", "*/*", 422),
        ('{"x": [', "application/json", "*/*", 400),
        (abalone.SAMPLE, "image/png", "*/*", 415),
        (abalone.SAMPLE, "text/csv", "image/png", 406),
        ((abalone.SAMPLE + "\n") * 150_000, "text/csv", "*/*", 413),
    ],
)
def test_every_error_status_keeps_the_server_serving(
    server: ServerProcess, body: str, content_type: str, accept: str, status: int
) -> None:
    response = post(server, body, content_type, Accept=accept)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert set(response.json()) == {"error", "message"}
    assert post(server, abalone.SAMPLE).status_code == 200


def test_unknown_route_is_json_404(server: ServerProcess) -> None:
    response = requests.get(server.url + "/models", timeout=5)
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"


def test_access_log_line_has_latency_and_inference_id(server: ServerProcess) -> None:
    post(server, abalone.SAMPLE, **{"X-Amzn-SageMaker-Inference-Id": "req-42"})
    deadline = time.monotonic() + 10
    while "inference-id=req-42" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.output().splitlines() if "inference-id=req-42" in line)
    assert line.startswith("POST /invocations 200 ")
    assert line.split()[5].endswith("us")


def test_port_comes_from_sagemaker_bind_to_port(featurizer_dir: Path, tmp_path: Path) -> None:
    with ServerProcess.start(featurizer_dir, tmp_path / "out.log", port_by_env=True) as server:
        assert "--port" not in server.process.args  # type: ignore[operator]
        assert post(server, abalone.SAMPLE).status_code == 200


SLOW_SCRIPT = """
import time
from pathlib import Path

def model_fn(model_dir):
    return Path(model_dir)

def transform_fn(model, body, content_type, accept):
    (model / "started").write_text("yes")
    time.sleep(2)
    return "done"
"""


def test_sigterm_finishes_the_request_in_flight_then_exits_0(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    (model_dir / "code").mkdir(parents=True)
    (model_dir / "code" / "inference.py").write_text(SLOW_SCRIPT)
    server = ServerProcess.start(model_dir, tmp_path / "server.log")
    answers: list[requests.Response] = []
    request = threading.Thread(
        target=lambda: answers.append(post(server, "x", Accept="text/plain"))
    )
    request.start()
    deadline = time.monotonic() + 20
    while not (model_dir / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    server.process.send_signal(signal.SIGTERM)
    request.join(30)
    assert server.process.wait(30) == 0
    assert answers and (answers[0].status_code, answers[0].text) == (200, "done")


def test_a_model_tar_gz_is_extracted_and_served(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    artifact.save(abalone.featurizer(), model_dir)
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_dir / "model.joblib", arcname="model.joblib")
    with ServerProcess.start(archive, tmp_path / "server.log") as server:
        assert post(server, abalone.SAMPLE).status_code == 200


def _archive(path: Path, *members: tarfile.TarInfo) -> Path:
    """A model.tar.gz of `members`, each file holding b"pwned"."""
    with tarfile.open(path, "w:gz") as tar:
        for info in members:
            data = b"pwned" if info.isfile() else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _written(root: Path, *names: str) -> list[Path]:
    """Files called one of `names` anywhere under root: inside and outside the extraction."""
    return [path for path in root.rglob("*") if path.name in names]


@pytest.mark.parametrize("member", ["../escape.txt", "../../escape.txt", "absolute"])
def test_an_archive_that_escapes_is_a_clear_startup_error(tmp_path: Path, member: str) -> None:
    # `serve` extracts under TMPDIR: tmp_path/tmp/inferline-models/inferline-model-*, so
    # "../" lands in tmp_path/tmp/inferline-models and "../../" in tmp_path/tmp.
    name = str(tmp_path / "absolute.txt") if member == "absolute" else member
    archive = _archive(tmp_path / "evil.tar.gz", _member("model.joblib"), _member(name))
    result = _run_serve(archive, tmp_path / "tmp")
    assert result.returncode == 2
    assert f"unsafe path {name!r}" in result.stderr
    cache = tmp_path / "tmp" / "inferline-models"  # serve's extraction cache under TMPDIR
    assert cache.is_dir(), "serve did not extract where this test looks"
    assert not [p for p in cache.iterdir() if p.is_dir()], "a refused archive leaves nothing"
    assert _written(tmp_path, "escape.txt", "absolute.txt") == []


@pytest.mark.parametrize(
    "member",
    [
        _member("out", tarfile.SYMTYPE, "/etc/passwd"),
        _member("sub/out", tarfile.SYMTYPE, "../../escape.txt"),
        _member("out", tarfile.LNKTYPE, "/etc/passwd"),
        _member("tty", tarfile.CHRTYPE),
        _member("disk", tarfile.BLKTYPE),
        _member("pipe", tarfile.FIFOTYPE),
    ],
    ids=["symlink-absolute", "symlink-up", "hardlink-out", "char-device", "block-device", "fifo"],
)
def test_links_out_devices_and_fifos_are_refused_on_extraction(
    tmp_path: Path, member: tarfile.TarInfo
) -> None:
    archive = _archive(tmp_path / "model.tar.gz", _member("model.joblib"), member)
    result = _run_serve(archive, tmp_path / "tmp")
    assert result.returncode == 2, result.stderr
    assert str(archive) in result.stderr and repr(member.name) in result.stderr
    assert "refusing to extract" in result.stderr
    cache = tmp_path / "tmp" / "inferline-models"  # serve's extraction cache under TMPDIR
    assert cache.is_dir(), "serve did not extract where this test looks"
    # Every member is checked before any is written, and the refused start removed it.
    assert not [p for p in cache.iterdir() if p.is_dir()]
    assert _written(tmp_path, "escape.txt", "passwd") == []


def test_a_corrupt_archive_is_a_clear_startup_error(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"not a tarball")
    result = _run_serve(archive)
    assert result.returncode == 2
    assert "cannot extract" in result.stderr


# The shell's own serving variables: a developer's must not change what serve does here.
PRIVATE = ("SAGEMAKER_", "SM_", "INFERLINE_")


def _run_serve(model: Path, tmpdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`serve` to its exit, without the shell's own serving variables; archives extract
    under `tmpdir` when given (TMPDIR)."""
    command = serve_command(model, "--port", str(free_port()))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE)}
    if tmpdir is not None:
        tmpdir.mkdir(exist_ok=True)
        environ["TMPDIR"] = str(tmpdir)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=environ)
