"""The serving app's cost per POST /invocations, in-process: Flask's view or the fast path.

Loads the plus-one transformer (benchmarks/harness.py's model) as a container does and
calls, interleaved over rounds, with the same one-row CSV request:
- the app as gunicorn calls it (the fast path, `containers/app.py` FastInvocations),
  which runs inferline's own stages without Flask's request context;
- the same fast path inside Flask's request context, as it runs inference scripts;
- Flask's own WSGI app behind it (the view the fast path replaces);
- the HTTP-free handler alone (decode, stage, encode: the floor of all three).

    .venv/bin/python benchmarks/perf_app.py [--rounds 5] [--calls 1000]

Results go in docs/benchmarks.md, "Per hop".
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
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
        in_context = FastInvocations(app, handler, settings.request_limit)
        in_context.app = app.wsgi_app.app  # Flask's own, behind the installed fast path
        in_context.request_context = True
        calls: dict[str, Callable[[], bytes]] = {
            "app with the fast path (no request context: inferline's stages)": through(app),
            "fast path in Flask's request context (scripts)": through(in_context),
            "Flask's view (before)": through(app.wsgi_app.app),
            "handler alone": lambda: handler.invoke(b"1", headers).body,
        }
        assert len({call() for call in calls.values()}) == 1  # the same answer
        results: dict[str, list[float]] = {name: [] for name in calls}
        cpu: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                started = time.process_time()
                results[name].append(median_us(call, args.calls))
                cpu[name].append((time.process_time() - started) / (args.calls + 20) * 1e6)
    print("| POST /invocations, in-process | median µs (min-max over rounds) | CPU µs per call |")
    print("|---|---|---|")
    for name, values in results.items():
        spread = f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
        print(f"| {name} | {spread} | {statistics.median(cpu[name]):.0f} |")


if __name__ == "__main__":
    main()
