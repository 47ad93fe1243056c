"""The chain-length series: 1, 2, 4, 8 and 15 identity-like containers behind `inferline up`.

Each container is benchmarks/harness.py's plus-one transformer (a StandardScaler that adds
1 to a one-column CSV), one gunicorn worker each. The slope of the one-row p50 over the
chain length (least squares) is what one more hop costs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import harness
import numpy as np
import pandas as pd
from targets import CSV, INFERLINE, Target

LENGTHS = (1, 2, 4, 8, 15)
ONE_ROW = pd.DataFrame([[1.0]])


def chain_targets(work: Path) -> list[Target]:
    models = work / "chain-models"
    if not models.exists():
        models.mkdir(parents=True)
        harness.model_dir(models)
    model = models / "plus-one"
    built = []
    for length in LENGTHS:
        definition = {
            "ModelName": f"chain-{length}",
            "Containers": [
                {
                    "ContainerHostname": f"hop-{index}",
                    "Image": "inferline-sklearn",
                    "ModelDataUrl": str(model),
                    "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
                }
                for index in range(length)
            ],
        }
        path = work / f"chain-{length}.json"
        path.write_text(json.dumps(definition))
        built.append(
            Target(
                f"chain-{length}",
                f"{length} container(s)",
                functools.partial(up_command, path, work),
                "/ping",
                f"/endpoints/chain-{length}/invocations",
                lambda rows: rows.to_csv(header=False, index=False).encode(),
                CSV,
                lambda answer: [float(line) for line in answer.split()],
            )
        )
    return built


def up_command(definition: Path, work: Path, port: int) -> list[str]:
    home = work / f"chain-home-{port}"
    return [str(INFERLINE), "up", str(definition), "--port", str(port), "--home", str(home)]


def per_hop(lengths: list[int], p50s: list[float]) -> float:
    """Least-squares slope of p50 (seconds) over the number of containers."""
    slope, _ = np.polyfit(np.array(lengths, dtype=float), np.array(p50s), 1)
    return float(slope)
