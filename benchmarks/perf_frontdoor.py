"""Which WSGI server fronts the harness: werkzeug's (the old one), cheroot, waitress.

Serves a one-container plus-one endpoint through `LocalEndpoint` with each candidate
as its front door, interleaved over rounds, and measures through the harness:
- one row per request, sequential, a keep-alive urllib3 client: p50 µs;
- 8 client threads for a few seconds: requests per second.

    .venv/bin/python benchmarks/perf_frontdoor.py [--rounds 3] [--seconds 4]

Results go in docs/benchmarks.md, section "Performance work".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import chain, model_dir  # noqa: E402
from benchmarks.timing import median_us  # noqa: E402
from inferline.containers.harness import frontdoor, local  # noqa: E402

HEADERS = {"Content-Type": "text/csv", "Accept": "text/csv"}


class _Door:
    def __init__(self, port: int, stop: Callable[[], None]) -> None:
        self.port = port
        self.stop = stop


def werkzeug_door(app: Any, host: str, port: int, **_: object) -> _Door:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: object) -> None:
            pass

    server = make_server(host, port, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return _Door(server.server_port, stop)


def waitress_door(app: Any, host: str, port: int, **_: object) -> _Door:
    import waitress

    server = waitress.create_server(app, host=host, port=port, threads=16)
    threading.Thread(target=server.run, daemon=True).start()
    return _Door(int(server.effective_port), server.close)  # type: ignore[union-attr]


CANDIDATES: dict[str, Callable[..., Any]] = {
    "werkzeug (before)": werkzeug_door,
    "cheroot (frontdoor.py)": frontdoor.start,
    "waitress": waitress_door,
}


def measure(url: str, count: int, seconds: float) -> tuple[float, float]:
    host, port = url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=8, retries=False)
    path = "/endpoints/chain-1/invocations"

    def post() -> bytes:
        return bytes(pool.urlopen("POST", path, body=b"1", headers=HEADERS).data)

    p50 = median_us(post, count, warmup=30)

    def client(_: int) -> int:
        done, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            post()
            done += 1
        return done

    with ThreadPoolExecutor(8) as clients:
        total = sum(clients.map(client, range(8)))
    pool.close()
    return p50, total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in CANDIDATES}
    with tempfile.TemporaryDirectory() as root:
        spec = chain(model_dir(Path(root)), 1)
        for _ in range(args.rounds):
            for name, start in CANDIDATES.items():
                local.frontdoor.start = start  # type: ignore[assignment]
                with local.LocalEndpoint(spec) as endpoint:
                    results[name].append(measure(endpoint.url, args.requests, args.seconds))
    print("| front door | 1 row p50 (µs) | 8 clients req/s |")
    print("|---|---|---|")
    for name, rows in results.items():
        p50 = statistics.median(row[0] for row in rows)
        rps = statistics.median(row[1] for row in rows)
        print(f"| {name} | {p50:.0f} | {rps:.0f} |")


if __name__ == "__main__":
    main()
