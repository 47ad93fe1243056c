"""Spark ML runtime benchmark: rows through a 15-op bundle, in-process, no HTTP.

The bundle is the car-evaluation preprocessor (6 StringIndexer + 6 OneHotEncoder +
VectorAssembler) followed by a StandardScaler and a 4-class LogisticRegression:
15 ops. Measures `Bundle.run` for 1 row and for 1,000 rows, `Bundle.transform` (the
API, csr_matrix out) for 1 row, and the stage's whole
`invoke` (CSV decode, schema cast, run, CSV encode) for 1 row. Reports the median of
several repeats in both wall time and process CPU time (the CPU figure is steadier
on a shared machine).

    .venv/bin/python benchmarks/sparkml_runtime.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inferline.containers.core.invocation import Invocation  # noqa: E402
from inferline.containers.core.media import MediaType  # noqa: E402
from inferline.stages.sparkml.bundle import load_bundle  # noqa: E402
from inferline.stages.sparkml.convert import values as v  # noqa: E402
from inferline.stages.sparkml.convert.graph import Node  # noqa: E402
from inferline.stages.sparkml.convert.writer import write_bundle  # noqa: E402
from inferline.stages.sparkml.stage import SparkMLStage  # noqa: E402

# The car-evaluation dataset's columns and their values, as the example indexes them.
CAR_COLUMNS = {
    "buying": ["low", "med", "high", "vhigh"],
    "maint": ["low", "med", "high", "vhigh"],
    "doors": ["2", "3", "4", "5more"],
    "persons": ["2", "4", "more"],
    "lug_boot": ["small", "med", "big"],
    "safety": ["low", "med", "high"],
}
WIDTH = sum(len(levels) - 1 for levels in CAR_COLUMNS.values())  # one-hot, last dropped: 15
SCHEMA = {
    "input": [{"name": name, "type": "string"} for name in CAR_COLUMNS],
    "output": {"name": "probability", "type": "double", "struct": "vector"},
}
ROW = ["low", "low", "5more", "more", "big", "high"]


def fifteen_op_bundle(directory: Path) -> Path:
    """The car preprocessor (6 StringIndexer, 6 OneHotEncoder, VectorAssembler), then a
    StandardScaler and a 4-class LogisticRegression, written by the converter's writer."""
    rng = np.random.default_rng(0)
    indexers, encoders = [], []
    for name, levels in CAR_COLUMNS.items():
        indexers.append(
            Node(
                f"string_indexer_{name}",
                "string_indexer",
                {
                    "labels_length": v.integer(1),
                    "labels_array_0": v.strings(levels),
                    "handle_invalid": v.string("error"),
                },
                [("input", name)],
                [("output", f"indexed_{name}")],
            )
        )
        encoders.append(
            Node(
                f"one_hot_encoder_{name}",
                "one_hot_encoder",
                {
                    "category_sizes": v.integers([len(levels)]),
                    "drop_last": v.boolean(True),
                    "handle_invalid": v.string("error"),
                },
                [("input", f"indexed_{name}")],
                [("output", f"{name}_vec")],
            )
        )
    assembler = Node(
        "vector_assembler",
        "vector_assembler",
        {"input_shapes": v.data_shapes(len(levels) - 1 for levels in CAR_COLUMNS.values())},
        [(f"input{i}", f"{name}_vec") for i, name in enumerate(CAR_COLUMNS)],
        [("output", "features")],
    )
    scaler = Node(
        "standard_scaler",
        "standard_scaler",
        {"std": v.tensor(rng.uniform(0.5, 2, WIDTH)), "mean": v.tensor(rng.uniform(0, 1, WIDTH))},
        [("input", "features")],
        [("output", "scaled")],
    )
    classifier = Node(
        "logistic_regression",
        "logistic_regression",
        {
            "num_classes": v.long(4),
            "coefficient_matrix": v.tensor(rng.normal(size=(4, WIDTH))),
            "intercept_vector": v.tensor(rng.normal(size=4)),
        },
        [("features", "scaled")],
        [("raw_prediction", "raw"), ("probability", "probability"), ("prediction", "prediction")],
    )
    children = [*indexers, *encoders, assembler, scaler, classifier]
    write_bundle(Node("pipeline_car", "pipeline", children=children), directory)
    return directory


def measure(function: Callable[[], object], number: int, repeat: int) -> tuple[float, float]:
    """Median seconds per call: (wall, process CPU)."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            function()
        walls.append((time.perf_counter() - wall) / number)
        cpus.append((time.process_time() - cpu) / number)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    directory = fifteen_op_bundle(Path(tempfile.mkdtemp()) / "bundle")
    bundle = load_bundle(directory)
    stage = SparkMLStage.load(directory, json.dumps(SCHEMA))
    one = stage.schema.frame([ROW])
    many = stage.schema.frame([ROW] * 1000)
    invocation = Invocation(body=",".join(ROW).encode(), content_type=MediaType("text/csv"))
    steps = len(bundle.root.children)
    print(f"# {platform.python_version()} on {platform.machine()}, {steps} ops")
    for label, function, number, rows in [
        ("Bundle.run, 1 row", lambda: bundle.run(one), 2000, 1),
        ("Bundle.transform, 1 row (csr out)", lambda: bundle.transform(one), 2000, 1),
        ("Bundle.run, 1,000 rows", lambda: bundle.run(many), 20, 1000),
        ("SparkMLStage.invoke, 1 CSV row", lambda: stage.invoke(invocation), 2000, 1),
    ]:
        wall, cpu = measure(function, number, args.repeat)
        per_row = f"  ({cpu / rows * 1e6:.2f} µs CPU per row)" if rows > 1 else ""
        print(f"{label:34s} wall {wall * 1e6:9.1f} µs   CPU {cpu * 1e6:9.1f} µs{per_row}")


if __name__ == "__main__":
    main()
