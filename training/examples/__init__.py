"""The four example pipelines of the SageMaker inference-pipeline samples, trained from raw data.

    trained = train("car-evaluation", Path("artifacts/car-evaluation"))
    trained.metrics["accuracy"], trained.samples[0].expected

Each example module exposes ``train(out) -> Trained``: it fits every stage on the
training rows of a fixed, seeded 80/20 split, writes the pipeline (see
`inferline.training.outputs`), scores the held-out rows, and records sample
requests with the answers its models give in-process.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inferline.training.samples import Sample

# name -> module; modules import pyspark and friends, so only the chosen one loads.
EXAMPLES: dict[str, str] = {
    "abalone-sklearn": "inferline.training.examples.abalone_sklearn",
    "abalone-sparkml": "inferline.training.examples.abalone_sparkml",
    "car-evaluation": "inferline.training.examples.car_evaluation",
    "dbpedia": "inferline.training.examples.dbpedia",
}


@dataclass(frozen=True)
class Trained:
    """What training one example produced: where, how good, and what to send it."""

    name: str
    out: Path
    metrics: dict[str, Any]
    samples: list[Sample]


def module(name: str) -> Any:
    """The example's module (raises KeyError naming the choices for an unknown name)."""
    if name not in EXAMPLES:
        raise KeyError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return importlib.import_module(EXAMPLES[name])


def train(name: str, out: Path) -> Trained:
    """Train example `name` and write its pipeline into `out`."""
    trained: Trained = module(name).train(out)
    return trained
