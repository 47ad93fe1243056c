"""Each decoder's atheris fuzz target runs briefly and finds no crash (fuzz/decoders.py).

A bounded libFuzzer run in a subprocess per decoder: exit status 0 means every input
decoded or raised a 4xx ServingError; anything else is a crash, whose input libFuzzer
writes to the test's directory (the assertion shows its report). `make fuzz` runs
the same targets for longer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.property.catalogue import DECODERS

TARGET = Path(__file__).resolve().parents[2] / "fuzz" / "decoders.py"
RUNS = 2000
DEADLINE_SECONDS = 300


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_fuzz_target_finds_no_crash(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(TARGET), name, f"-runs={RUNS}", "-max_len=4096", "-seed=1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"{name} crashed:\n{result.stderr[-3000:]}"
    assert f"Done {RUNS} runs" in result.stderr, result.stderr[-2000:]


def test_a_crash_is_reported(tmp_path: Path) -> None:
    """The harness itself fails on a crash: an unknown name exits non-zero."""
    result = subprocess.run(
        [sys.executable, str(TARGET), "no-such-decoder"], cwd=tmp_path, capture_output=True
    )
    assert result.returncode != 0
