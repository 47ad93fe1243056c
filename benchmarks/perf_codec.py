"""The sklearn stage's codec: one abalone row and 1,000 rows, CSV or JSON in, CSV or JSON out.

The abalone featurizer + RidgeCV as one scikit-learn Pipeline (as `benchmarks/suite.py`
fits it), served as one estimator-file stage; interleaved over rounds, the median µs
of each call and its ratio to scikit-learn's own `Pipeline.predict` on the same rows:

- ``predict``: scikit-learn's own call on the prepared DataFrame (issue 14's reference);
- ``invoke csv/json``: `SklearnStage.invoke`, the direct path (CSV columns in, the
  output array written straight to CSV or JSON);
- ``json in``, ``records in``: `invoke` of the same rows as JSON (``{"instances":
  [[...]]}``, and records keyed by column name, as a JSON stage before it answers),
  JSON out;
- ``frames csv``, ``frames json in``: `invoke_frames`, the same stage through
  DataFrames both ways;
- ``in-process``: `InProcessPipeline` of the one container, CSV in and out: what
  the suite reports as "inferline, 1 sklearn stage in-process".
- ``featurizer csv/json``: `invoke` of the featurizer alone (its 10 features a row
  written as CSV or JSON: where the number writers' cost shows).

``--before REF`` runs the same calls (except ``frames``, which is new) in a subprocess
on the repository at git REF (`git archive`, imported ahead of this tree), its rounds
alternating with this tree's, so both are measured under the same load.
``--profile`` prints pyinstrument's tree of `invoke` at 1 and at 1,000 rows.

    .venv/bin/python benchmarks/perf_codec.py [--rounds 5] [--calls 300] [--before REF]

Results go in docs/benchmarks.md, "The sklearn stage's codec".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH_ROWS = 1000
FOLDERS = ("containers", "stages", "training")


def subjects(work: Path) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """Each subject's one-row call and 1,000-row call, checked against scikit-learn."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import abalone_artifacts
    import numpy as np

    from inferline.containers.core import definition
    from inferline.containers.core.invocation import Invocation
    from inferline.containers.core.media import MediaType
    from inferline.containers.pipeline.chain import Request
    from inferline.containers.pipeline.inprocess import InProcessPipeline
    from inferline.stages.sklearn import SklearnStage, artifact
    from inferline.training import data

    pipeline = abalone_artifacts.fit_pipeline()
    rows = data.abalone()[abalone_artifacts.COLUMNS]
    one_row, batch = rows.iloc[[0]], rows.sample(BATCH_ROWS, replace=True, random_state=0)
    bodies = abalone_artifacts.csv_rows(one_row), abalone_artifacts.csv_rows(batch)
    stage = SklearnStage.for_estimator(pipeline)
    featurizer = SklearnStage.for_estimator(pipeline[0])  # 10 features a row out
    model_dir = artifact.save(pipeline, work / "single-stage").parent
    spec = definition.parse(
        {
            "ModelName": "single-stage",
            "Containers": [{"Image": "inferline-sklearn", "ModelDataUrl": str(model_dir)}],
        }
    )
    in_process = InProcessPipeline.load(spec.variants[0].model, work / "stage")
    csv, json_type = MediaType("text/csv"), MediaType("application/json")
    instances = tuple(
        json.dumps({"instances": frame.values.tolist()}).encode() for frame in (one_row, batch)
    )
    records = tuple(
        json.dumps(frame.to_dict(orient="records")).encode() for frame in (one_row, batch)
    )

    def invoke(
        call: Callable[[Invocation], Any],
        body: bytes,
        accept: MediaType,
        content_type: MediaType = csv,
    ) -> Any:
        invocation = Invocation(body, content_type, (accept,))
        return lambda: call(invocation).body

    def chained(body: bytes) -> Callable[[], object]:
        request = Request(body, "text/csv", accept="text/csv")
        return lambda: in_process.invoke(request).body

    calls = {
        "predict": (lambda: pipeline.predict(one_row), lambda: pipeline.predict(batch)),
        "invoke csv": tuple(invoke(stage.invoke, body, csv) for body in bodies),
        "invoke json": tuple(invoke(stage.invoke, body, json_type) for body in bodies),
        "json in": tuple(invoke(stage.invoke, body, json_type, json_type) for body in instances),
        "records in": tuple(invoke(stage.invoke, body, json_type, json_type) for body in records),
        "in-process": tuple(chained(body) for body in bodies),
        "featurizer csv": tuple(invoke(featurizer.invoke, body, csv) for body in bodies),
        "featurizer json": tuple(invoke(featurizer.invoke, body, json_type) for body in bodies),
    }
    if hasattr(stage, "invoke_frames"):
        calls["frames csv"] = tuple(invoke(stage.invoke_frames, body, csv) for body in bodies)
        calls["frames json in"] = tuple(
            invoke(stage.invoke_frames, body, json_type, json_type) for body in instances
        )
    for name in ("json in", "records in"):  # the same answer as CSV in, JSON out
        for json_call, csv_call in zip(calls[name], calls["invoke json"], strict=True):
            if json_call() != csv_call():
                raise AssertionError(f"{name} does not answer what CSV in answers")
    for name in ("invoke csv", "in-process"):
        for frame, call in zip((one_row, batch), calls[name], strict=True):
            answer = call()
            assert isinstance(answer, bytes)
            got = np.array([float(line) for line in answer.split()])
            if got.tobytes() != pipeline.predict(frame).tobytes():
                raise AssertionError(f"{name} does not answer scikit-learn's predictions")
    for frame, call in zip((one_row, batch), calls["featurizer csv"], strict=True):
        answer = call()
        got = np.array([[float(v) for v in line.split(b",")] for line in answer.split()])
        if got.tobytes() != pipeline[0].transform(frame).tobytes():
            raise AssertionError("featurizer csv does not answer scikit-learn's features")
    return {name: (pair[0], pair[1]) for name, pair in calls.items()}


