"""The BentoML peer: one service, one worker, the fitted pipeline loaded at start.

The API takes the same headerless CSV rows as the other peers, as a JSON string field
(`{"csv": "..."}`: BentoML's APIs are typed JSON), parses them with pandas and answers
the scores. Run with `bentoml serve benchmarks.peers.bento_service:AbalonePipeline`.
"""

from __future__ import annotations

import io
import os

import bentoml
import joblib
import pandas as pd

COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]


@bentoml.service(workers=1)
class AbalonePipeline:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["BENCH_MODEL"])

    @bentoml.api
    def predict(self, csv: str) -> list[float]:
        frame = pd.read_csv(io.StringIO(csv), header=None, names=COLUMNS, skipinitialspace=True)
        scores: list[float] = self.model.predict(frame).tolist()
        return scores
