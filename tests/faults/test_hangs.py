"""Containers that hang: the caller gets an error naming them, never a hung connection.

A stalled answer (headers and half a body, then nothing) times out like a silent one;
a container that never answers /ping, or exits while starting, fails the start naming
it with its log tail: through `LocalEndpoint` and through `inferline up`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests

from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint, StartupError
from tests.echo import echo_chain
from tests.faults.conftest import processes_with, write_json

CLIENT_SECONDS = 120  # far past the invocation timeouts: a hung connection fails the test
STALL = textwrap.dedent('''
    """Answers "stall": headers and the first half of the body, then nothing."""
    import os
    import time

    from flask import Response

    HANG_SECONDS = 300  # longer than any test waits; the harness gives up first


    def model_fn(model_dir):
        if os.environ.get("STALL_AT_START"):
            print("loading forever", flush=True)
            time.sleep(HANG_SECONDS)
        return None


    def transform_fn(model, body, content_type, accept):
        def half_then_nothing():
            yield b"half of"
            time.sleep(HANG_SECONDS)
            yield b" the answer"

        answer = Response(half_then_nothing(), mimetype="text/plain")
        answer.headers["Content-Length"] = "18"
        return answer
''')


@pytest.fixture
def stall_model(tmp_path: Path) -> Path:
    model = tmp_path / "stall-model"
    (model / "code").mkdir(parents=True)
    (model / "code" / "inference.py").write_text(STALL)
    return model


def container(model: Path, **environment: str) -> dict[str, Any]:
    return {
        "Image": "inferline-sklearn",
        "ModelDataUrl": str(model),
        "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", **environment},
    }


def test_an_answer_stalled_mid_body_times_out_naming_the_container(
    stall_model: Path, echo_model: Path, tmp_path: Path
) -> None:
    chain = echo_chain(echo_model, tmp_path / "state", ("one",))
    document = {"ModelName": "stall", "Containers": [*chain["Containers"], container(stall_model)]}
    with LocalEndpoint(definition.parse(document), timeout=3) as endpoint:
        answer = requests.post(
            f"{endpoint.url}/endpoints/stall/invocations",
            data="go",
            headers={"Content-Type": "text/plain"},
            timeout=CLIENT_SECONDS,
        )
        assert answer.status_code == 424
        message = answer.json()["Message"]
        assert "container-2 did not answer within the 3 s invocation timeout" in message
        assert "from container-2" in message
        assert requests.get(f"{endpoint.url}/ping", timeout=CLIENT_SECONDS).status_code == 200


def test_a_container_that_never_answers_ping_fails_the_start_with_its_log(
    stall_model: Path, tmp_path: Path
) -> None:
    document = {"ModelName": "stuck", "Containers": [container(stall_model, STALL_AT_START="1")]}
    with pytest.raises(StartupError) as raised:
        LocalEndpoint(definition.parse(document), ready_seconds=30).start()
    message = str(raised.value)
    assert "- container-1 (container-1.log): no 200 from /ping within 30 s" in message
    assert "container-1 | loading forever" in message  # its log tail
    assert not processes_with(str(stall_model))  # stopped, not left loading


def test_inferline_up_names_a_container_that_exits_while_starting(
    echo_model: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-model"
    empty.mkdir()
    document = echo_chain(echo_model, tmp_path / "state", ("one", "two"))
    document["Containers"][1]["ModelDataUrl"] = str(empty)
    pipeline = write_json(tmp_path / "pipeline.json", document)
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferline.containers",
            "up",
            str(pipeline),
            "--port",
            "0",
            "--home",
            str(tmp_path / "home"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert up.returncode != 0
    assert "- container-2 (container-2.log): exited" in up.stderr
    assert "container-2 | " in up.stderr  # its log tail follows
    assert not processes_with(str(echo_model))
