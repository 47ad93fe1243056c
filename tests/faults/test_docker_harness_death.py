"""A harness killed with SIGKILL leaves no docker container behind.

Runs only where a docker engine answers (CI=true makes it fail instead of skip, as
every docker test: tests/docker/conftest.py). The container's watchdog, tied to the
harness by the parent-death signal, removes it; `inferline up` would too, by label.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from inferline.containers.harness import state as states
from inferline.containers.images import engine
from inferline.training.examples import Trained
from tests.docker.conftest import docker_engine, image  # noqa: F401 - fixtures
from tests.echo import until
from tests.faults.conftest import write_json


def labelled(harness: str) -> list[str]:
    label = f"label={states.HARNESS_LABEL}={harness}"
    listed = subprocess.run(
        [engine.DOCKER, "ps", "--all", "--quiet", "--filter", label],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


def test_no_docker_container_outlives_a_harness_killed_with_sigkill(
    image: Callable[[str], str],  # noqa: F811 - the fixture
    trained: Callable[[str], Trained],
    tmp_path: Path,
) -> None:
    model = trained("car-evaluation").out / "xgboost" / "model.tar.gz"
    document = {
        "ModelName": "docker-death",
        "Containers": [{"Image": image("xgboost"), "ModelDataUrl": str(model)}],
    }
    pipeline = write_json(tmp_path / "pipeline.json", document)
    home = tmp_path / "home"
    up = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferline.containers",
            "up",
            str(pipeline),
            "--runtime",
            "docker",
            "--detach",
            "--port",
            "0",
            "--home",
            str(home),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert up.returncode == 0, up.stderr
    state = json.loads((home / "docker-death" / states.STATE_FILE).read_text())
    assert len(labelled(state["harness"])) == 1

    os.kill(state["pid"], signal.SIGKILL)

    until(lambda: not labelled(state["harness"]) or None, "the docker container to go")
