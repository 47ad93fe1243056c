"""`inferline serve`: run one stage as a SageMaker serving container."""

from __future__ import annotations

import argparse
from pathlib import Path

from inferline import stages
from inferline.containers.core.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = subparsers.add_parser(
        "serve",
        help="serve one stage with SageMaker's container contract (/ping, /invocations)",
        description="Load the model in --model-dir (or SM_MODEL_DIR, default /opt/ml/model; "
        "a model.tar.gz is extracted first) and serve it under gunicorn.",
    )
    serve.add_argument("--model-dir", type=Path, help="model directory or model.tar.gz")
    serve.add_argument("--port", type=int, help="port (default: SAGEMAKER_BIND_TO_PORT, else 8080)")
    serve.add_argument(
        "--host",
        help="address to bind (default: INFERLINE_BIND_HOST, else 0.0.0.0, every interface, "
        "as SageMaker requires inside a container; pass 127.0.0.1 outside one)",
    )
    serve.add_argument(
        "--stage",
        help=f"stage kind: {', '.join(stages.names())} "
        "(default: INFERLINE_STAGE, else detected from the model directory)",
    )
    serve.add_argument(
        "--workers", type=int, help="worker processes (SAGEMAKER_MODEL_SERVER_WORKERS)"
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from inferline.containers.server import serve

    settings = Settings.from_env(
        model_dir=args.model_dir,
        port=args.port,
        host=args.host,
        stage=args.stage,
        workers=args.workers,
    )
    serve(settings)
    return 0
