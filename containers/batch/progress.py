"""Progress of a job: a tqdm bar on a terminal, periodic log lines otherwise, and the summary.

The bar counts input bytes (MB, rate and ETA come from tqdm) and shows records,
records/s and files done and failed beside it. Without a terminal (CI, a log file)
one line is logged every `LOG_EVERY_SECONDS`. The `Tally` also collects what each
container took per request, for the final summary.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("inferline.batch")

LOG_EVERY_SECONDS = 10.0
MB = 1024 * 1024


@dataclass
class Tally:
    """Counts of a running job, safe to update from the worker threads."""

    files_total: int = 0
    files_done: int = 0
    files_failed: int = 0
    files_skipped: int = 0
    records: int = 0
    input_bytes: int = 0
    requests: int = 0
    latencies: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_request(self, records: int, input_bytes: int, latencies: dict[str, int]) -> None:
        with self.lock:
            self.records += records
            self.input_bytes += input_bytes
            self.requests += 1
            for container, micros in latencies.items():
                self.latencies[container].append(micros)

    def stop(self) -> None:
        """The clock stops here (stopping the containers is not transforming)."""
        self.stopped = time.monotonic()

    @property
    def seconds(self) -> float:
        return (self.stopped or time.monotonic()) - self.started

    def rate(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.records} records, {self.input_bytes / MB:.1f} MB, {self.rate():.0f} records/s, "
            f"files {self.files_done + self.files_skipped}/{self.files_total} done, "
            f"{self.files_failed} failed"
        )

    def latency_lines(self) -> list[str]:
        """Per container: requests, mean, median and max latency (ms)."""
        lines = []
        for container, values in self.latencies.items():
            if values:
                mean, median = statistics.fmean(values) / 1000, statistics.median(values) / 1000
                lines.append(
                    f"  {container}: {len(values)} requests, mean {mean:.2f} ms, "
                    f"p50 {median:.2f} ms, max {max(values) / 1000:.2f} ms"
                )
        return lines


class Progress:
    """Shows a `Tally` as the job runs: tqdm on a terminal, log lines otherwise."""

    def __init__(
        self, tally: Tally, total_bytes: int | None, *, terminal: bool | None = None
    ) -> None:
        self.tally = tally
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self._bar: Any = None
        self._last_log = time.monotonic()
        self._lock = threading.Lock()
        if self.terminal:
            # types-tqdm is not in the dev extra; tqdm itself ships no annotations.
            from tqdm import tqdm  # type: ignore[import-untyped]

            self._bar = tqdm(
                total=total_bytes,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="transform",
                file=sys.stderr,
            )

    def advance(self, input_bytes: int) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.update(input_bytes)
                self._bar.set_postfix_str(self._postfix(), refresh=False)
            elif time.monotonic() - self._last_log >= LOG_EVERY_SECONDS:
                self._last_log = time.monotonic()
                log.info("transform: %s", self.tally.line())

    def file_finished(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.set_postfix_str(self._postfix())

    def _postfix(self) -> str:
        tally = self.tally
        return (
            f"{tally.records} rec, {tally.rate():.0f} rec/s, "
            f"files {tally.files_done + tally.files_skipped}/{tally.files_total} ok, "
            f"{tally.files_failed} failed"
        )

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
