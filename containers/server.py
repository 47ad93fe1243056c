"""`inferline serve`: load the stage, then run it under gunicorn.

The stage is loaded once in the gunicorn master before any worker forks (preload),
so a model that cannot load is a clear startup error rather than a crash loop, the
port is bound only when the model is ready, and workers share the model's memory.
Workers are gthread: keep-alive connections between pipeline hops, and a /ping is
answered by another thread while an inference runs (docs/benchmarks.md compares
gthread and sync workers).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from inferline import stages
from inferline.containers.app import create_app
from inferline.containers.core import modeldir
from inferline.containers.core.settings import Settings

ACCESS_LOG_FORMAT = (
    "%(m)s %(U)s %(s)s %(B)s bytes %(D)sus inference-id=%({x-amzn-sagemaker-inference-id}i)s"
)
GUNICORN_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
KEEPALIVE_SECONDS = 75  # longer than any client's idle pool, so a reused connection is open
GRACEFUL_SECONDS = 25  # SageMaker sends SIGKILL 30 s after SIGTERM


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn running an app object we already built (no import string)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    level = GUNICORN_LEVELS.get(settings.log_level - settings.log_level % 10, "info")
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": settings.worker_class,
        "threads": settings.threads,
        "timeout": settings.timeout,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
        "preload_app": True,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": level,
        "proc_name": "inferline",
        # One shared control socket path would collide between the containers of a pipeline.
        "control_socket_disable": True,
    }


def build_app(settings: Settings) -> Flask:
    """Resolve the model directory, load the stage and wrap it in the Flask app."""
    model_dir = modeldir.resolve(settings.model_dir)
    stage = stages.load(settings.stage, model_dir, settings)
    return create_app(stage, settings)


def serve(settings: Settings) -> None:
    """Load the model, then serve until SIGTERM (graceful: in-flight requests finish)."""
    logging.basicConfig(
        stream=sys.stdout,
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = build_app(settings)
    logging.getLogger("inferline.server").info(
        "serving %s on %s:%d", settings.model_dir, settings.host, settings.port
    )
    _Gunicorn(app, gunicorn_options(settings)).run()
