"""The `inferline` command: one subcommand per module, each adding its own parser.

Every command module exposes ``register(subparsers)`` and keeps heavy imports inside
its handlers, so ``inferline --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inferline.containers.core.errors import InferlineError

COMMAND_MODULES = (
    "inferline.containers.commands",
    "inferline.containers.harness.cli",
    "inferline.containers.images.command",
    "inferline.containers.export",
    "inferline.containers.batch.commands",
    "inferline.containers.fit.commands",
    "inferline.stages.sparkml.convert.commands",
    "inferline.training.commands",
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="inferline",
        description="Serve scikit-learn, Spark ML and model stages as SageMaker-compatible "
        "containers, and run whole inference pipelines locally.",
    )
    subparsers = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result: int | None = args.run(args)
    except InferlineError as error:
        print(f"inferline {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
