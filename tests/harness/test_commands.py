"""`inferline up --detach | invoke | logs | update | down` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.harness.conftest import chain_of, write

TIMEOUT = 300


def inferline(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferline.containers", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_up_invoke_logs_update_down(plus: dict[int, Path], tmp_path: Path) -> None:
    home = tmp_path / ".inferline"
    first = write(tmp_path / "pipeline.json", chain_of(plus[1], 2, name="cli"))
    second = write(tmp_path / "update.json", chain_of(plus[2], 1, name="cli"))

    up = inferline("up", str(first), "--detach", "--port", "0", home=home)
    assert up.returncode == 0, up.stderr
    try:
        state = json.loads((home / "cli" / "state.json").read_text())
        assert state["url"] in up.stdout

        invoked = inferline(
            "invoke",
            "cli",
            "--body",
            "1",
            "--content-type",
            "text/csv",
            "--accept",
            "text/csv",
            home=home,
        )
        assert invoked.returncode == 0, invoked.stderr
        assert float(invoked.stdout) == 3.0
        assert (
            "container-1" in invoked.stderr
            and "container-2" in invoked.stderr
            and " ms" in invoked.stderr
        )

        listed = inferline("logs", home=home)
        assert listed.stdout.splitlines()[0].startswith("container-1\t")
        log = inferline("logs", "container-2", home=home)
        assert "container-2 | " in log.stdout and "POST /invocations 200" in log.stdout

        (tmp_path / "body.csv").write_text("5")
        updated = inferline("update", str(second), home=home)
        assert updated.returncode == 0, updated.stderr
        invoked = inferline(
            "invoke",
            "cli",
            "--body",
            f"@{tmp_path / 'body.csv'}",
            "--content-type",
            "text/csv",
            "--accept",
            "text/csv",
            home=home,
        )
        assert float(invoked.stdout) == 7.0

        failed = inferline("invoke", "cli", "--body", "1", "--content-type", "image/png", home=home)
        assert failed.returncode == 1
        assert (
            "424" in failed.stderr
            and "Received client error (415) from container-1" in failed.stderr
        )
    finally:
        down = inferline("down", home=home)
    assert down.returncode == 0, down.stderr
    assert not (home / "cli" / "state.json").exists()


def test_a_bad_file_fails_before_anything_starts(plus: dict[int, Path], tmp_path: Path) -> None:
    path = write(tmp_path / "sixteen.json", chain_of(plus[1], 16))
    result = inferline("up", str(path), home=tmp_path / ".inferline")
    assert result.returncode == 2
    assert "Containers has 16 containers; a model has 1, or a pipeline of 2 to 15" in result.stderr
    assert not (tmp_path / ".inferline" / "chain").exists()
