"""Model stages benchmark: one request through each stage's `invoke`, in-process, no HTTP.

For the xgboost stage (100 trees, depth 6, on abalone's 7 numbers), the linear-learner
stage (Ridge) and the blazingtext stage (a fastText classifier over 14 DBpedia
classes): the whole `invoke` (decode, predict, encode) for 1 row and for 1,000 rows
(100 sentences for blazingtext). Reports the median of several repeats in wall time
and in process CPU time (the CPU figure is steadier on a shared machine).

    .venv/bin/python benchmarks/model_stages.py [--repeat 7]
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

from inferline.containers.core.invocation import Invocation, Stage  # noqa: E402
from inferline.containers.core.media import MediaType  # noqa: E402
from inferline.training import data  # noqa: E402


def abalone_numbers(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `rows` abalones: the 7 measurements, and the ring count."""
    frame = data.abalone().head(rows)
    features = frame[list(data.ABALONE_FEATURES[1:])].to_numpy(dtype=np.float64)
    return features, frame[data.ABALONE_LABEL].to_numpy(dtype=np.float64)


def dbpedia(rows_per_class: int) -> tuple[list[str], list[str]]:
    """Abstracts and class names: the first `rows_per_class` training rows of each class."""
    frame = data.dbpedia("train").groupby("label", sort=False).head(rows_per_class)
    return frame["abstract"].tolist(), frame["label"].tolist()


def stages() -> dict[str, tuple[Stage, Callable[[int], Invocation]]]:
    """Each stage and a maker of its requests of n rows."""
    import xgboost
    from sklearn.linear_model import Ridge

    from inferline.containers.core.settings import Settings
    from inferline.stages import blazingtext
    from inferline.stages import xgboost as xgboost_stage
    from inferline.stages.blazingtext import BlazingTextStage
    from inferline.stages.linear_learner import LinearLearnerStage

    features, rings = abalone_numbers(4000)
    booster = xgboost.train({"max_depth": 6}, xgboost.DMatrix(features, rings), 100)
    texts, labels = dbpedia(60)
    classifier = blazingtext.train(texts, labels, epoch=10, thread=1, seed=1)

    def csv(n: int) -> Invocation:
        body = "\n".join(",".join(map(str, row)) for row in features[:n].tolist())
        return Invocation(body.encode(), MediaType("text/csv"))

    def instances(n: int) -> Invocation:
        body = json.dumps({"instances": [{"features": r} for r in features[:n].tolist()]})
        return Invocation(body.encode(), MediaType("application/json"))

    def sentences(n: int) -> Invocation:
        body = json.dumps({"instances": texts[:n], "configuration": {"k": 3}})
        return Invocation(body.encode(), MediaType("application/json"))

    return {
        "xgboost, CSV": (saved_and_loaded(booster, xgboost_stage, Settings()), csv),
        "linear-learner, JSON": (LinearLearnerStage(Ridge().fit(features, rings)), instances),
        "blazingtext, JSON k=3": (BlazingTextStage(classifier), sentences),
    }


def saved_and_loaded(booster: object, package: object, settings: object) -> Stage:
    """The stage as a server has it: saved, then loaded (which sets one thread)."""
    directory = Path(tempfile.mkdtemp(prefix="inferline-bench-"))
    package.save(booster, directory)  # type: ignore[attr-defined]
    return package.load(directory, settings)  # type: ignore[attr-defined, no-any-return]


def measure(call: Callable[[], object], repeat: int, number: int) -> tuple[float, float]:
    """Median milliseconds per call: (wall, CPU)."""
    call()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            call()
        walls.append((time.perf_counter() - wall) / number * 1000)
        cpus.append((time.process_time() - cpu) / number * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"{'stage':24} {'rows':>5} {'wall ms':>9} {'CPU ms':>9}")
    for name, (stage, request) in stages().items():
        for rows, number in ((1, 200), (100 if "blazingtext" in name else 1000, 10)):
            invocation = request(rows)
            wall, cpu = measure(
                lambda s=stage, i=invocation: s.invoke(i),
                args.repeat,
                number,  # type: ignore[misc]
            )
            print(f"{name:24} {rows:>5} {wall:>9.3f} {cpu:>9.3f}")


if __name__ == "__main__":
    main()
