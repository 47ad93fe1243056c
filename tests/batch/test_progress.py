"""Progress: tqdm on a terminal, plain log lines otherwise, and the summary's latencies."""

from __future__ import annotations

import logging

import pytest

from inferline.containers.batch import progress
from inferline.containers.batch.progress import Progress, Tally


def test_a_terminal_gets_a_tqdm_bar_with_records_and_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tally = Tally(files_total=3, files_done=1, files_failed=1)
    bar = Progress(tally, total_bytes=2048, terminal=True)
    tally.add_request(5, 1024, {"container-1": 1500})
    bar.advance(1024)
    bar.file_finished()
    bar.close()
    err = capsys.readouterr().err
    assert "transform:" in err and "1.00k/2.00k" in err  # tqdm's bytes done / total
    assert "5 rec" in err and "files 1/3 ok, 1 failed" in err


def test_without_a_terminal_progress_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0.0)
    tally = Tally(files_total=2)
    lines = Progress(tally, total_bytes=None, terminal=False)
    tally.add_request(7, 3 * 1024 * 1024, {})
    with caplog.at_level(logging.INFO, logger="inferline.batch"):
        lines.advance(3 * 1024 * 1024)
    assert "transform: 7 records, 3.0 MB" in caplog.text
    assert "files 0/2 done, 0 failed" in caplog.text


def test_latency_per_container_in_the_summary() -> None:
    tally = Tally()
    for micros in (1000, 2000, 6000):
        tally.add_request(1, 10, {"preprocessor": micros, "xgboost": 500})
    assert tally.latency_lines() == [
        "  preprocessor: 3 requests, mean 3.00 ms, p50 2.00 ms, max 6.00 ms",
        "  xgboost: 3 requests, mean 0.50 ms, p50 0.50 ms, max 0.50 ms",
    ]
