"""The linear-learner stage: the table path (pandas) against the direct path, 1 and 1,000 rows.

Fits the abalone-sklearn example's featurizer and RidgeCV as training fits them; the
request bodies are what the featurizer script answers for its held-out rows (JSON
``{"instances": [{"features": [...]}]}``, or CSV), one row or 1,000 (resampled with a
fixed seed). Measured in-process, the stage's `invoke` (decode, predict, encode), with
every variant interleaved (A B C A B C ...) within each round:

- table path, scikit-learn `predict`: the stage as it was before the direct path;
- table path, compiled predict: what a body the direct path does not read costs now;
- direct path: `LinearLearnerStage.invoke` as served.

    .venv/bin/python benchmarks/perf_linear_learner.py [--rounds 5] [--calls 200] [--pipeline]

`--pipeline` adds the three-container abalone pipeline fused in-process
(`InProcessPipeline`, as `benchmarks/suite.py` builds it: featurizer script ->
linear-learner -> postprocess, CSV in and out), with the linear-learner stage's `invoke`
swapped for the table path's (its compiled predict kept) around each call, against it
as served.

Prints a markdown table (median µs per call, min-max over the rounds' medians, and
rows/s) for docs/benchmarks.md, "The linear-learner stage".
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import statistics
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import RidgeCV  # noqa: E402

from benchmarks.timing import median_us  # noqa: E402
from inferline.containers.core.invocation import Answer, Invocation  # noqa: E402
from inferline.containers.core.media import MediaType  # noqa: E402
from inferline.stages.base import FrameStage  # noqa: E402
from inferline.stages.linear_learner import LinearLearnerStage  # noqa: E402
from inferline.training import data  # noqa: E402
from inferline.training import sklearn_abalone_featurizer as script  # noqa: E402

Call = Callable[[], bytes]


def bodies(rows: np.ndarray) -> dict[str, tuple[bytes, str]]:
    """The featurizer script's JSON and CSV answers for `rows` (its output_fn's code)."""
    instances = [{"features": row.tolist()} for row in rows]
    buffer = io.StringIO()
    np.savetxt(buffer, rows, delimiter=",", fmt="%.17g")
    return {
        "JSON": (json.dumps({"instances": instances}).encode(), "application/json"),
        "CSV": (buffer.getvalue().encode(), "text/csv"),
    }


def cases() -> dict[str, tuple[int, Call]]:
    """Each measured call by name, with the rows it answers."""
    train_rows, held_out = data.split(data.abalone())
    featurizer = script.featurizer().fit(train_rows[list(data.ABALONE_FEATURES)])
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(
        featurizer.transform(train_rows), train_rows[data.ABALONE_LABEL]
    )
    features = featurizer.transform(held_out[list(data.ABALONE_FEATURES)])
    thousand = features[np.random.default_rng(0).integers(0, len(features), 1000)]
    direct = LinearLearnerStage(regressor)
    compiled_table = LinearLearnerStage(regressor)
    before = LinearLearnerStage(regressor, compile_predict=False)  # scikit-learn's predict
    assert direct.compiled is not None

    found: dict[str, tuple[int, Call]] = {}
    for count, rows in ((1, features[:1]), (1000, thousand)):
        for format_name, (body, content_type) in bodies(rows).items():
            media = MediaType(content_type)
            request = Invocation(body, media, (media,))
            want = FrameStage.invoke(before, request).body
            assert direct.invoke(request).body == want  # byte-identical, or no figures
            label = f"{count} row{'s' if count > 1 else ''}, {format_name} in and out"
            found[f"{label}: table path, scikit-learn (before)"] = (
                count,
                answering(partial(FrameStage.invoke, before), request),
            )
            found[f"{label}: table path, compiled"] = (
                count,
                answering(partial(FrameStage.invoke, compiled_table), request),
            )
            found[f"{label}: direct path"] = (count, answering(direct.invoke, request))
    return found


def answering(invoke: Callable[[Invocation], Answer], request: Invocation) -> Call:
    return lambda: invoke(request).body


def pipeline_cases(work: Path) -> dict[str, tuple[int, Call]]:
    """The fused three-stage pipeline, its linear-learner stage on each path."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    abalone_artifacts = importlib.import_module("abalone_artifacts")  # a script beside this

    from inferline.containers.core import definition
    from inferline.containers.pipeline.chain import Request
    from inferline.containers.pipeline.inprocess import InProcessPipeline

    artifacts = abalone_artifacts.build(work)
    model = definition.load(artifacts.three_containers).variants[0].model
    fused = InProcessPipeline.load(model, work / "fused")
    direct = LinearLearnerStage.invoke

    def answer(body: bytes) -> bytes:
        return fused.invoke(Request(body, "text/csv", accept="text/csv")).body

    def on_table_path(body: bytes) -> bytes:
        setattr(LinearLearnerStage, "invoke", FrameStage.invoke)  # noqa: B010 (a method)
        try:
            return answer(body)
        finally:
            setattr(LinearLearnerStage, "invoke", direct)  # noqa: B010

    found: dict[str, tuple[int, Call]] = {}
    for count in (1, 1000):
        rows = artifacts.rows.sample(count, random_state=0, replace=True)
        body = abalone_artifacts.csv_rows(rows)
        assert answer(body) == on_table_path(body)  # byte-identical, or no figures
        label = f"{count} row{'s' if count > 1 else ''}, fused pipeline, CSV in and out"
        found[f"{label}: linear-learner on the table path"] = (
            count,
            partial(on_table_path, body),
        )
        found[f"{label}: linear-learner direct"] = (count, partial(answer, body))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200, help="calls per case per round")
    parser.add_argument(
        "--pipeline", action="store_true", help="also the fused three-stage pipeline"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/inferline-perf-linear-learner"))
    args = parser.parse_args()
    measured = cases()
    if args.pipeline:
        measured.update(pipeline_cases(args.work))
    results: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(args.rounds):
        for name, (rows, call) in measured.items():
            calls = args.calls if rows == 1 else max(args.calls // 10, 10)
            results[name].append(median_us(call, calls))
    print("| in-process | µs per call | rows/s |")
    print("|---|---|---|")
    for name, (rows, _) in measured.items():
        times = results[name]
        middle = statistics.median(times)
        print(
            f"| {name} | {middle:.1f} ({min(times):.1f}-{max(times):.1f}) "
            f"| {rows / middle * 1e6:,.0f} |"
        )


if __name__ == "__main__":
    main()
