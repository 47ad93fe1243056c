"""`inferline train`: reproduce one example pipeline from raw data into a folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from inferline.containers.core.errors import ConfigurationError

# Kept here, not imported from inferline.training.examples, so `inferline --help`
# stays light; a test checks the two lists agree.
EXAMPLES = ("abalone-sklearn", "abalone-sparkml", "car-evaluation", "dbpedia")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = subparsers.add_parser(
        "train",
        help="train an example pipeline and write its model.tar.gz files and pipeline.json",
        description="Fit every stage of an example on a fixed, seeded 80/20 split of its data "
        "set and write, into --out: one model.tar.gz per container, pipeline.json "
        "(CreateModel) and endpoint.json for `inferline up`, samples.json and metrics.json.",
    )
    train.add_argument("example", choices=EXAMPLES, help="the example to train")
    train.add_argument("--out", type=Path, help="output folder (default: artifacts/<example>)")
    train.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from inferline.training.examples import train

    out: Path = args.out or Path("artifacts") / args.example
    try:
        trained = train(args.example, out)
    except ModuleNotFoundError as error:
        # pyspark, xgboost and scikit-learn come with the training extra.
        raise ConfigurationError(
            f"training needs the {error.name} package; install inferline[training]"
        ) from None
    print(f"{trained.name}: wrote {out}/pipeline.json and {out}/endpoint.json")
    print(f"held-out quality: {json.dumps(trained.metrics)}")
    print(f"run it: inferline up {out}/pipeline.json")
    return 0
