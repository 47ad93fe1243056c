"""Every decoder's atheris fuzz target runs briefly and finds no crash (fuzz/decoders.py).

One bounded libFuzzer run of the `all` target in a subprocess (the first byte of each
input picks the decoder: about RUNS_PER_DECODER inputs each, one interpreter start):
exit status 0 means every input decoded or raised a 4xx ServingError; anything else
is a crash, whose input libFuzzer writes to the test's directory (the assertion shows
its report, naming the decoder). `make fuzz` runs each decoder's target for longer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.property.catalogue import DECODERS

TARGET = Path(__file__).resolve().parents[2] / "fuzz" / "decoders.py"
RUNS_PER_DECODER = 2000
RUNS = RUNS_PER_DECODER * len(DECODERS)
DEADLINE_SECONDS = 300


def test_the_fuzz_targets_find_no_crash(tmp_path: Path) -> None:
    name = "all"
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
