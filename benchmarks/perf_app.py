"""The serving app's cost per POST /invocations, in-process: Flask's view or the fast path.

Loads the plus-one transformer (benchmarks/harness.py's model) as a container does and
calls, interleaved over rounds, with the same one-row CSV request:
- the app as gunicorn calls it (the fast path, `containers/app.py` FastInvocations);
- Flask's own WSGI app behind it (the view the fast path replaces);
- the HTTP-free handler alone (decode, stage, encode: the floor of both).

    .venv/bin/python benchmarks/perf_app.py [--rounds 5] [--calls 1000]

Results go in docs/benchmarks.md, section "Performance work".
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.datastructures import Headers  # noqa: E402

from benchmarks.harness import median_us, model_dir  # noqa: E402
from inferline import stages  # noqa: E402
from inferline.containers.app import FastInvocations, create_app  # noqa: E402
from inferline.containers.core.container import ContainerHandler  # noqa: E402
from inferline.containers.core.settings import Settings  # noqa: E402


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/invocations",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b"1"),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": "1",
        "CONTENT_TYPE": "text/csv",
        "HTTP_ACCEPT": "text/csv",
    }


def through(app: Callable[..., Any]) -> Callable[[], bytes]:
    def start_response(status: str, headers: list[tuple[str, str]], exc: object = None) -> None:
        pass

    return lambda: b"".join(app(environ(), start_response))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        settings = Settings(model_dir=model_dir(Path(root)))
        stage = stages.load(None, settings.model_dir, settings)
        app = create_app(stage, settings)
        assert isinstance(app.wsgi_app, FastInvocations)
        handler = ContainerHandler(stage, settings)
        headers = Headers({"Content-Type": "text/csv", "Accept": "text/csv"})
        calls = {
            "app with the fast path": through(app),
            "Flask's view (before)": through(app.wsgi_app.app),
            "handler alone": lambda: handler.invoke(b"1", headers).body,
        }
        assert len({call() for call in calls.values()}) == 1  # the same answer
        results: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                results[name].append(median_us(call, args.calls))
    print("| POST /invocations, in-process | median µs (min-max over rounds) |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f}) |")


if __name__ == "__main__":
    main()
