"""`inferline up --port P` without a pipeline file, and `inferline down`, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.controlplane.conftest import client, create_plus_model

COMMAND_SECONDS = 120


def inferline(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferline.containers", *arguments],
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def test_up_without_a_pipeline_serves_the_control_plane_until_down(
    tmp_path: Path, plus: dict[int, Path]
) -> None:
    home = tmp_path / "home"
    started = inferline("up", "--port", "0", "--detach", "--home", str(home))
    assert started.returncode == 0, started.stderr
    state = json.loads((home / "controlplane" / "state.json").read_text())
    sm = client("sagemaker", state["url"])
    assert sm.list_models()["Models"] == []
    create_plus_model(sm, plus, "kept", 1)

    stopped = inferline("down", "controlplane", "--home", str(home))
    assert stopped.returncode == 0, stopped.stderr
    assert not (home / "controlplane" / "state.json").exists()
    resources = json.loads((home / "controlplane" / "resources.json").read_text())
    assert list(resources["models"]) == ["kept"]
