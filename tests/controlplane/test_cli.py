"""`inferline up --port P` without a pipeline file, and `inferline down`, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.controlplane.conftest import (
    client,
    create_plus_model,
    invoke,
    variant,
    wait_in_service,
)

COMMAND_SECONDS = 120


def inferline(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferline.containers", *arguments],
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
    )


def test_up_without_a_pipeline_serves_until_down_which_flushes_capture(
    tmp_path: Path, plus: dict[int, Path]
) -> None:
    home, capture = tmp_path / "home", tmp_path / "capture"
    started = inferline("up", "--port", "0", "--detach", "--home", str(home))
    assert started.returncode == 0, started.stderr
    try:
        _serve_and_stop(home, capture, plus)
    finally:  # a failed assertion must not leave the detached control plane running
        if (home / "controlplane" / "state.json").exists():
            inferline("down", "controlplane", "--home", str(home))


def _serve_and_stop(home: Path, capture: Path, plus: dict[int, Path]) -> None:
    state = json.loads((home / "controlplane" / "state.json").read_text())
    sm = client("sagemaker", state["url"])
    assert sm.list_models()["Models"] == []
    create_plus_model(sm, plus, "kept", 1)
    sm.create_endpoint_config(
        EndpointConfigName="kept",
        ProductionVariants=[variant("kept")],
        DataCaptureConfig={
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": str(capture),
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sm.create_endpoint(EndpointName="kept", EndpointConfigName="kept")
    wait_in_service(sm, "kept")
    runtime = client("sagemaker-runtime", state["url"])
    assert [invoke(runtime, "kept", str(n))[0] for n in (1, 2)] == ["2.0", "3.0"]

    stopped = inferline("down", "controlplane", "--home", str(home))  # SIGTERM
    assert stopped.returncode == 0, stopped.stderr
    assert not (home / "controlplane" / "state.json").exists()
    lines = [line for path in capture.rglob("*.jsonl") for line in path.read_text().split("\n")]
    assert len([line for line in lines if line]) == 2  # nothing lost on SIGTERM
    resources = json.loads((home / "controlplane" / "resources.json").read_text())
    assert list(resources["models"]) == ["kept"]
    assert resources["endpoints"]["kept"]["EndpointStatus"] == "InService"  # restored next up


def test_up_with_a_file_deploys_it_through_the_operations_and_update_is_update_endpoint(
    tmp_path: Path, plus: dict[int, Path]
) -> None:
    from tests.harness.conftest import chain_of, write

    home = tmp_path / "home"
    first = write(tmp_path / "pipeline.json", chain_of(plus[1], 1, name="filed"))
    started = inferline("up", str(first), "--port", "0", "--detach", "--home", str(home))
    assert started.returncode == 0, started.stderr
    try:
        state = json.loads((home / "filed" / "state.json").read_text())
        sm = client("sagemaker", state["url"])
        described = sm.describe_endpoint(EndpointName="filed")
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == "filed"
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["filed"]
        runtime = client("sagemaker-runtime", state["url"])
        assert invoke(runtime, "filed", "1")[0] == "2.0"

        second = write(tmp_path / "update.json", chain_of(plus[2], 1, name="filed"))
        updated = inferline("update", str(second), "--home", str(home))
        assert updated.returncode == 0, updated.stderr
        described = sm.describe_endpoint(EndpointName="filed")
        assert described["EndpointStatus"] == "InService"
        assert described["EndpointConfigName"] == "filed-1"  # a new config, by UpdateEndpoint
        assert invoke(runtime, "filed", "1")[0] == "3.0"
        assert sorted(m["ModelName"] for m in sm.list_models()["Models"]) == ["filed", "filed-1"]
    finally:
        down = inferline("down", "filed", "--home", str(home))
    assert down.returncode == 0, down.stderr
