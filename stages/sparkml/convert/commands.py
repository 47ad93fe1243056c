"""`inferline package sparkml`: a saved Spark ML model -> a SageMaker model.tar.gz."""

from __future__ import annotations

import argparse
from pathlib import Path

from inferline.containers.core.errors import ConfigurationError
from inferline.stages.sparkml.kind import BUNDLE_FILE


def _package_subparsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The sub-commands of ``inferline package``, created by whichever module comes first."""
    package = subparsers.choices.get("package")
    if package is None:
        package = subparsers.add_parser(
            "package",
            help="turn a trained model into a SageMaker model.tar.gz",
            description="Turn a trained model into a model.tar.gz that SageMaker (and "
            "`inferline serve`) can load.",
        )
        package.add_subparsers(dest="format", required=True, metavar="FORMAT")
    return next(
        action for action in package._actions if isinstance(action, argparse._SubParsersAction)
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sparkml = _package_subparsers(subparsers).add_parser(
        "sparkml",
        help="convert a saved Spark ML model into an MLeap bundle (no JVM needed)",
        description="Read a Spark ML PipelineModel (or one fitted stage) saved with "
        "model.write().save(DIR) and write an MLeap Bundle.ML, JSON format, with "
        f"{BUNDLE_FILE} and root/ at the top of the archive, as SageMaker's SparkML "
        "serving container expects.",
    )
    sparkml.add_argument("model_dir", type=Path, metavar="SPARK_MODEL_DIR")
    sparkml.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("model.tar.gz"),
        help="archive to write (default: model.tar.gz)",
    )
    sparkml.add_argument(
        "--vector-size",
        action="append",
        default=[],
        metavar="NAME=SIZE",
        help="size of a vector input column (needed only when the model reads raw vectors)",
    )
    sparkml.set_defaults(run=run_sparkml)


def _sizes(pairs: list[str]) -> dict[str, int]:
    sizes = {}
    for pair in pairs:
        name, _, size = pair.partition("=")
        if not name or not size.isdigit():
            raise ConfigurationError(f"--vector-size expects NAME=SIZE, got {pair!r}")
        sizes[name] = int(size)
    return sizes


def run_sparkml(args: argparse.Namespace) -> int:
    from inferline.stages.sparkml.convert import package

    path = package(args.model_dir, args.output, _sizes(args.vector_size))
    print(f"wrote {path}")
    return 0
