"""The suite's workloads against one HTTP target, and the wrk run for concurrency.

- `sequential`: one request at a time over one keep-alive connection (urllib3's pool, the
  cheapest Python client in benchmarks/harness.py); it also counts the connections made.
- `concurrent`: wrk (Debian's package; a C client, so not the bottleneck) with 8
  connections, POST bodies set by a generated Lua script that also prints the figures.
- `cold_start`: process start to the first 200 on the health path, then to the first answer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import urllib3

POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Sequential:
    latencies: list[float]  # seconds
    connections: int  # TCP connections the client opened for all of them


def sequential(
    url: str, path: str, body: bytes, headers: dict[str, str], count: int, warmup: int = 10
) -> Sequential:
    host, port = url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=1, block=True, retries=False)
    samples: list[float] = []
    try:
        for index in range(warmup + count):
            started = time.perf_counter()
            response = pool.urlopen("POST", path, body=body, headers=headers, timeout=60)
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {response.data[:300]!r}")
            if index >= warmup:
                samples.append(elapsed)
        return Sequential(samples, pool.num_connections)
    finally:
        pool.close()


def in_process(
    call: Callable[[], object], count: int, warmup: int = 10
) -> tuple[list[float], float]:
    """Wall seconds of each call, and the process CPU seconds per call (steadier under load)."""
    for _ in range(warmup):
        call()
    samples = []
    cpu_started = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples, (time.process_time() - cpu_started) / count


@dataclass(frozen=True)
class Concurrent:
    requests_per_second: float
    p50: float  # seconds
    p99: float
    errors: int  # non-2xx/3xx answers plus socket errors


LUA = """
wrk.method = "POST"
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRK {{"requests": %d, "duration_us": %d, "p50_us": %d,'
    .. ' "p99_us": %d, "errors": %d}}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
"""


def lua_string(text: str) -> str:
    """`text` as a Lua long-bracket string, with enough '=' that the body cannot close it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def wrk_path() -> str | None:
    return shutil.which("wrk")


def concurrent(
    url: str, path: str, body: bytes, headers: dict[str, str], seconds: float, connections: int = 8
) -> Concurrent:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    header_lines = "\n".join(
        f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()
    )
    script = LUA.format(body=lua_string(body.decode()), headers=header_lines)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        result = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                handle.name,
                url + path,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        Path(handle.name).unlink()
    for line in result.stdout.splitlines():
        if line.startswith("WRK "):
            figures = json.loads(line[4:])
            duration = figures["duration_us"] / 1e6
            return Concurrent(
                figures["requests"] / duration,
                figures["p50_us"] / 1e6,
                figures["p99_us"] / 1e6,
                figures["errors"],
            )
    raise RuntimeError(f"wrk printed no figures: {result.stdout[-300:]} {result.stderr[-300:]}")


def wait_status(
    url: str,
    deadline: float,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    alive: Callable[[], bool] = lambda: True,
) -> bytes:
    """Poll until `url` answers 200; return its body. Raise past `deadline` or if not alive."""
    http = urllib3.PoolManager(retries=False)
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process exited before {url} answered 200 ({last})")
        try:
            response = http.request(method, url, body=body, headers=headers, timeout=5)
            if response.status == 200:
                return bytes(response.data)
            last = f"status {response.status}: {response.data[:200]!r}"
        except urllib3.exceptions.HTTPError as error:
            last = type(error).__name__
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{url} did not answer 200 in time ({last})")
