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
from inferline.containers.core.settings import Settings  # noqa: E402
from inferline.stages.sparkml.bundle import load_bundle  # noqa: E402
from inferline.stages.sparkml.stage import SparkMLStage  # noqa: E402
from tests.sparkml import bundles, examples  # noqa: E402

ROW = ["low", "low", "5more", "more", "big", "high"]


def fifteen_op_bundle(directory: Path) -> Path:
    rng = np.random.default_rng(0)
    items = _car_nodes()
    items.append(
        bundles.node(
            "standard_scaler",
            {
                "std": bundles.tensor(rng.uniform(0.5, 2, 15)),
                "mean": bundles.tensor(rng.uniform(0, 1, 15)),
            },
            {"input": "features"},
            {"output": "scaled"},
        )
    )
    items.append(
        bundles.node(
            "logistic_regression",
            {
                "num_classes": bundles.long(4),
                "coefficient_matrix": bundles.tensor(rng.normal(size=(4, 15))),
                "intercept_vector": bundles.tensor(rng.normal(size=4)),
            },
            {"features": "scaled"},
            {"raw_prediction": "raw", "probability": "probability", "prediction": "prediction"},
        )
    )
    return bundles.write_bundle(directory, items)


def _car_nodes() -> list[bundles.Node]:
    scratch = Path(tempfile.mkdtemp())
    examples.car_preprocessor(scratch)
    root = scratch / "root"
    names = json.loads((root / "model.json").read_text())["attributes"]["nodes"]["string"]
    items = []
    for name in names:
        model = json.loads((root / f"{name}.node" / "model.json").read_text())
        shape = json.loads((root / f"{name}.node" / "node.json").read_text())["shape"]
        items.append(
            bundles.node(
                model["op"],
                model["attributes"],
                {s["port"]: s["name"] for s in shape["inputs"]},
                {s["port"]: s["name"] for s in shape["outputs"]},
            )
        )
    return items


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
    schema = {
        "input": examples.CAR_SCHEMA["input"],
        "output": {"name": "probability", "type": "double", "struct": "vector"},
    }
    stage = SparkMLStage.load(directory, Settings(sparkml_schema=json.dumps(schema)))
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
