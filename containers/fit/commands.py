"""`inferline fit SCRIPT --train DIR --out DIR`: run a SageMaker training script locally.

The script runs as a SageMaker training job runs it (`job.py`), its log streaming here;
the result is packed for serving (`package.py`) and the CreateModel container that
serves it is printed (and written to ``OUT/container.json``), ready for a pipeline file.
Exit status: the script's own when it fails, 2 for a bad job, 0 when packed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ConfigurationError

CONTAINER_FILE = "container.json"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "fit",
        help="run a SageMaker training script locally and package it for serving",
        description="Run SCRIPT as a SageMaker training job does (an /opt/ml-style tree, "
        "SM_MODEL_DIR, SM_CHANNEL_<NAME>, SM_HPS, SM_HP_<NAME>, SM_TRAINING_ENV, "
        "hyperparameters as --name value arguments), then pack SM_MODEL_DIR with the "
        "script under code/ as OUT/model.tar.gz, as SKLearnModel does, and print the "
        "CreateModel container that serves it. See docs/migration.md.",
    )
    parser.add_argument("script", type=Path, help="the training (and inference) script")
    parser.add_argument("--train", type=Path, required=True, help="the train channel's folder")
    parser.add_argument("--validation", type=Path, help="the validation channel's folder")
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="another channel (repeatable), e.g. --channel test=data/test",
    )
    parser.add_argument(
        "--hyperparameters",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="one JSON object, or key=value pairs (values read as JSON when they parse)",
    )
    parser.add_argument(
        "--source-dir",
        type=Path,
        help="a folder holding SCRIPT and the modules it imports (the SDK's source_dir)",
    )
    parser.add_argument("--out", type=Path, required=True, help="where model.tar.gz goes")
    parser.add_argument("--image", default="inferline-sklearn", help="the serving image")
    parser.add_argument("--region", default="us-east-1", help="SAGEMAKER_REGION to set")
    parser.add_argument(
        "--keep", action="store_true", help="keep the job's /opt/ml-style tree (path printed)"
    )
    parser.set_defaults(run=run)


def channels(args: argparse.Namespace) -> dict[str, Path]:
    found = {"train": args.train}
    if args.validation is not None:
        found["validation"] = args.validation
    for item in args.channel:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise ConfigurationError(f"--channel {item!r}: use NAME=DIR")
        if name in found:
            raise ConfigurationError(f"--channel {name}: that channel is given twice")
        found[name] = Path(folder)
    return found


def run(args: argparse.Namespace) -> int:
    from inferline.containers.fit.job import TrainingJob, parse_hyperparameters
    from inferline.containers.fit.package import container_definition, package

    base = Path(tempfile.mkdtemp(prefix="inferline-fit-"))
    job = TrainingJob(
        script=args.script,
        channels=channels(args),
        base=base / "ml",
        hyperparameters=parse_hyperparameters(args.hyperparameters),
        source_dir=args.source_dir,
        region=args.region,
    )
    try:
        job.prepare()
        print(f"inferline fit: training {job.entry_point} in {job.base}", file=sys.stderr)
        status = job.run()
        if status != 0:
            print(f"inferline fit: {job.entry_point} exited with status {status}", file=sys.stderr)
            return status
        model_data = package(job, args.out)
        container: dict[str, Any] = container_definition(job, model_data, args.image)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(base, ignore_errors=True)
    text = json.dumps(container, indent=2)
    (args.out / CONTAINER_FILE).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0
