"""The sklearn stage's one-row path: scikit-learn's own call against the compiled numpy path.

Fits the abalone-sklearn example's featurizer and RidgeCV (as training fits them) and
measures, interleaved over rounds, the median µs of:
- scikit-learn's own `transform` / `predict` on one prepared row (the reference);
- the compiled function alone (stages/sklearn/compiled.py) on the same row;
- the whole stage, one CSV row in and CSV out (codec included), compiled and not;
- the example's featurizer script stage (training/sklearn_abalone_featurizer.py: its
  input_fn reads the row with pandas, predict_fn calls model.transform, output_fn
  writes Linear Learner JSON), one CSV row in and JSON out, its model compiled
  (the default) and not (INFERLINE_SKLEARN_COMPILE=false), and the script's own
  input_fn and output_fn alone, the part of its time that is the user's code.

    .venv/bin/python benchmarks/perf_stage.py [--rounds 5] [--calls 300] [--profile]

--profile prints pyinstrument's profile of the compiled script stage instead.

Results go in docs/benchmarks.md, section "Performance work".
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.linear_model import RidgeCV  # noqa: E402

from benchmarks.timing import median_us  # noqa: E402
from inferline.containers.core.invocation import Invocation  # noqa: E402
from inferline.containers.core.media import MediaType  # noqa: E402
from inferline.containers.core.settings import Settings  # noqa: E402
from inferline.stages import load  # noqa: E402
from inferline.stages.sklearn import ScriptStage, SklearnStage, artifact  # noqa: E402
from inferline.training import data  # noqa: E402
from inferline.training import sklearn_abalone_featurizer as script  # noqa: E402

CSV = MediaType("text/csv")
JSON = MediaType("application/json")
PROGRAM = Path(script.__file__).name


def script_stage(featurizer: object, work: Path, compiled: bool) -> ScriptStage:
    """The featurizer's model directory as the example ships it, loaded as the container does."""
    model_dir = work / "featurizer"
    if not model_dir.exists():
        artifact.save(featurizer, model_dir, script.MODEL_FILE)
        (model_dir / "code").mkdir()
        shutil.copy(script.__file__, model_dir / "code" / PROGRAM)
    environ = {"SAGEMAKER_PROGRAM": PROGRAM, "INFERLINE_SKLEARN_COMPILE": str(compiled).lower()}
    stage = load(None, model_dir, Settings.from_env(environ))
    assert isinstance(stage, ScriptStage)
    return stage


def calls(work: Path) -> dict[str, Callable[[], object]]:
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

    def invoke(
        stage: SklearnStage | ScriptStage, body: bytes, accept: MediaType = CSV
    ) -> Callable[[], object]:
        invocation = Invocation(body, CSV, (accept,))
        return lambda: stage.invoke(invocation).body

    compiled_script = script_stage(featurizer, work, compiled=True)
    plain_script = script_stage(featurizer, work, compiled=False)
    assert "transform" in vars(compiled_script.model)
    assert compiled_script.invoke(Invocation(row_csv, CSV, (JSON,))).body == (
        plain_script.invoke(Invocation(row_csv, CSV, (JSON,))).body
    )
    row_text = row_csv.decode()
    frame = script.input_fn(row_text, "text/csv")
    script_features = script.predict_fn(frame, featurizer)

    return {
        "featurizer: scikit-learn transform": lambda: featurizer.transform(row),
        "featurizer: compiled function": lambda: compiled_featurizer.compiled(row),  # type: ignore[misc]
        "featurizer stage, CSV in/out, scikit-learn": invoke(plain_featurizer, row_csv),
        "featurizer stage, CSV in/out, compiled": invoke(compiled_featurizer, row_csv),
        "RidgeCV: scikit-learn predict": lambda: regressor.predict(vector),
        "RidgeCV: compiled function": lambda: compiled_regressor.compiled(vector),  # type: ignore[misc]
        "RidgeCV stage, CSV in/out, scikit-learn": invoke(plain_regressor, vector_csv),
        "RidgeCV stage, CSV in/out, compiled": invoke(compiled_regressor, vector_csv),
        "featurizer script stage, CSV in/JSON out, scikit-learn": invoke(
            plain_script, row_csv, JSON
        ),
        "featurizer script stage, CSV in/JSON out, compiled": invoke(
            compiled_script, row_csv, JSON
        ),
        "script's input_fn alone (the user's pd.read_csv)": lambda: script.input_fn(
            row_text, "text/csv"
        ),
        "script's output_fn alone (the user's JSON)": lambda: script.output_fn(
            script_features, "application/json"
        ),
    }


def profile(work: Path, count: int) -> None:
    """pyinstrument's view of the compiled script stage, one row a call."""
    from pyinstrument import Profiler

    call = calls(work)["featurizer script stage, CSV in/JSON out, compiled"]
    for _ in range(20):
        call()
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="profile the script stage")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inferline-perf-stage-"))
    try:
        if args.profile:
            profile(work, args.calls * 10)
            return
        measure(calls(work), args.rounds, args.calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(measured: dict[str, Callable[[], object]], rounds: int, count: int) -> None:
    results: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(rounds):
        for name, call in measured.items():
            results[name].append(median_us(call, count))
    print("| one row, in-process | median µs (min-max over rounds) |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f}) |")


if __name__ == "__main__":
    main()
