"""The sklearn stage's one-row path: scikit-learn's own call against the compiled numpy path.

Fits the abalone-sklearn example's featurizer and RidgeCV (as training fits them) and
measures, interleaved over rounds, the median µs of:
- scikit-learn's own `transform` / `predict` on one prepared row (the reference);
- the compiled function alone (stages/sklearn/compiled.py) on the same row;
- the whole stage, one CSV row in and CSV out (codec included), compiled and not.

    .venv/bin/python benchmarks/perf_stage.py [--rounds 5] [--calls 300]

Results go in docs/benchmarks.md, section "Performance work".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import RidgeCV  # noqa: E402

from inferline.containers.core.invocation import Invocation  # noqa: E402
from inferline.containers.core.media import MediaType  # noqa: E402
from inferline.stages.sklearn import SklearnStage  # noqa: E402
from inferline.training import data  # noqa: E402
from inferline.training import sklearn_abalone_featurizer as script  # noqa: E402

CSV = MediaType("text/csv")


def median_us(call: Callable[[], object], count: int) -> float:
    for _ in range(20):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def calls() -> dict[str, Callable[[], object]]:
    train_rows, held_out = data.split(data.abalone())
    features = train_rows[list(data.ABALONE_FEATURES)]
    featurizer = script.featurizer().fit(features)
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(
        featurizer.transform(features), train_rows[data.ABALONE_LABEL]
    )
    row = held_out[list(data.ABALONE_FEATURES)].iloc[[0]].reset_index(drop=True)
    vector = featurizer.transform(row)
    compiled_featurizer = SklearnStage.for_estimator(featurizer)
    compiled_regressor = SklearnStage.for_estimator(regressor)
    plain_featurizer = SklearnStage(featurizer, "transform")
    plain_regressor = SklearnStage(regressor, "predict")
    assert compiled_featurizer.compiled and compiled_regressor.compiled
    row_csv = row.to_csv(header=False, index=False).encode()
    vector_csv = ",".join(repr(float(value)) for value in vector[0]).encode()

    def invoke(stage: SklearnStage, body: bytes) -> Callable[[], object]:
        invocation = Invocation(body, CSV, (CSV,))
        return lambda: stage.invoke(invocation).body

    return {
        "featurizer: scikit-learn transform": lambda: featurizer.transform(row),
        "featurizer: compiled function": lambda: compiled_featurizer.compiled(row),  # type: ignore[misc]
        "featurizer stage, CSV in/out, scikit-learn": invoke(plain_featurizer, row_csv),
        "featurizer stage, CSV in/out, compiled": invoke(compiled_featurizer, row_csv),
        "RidgeCV: scikit-learn predict": lambda: regressor.predict(vector),
        "RidgeCV: compiled function": lambda: compiled_regressor.compiled(vector),  # type: ignore[misc]
        "RidgeCV stage, CSV in/out, scikit-learn": invoke(plain_regressor, vector_csv),
        "RidgeCV stage, CSV in/out, compiled": invoke(compiled_regressor, vector_csv),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    measured = calls()
    results: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(args.rounds):
        for name, call in measured.items():
            results[name].append(median_us(call, args.calls))
    print("| one row, in-process | median µs (min-max over rounds) |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f}) |")


if __name__ == "__main__":
    main()
