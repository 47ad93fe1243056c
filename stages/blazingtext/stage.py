"""BlazingTextStage: a fastText text classifier answering as SageMaker's BlazingText.

Each sentence gets its `k` best labels and their probabilities, best first, exactly as
fastText's own ``model.predict(sentence, k)`` gives them (BlazingText's supervised mode
is fastText's): labels keep their ``__label__`` prefix, and probabilities are fastText's
float32 values (which can exceed 1 by fastText's 1e-5 smoothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from inferline.containers.core.codecs import JSON, CodecRegistry
from inferline.stages.base import FrameStage
from inferline.stages.blazingtext.codecs import REGISTRY
from inferline.stages.blazingtext.model import check_supervised


@dataclass(frozen=True)
class BlazingTextStage(FrameStage):
    """Top-k labels and probabilities per sentence, from a fastText classifier."""

    codecs: ClassVar[CodecRegistry] = REGISTRY
    default_accept: ClassVar[str] = JSON

    model: Any

    def __post_init__(self) -> None:
        check_supervised(self.model, type(self.model).__name__)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        sources: list[str] = frame["source"].tolist()
        ks: list[int] = frame["k"].tolist()
        labels: list[list[str]] = [[] for _ in sources]
        probs: list[list[float]] = [[] for _ in sources]
        # One fastText call per distinct k (JSON Lines may give each line its own).
        for k in sorted(set(ks)):
            rows = [row for row, row_k in enumerate(ks) if row_k == k]
            found_labels, found_probs = self.model.predict([sources[row] for row in rows], k=k)
            for row, row_labels, row_probs in zip(rows, found_labels, found_probs, strict=True):
                labels[row] = list(row_labels)
                probs[row] = row_probs.tolist()
        return pd.DataFrame({"label": labels, "prob": probs}, dtype=object)
