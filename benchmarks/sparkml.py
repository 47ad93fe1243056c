"""Spark ML speed: our Bundle.ML runtime vs PySpark's own transform, side by side.

Three pipelines are fitted in PySpark on the car-evaluation data, saved, converted
with `inferline.stages.sparkml.convert` and loaded with `load_bundle`:

- the car-evaluation preprocessor (6 StringIndexer + 6 OneHotEncoder + VectorAssembler);
- the preprocessor followed by a 20-tree random forest classifier;
- a 15-op pipeline: the preprocessor, a StandardScaler and a LogisticRegression.

For a 1-row request and a 10,000-row batch it reports our µs per row
(`Bundle.transform`, in-process) and PySpark's time per call (DataFrame creation +
transform + collect), as medians over repeats, plus the speed-up for one row.

    .venv/bin/python benchmarks/sparkml.py [--repeat 15] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.timing import median_us  # noqa: E402
from inferline.stages.sparkml.bundle import load_bundle  # noqa: E402
from inferline.stages.sparkml.convert import package_model  # noqa: E402
from inferline.training import data  # noqa: E402
from inferline.training.spark import session  # noqa: E402
from inferline.training.sparkml_featurizers import car_preprocessor  # noqa: E402

BATCH = 10_000
TARGET_US_PER_ROW = 100.0
TARGET_SPEEDUP = 1000.0


def median_seconds(call: Callable[[], Any], repeat: int, warmup: int = 2) -> float:
    return median_us(call, repeat, warmup) / 1e6


def machine() -> dict[str, str]:
    import pyspark

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyspark": pyspark.__version__,
    }


def pipelines() -> dict[str, Any]:
    """The three fitted PySpark pipelines, by name."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression, RandomForestClassifier
    from pyspark.ml.feature import StandardScaler, StringIndexer

    frame = data.car_evaluation()
    training = session().createDataFrame(frame)
    # The label is indexed apart, so that serving the pipelines needs only the features.
    training = (
        StringIndexer(inputCol=data.CAR_LABEL, outputCol="label").fit(training).transform(training)
    )
    stages = car_preprocessor().getStages()
    forest = RandomForestClassifier(numTrees=20, maxDepth=8, seed=1)
    scaled = [
        StandardScaler(inputCol="features", outputCol="scaled"),
        LogisticRegression(featuresCol="scaled", maxIter=50),
    ]
    return {
        "car preprocessor (13 ops)": Pipeline(stages=stages).fit(training),
        "preprocessor + 20-tree random forest": Pipeline(stages=[*stages, forest]).fit(training),
        "15-op pipeline": Pipeline(stages=[*stages, *scaled]).fit(training),
    }


def measure(
    name: str, model: Any, rows: list[tuple[str, ...]], repeat: int, scratch: Path
) -> dict[str, Any]:
    from pyspark.sql.types import StringType, StructField, StructType

    bundle = load_bundle(package_model(model, scratch / f"{abs(hash(name))}.tar.gz"))
    columns = list(data.CAR_FEATURES)
    schema = StructType([StructField(c, StringType()) for c in columns])
    spark = session()

    def ours(n: int) -> Callable[[], Any]:
        frame = {
            c: np.array([row[i] for row in rows[:n]], dtype=object) for i, c in enumerate(columns)
        }
        return lambda: bundle.transform(frame)

    def theirs(n: int) -> Callable[[], Any]:
        return lambda: model.transform(spark.createDataFrame(rows[:n], schema)).collect()

    ours_1 = median_seconds(ours(1), repeat * 200, warmup=50)
    ours_batch = median_seconds(ours(BATCH), repeat)
    spark_1 = median_seconds(theirs(1), repeat)
    spark_batch = median_seconds(theirs(BATCH), max(3, repeat // 3), warmup=1)
    return {
        "pipeline": name,
        "ops": _ops(bundle.root),
        "ours_us_per_row_1": ours_1 * 1e6,
        "ours_us_per_row_batch": ours_batch / BATCH * 1e6,
        "spark_ms_per_call_1": spark_1 * 1e3,
        "spark_ms_per_call_batch": spark_batch * 1e3,
        "speedup_1": spark_1 / ours_1,
        "speedup_batch": spark_batch / ours_batch,
    }


def _ops(root: Any) -> int:
    children = getattr(root, "children", None) or []
    return sum(_ops(child) for child in children) if children else 1


def report(results: list[dict[str, Any]], info: dict[str, str]) -> str:
    lines = [
        f"Machine: {info['nproc']} cores, {info['cpu']}; Python {info['python']}, "
        f"numpy {info['numpy']}, pyspark {info['pyspark']}.",
        "",
        "| pipeline | ours, 1 row (µs/row) | PySpark, 1 row (ms/call) | speed-up, 1 row "
        f"| ours, {BATCH:,} rows (µs/row) | PySpark, {BATCH:,} rows (ms/call) "
        f"| speed-up, {BATCH:,} rows |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['pipeline']} | {r['ours_us_per_row_1']:.1f} | {r['spark_ms_per_call_1']:.1f} "
            f"| {r['speedup_1']:,.0f}x | {r['ours_us_per_row_batch']:.2f} "
            f"| {r['spark_ms_per_call_batch']:.0f} | {r['speedup_batch']:.1f}x |"
        )
    fifteen = next(r for r in results if r["pipeline"] == "15-op pipeline")
    lines += [
        "",
        f"15-op pipeline, 1 row: {fifteen['ours_us_per_row_1']:.1f} µs per row "
        f"(target < {TARGET_US_PER_ROW:.0f}), {fifteen['speedup_1']:,.0f}x PySpark "
        f"(target >= {TARGET_SPEEDUP:,.0f}x).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed repeats per figure")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    frame = data.car_evaluation()
    picks = np.random.default_rng(7).integers(0, len(frame), BATCH)
    rows = [tuple(frame.iloc[i][c] for c in data.CAR_FEATURES) for i in picks]
    with tempfile.TemporaryDirectory(prefix="inferline-bench-") as scratch:
        results = [
            measure(name, model, rows, args.repeat, Path(scratch))
            for name, model in pipelines().items()
        ]
    info = machine()
    print(
        json.dumps({"machine": info, "results": results}, indent=2)
        if args.json
        else report(results, info)
    )


if __name__ == "__main__":
    main()