def one_round(calls: int) -> dict[str, list[float]]:
    """[1 row µs, 1,000 rows µs] of every subject, in this process."""
    with tempfile.TemporaryDirectory() as work:
        measured = subjects(Path(work))  # puts benchmarks/ on sys.path
        from timing import median_us

        return {
            name: [
                median_us(one, calls),
                median_us(many, max(calls // 10, 5), warmup=2),
            ]
            for name, (one, many) in measured.items()
        }


def tree_at(ref: str, into: Path) -> Path:
    """The repository's code at git `ref`, importable as `inferline` from `into`."""
    archive = into / "tree.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "-o", str(archive), ref, *FOLDERS], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "src", filter="data")
    (into / "inferline").mkdir()
    for folder in FOLDERS:
        (into / "inferline" / folder).symlink_to(into / "src" / folder)
    return into


def worker(calls: int, path: Path | None) -> dict[str, list[float]]:
    environment = dict(os.environ)
    if path is not None:  # ahead of the editable install's finder on sys.meta_path
        environment["PYTHONPATH"] = str(path)
    command = [sys.executable, __file__, "--worker", "--calls", str(calls)]
    output = subprocess.run(command, env=environment, check=True, capture_output=True).stdout
    result: dict[str, list[float]] = json.loads(output)
    return result


def profile() -> None:
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as work:
        measured = subjects(Path(work))
        for label, call, count in (
            ("1 row", measured["invoke csv"][0], 2000),
            ("1,000 rows", measured["invoke csv"][1], 50),
        ):
            profiler = Profiler(interval=0.0001)
            profiler.start()
            for _ in range(count):
                call()
            profiler.stop()
            print(f"## invoke, CSV in and out, {label}")
            print(profiler.output_text(unicode=False))


def table(results: dict[str, dict[str, list[list[float]]]]) -> None:
    print("| subject | 1 row µs | x predict | 1,000 rows µs | x predict |")
    print("|---|---|---|---|---|")
    for tree, measured in results.items():
        reference = [statistics.median(r[i] for r in measured["predict"]) for i in (0, 1)]
        for name, rounds in measured.items():
            cells = []
            for index in (0, 1):
                values = [r[index] for r in rounds]
                middle = statistics.median(values)
                cells.append(f"{middle:.0f} ({min(values):.0f}-{max(values):.0f})")
                cells.append(f"{middle / reference[index]:.3f}")
            print(f"| {tree}: {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--before", metavar="REF", help="also measure the code at this git ref")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(one_round(args.calls)))
        return
    if args.profile:
        profile()
        return
    results: dict[str, dict[str, list[list[float]]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        trees: dict[str, Path | None] = {"this tree": None}
        if args.before:
            trees[args.before] = tree_at(args.before, Path(scratch))
        for _ in range(args.rounds):
            for name, path in trees.items():
                for subject, values in worker(args.calls, path).items():
                    results.setdefault(name, {}).setdefault(subject, []).append(values)
    table(results)


if __name__ == "__main__":
    main()
