"""The stage protocol: what every stage kind (sklearn, sparkml, xgboost, ...) provides.

A stage is loaded once per server from a model directory and then answers
invocations. Most stages work on tables: they subclass `FrameStage`, declare their
input columns and codecs, and implement `transform(frame) -> frame`; the codecs do
the bytes. A stage with its own byte-level contract (a SageMaker inference script)
implements `invoke` directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol

import pandas as pd

from inferline.containers.core.codecs import DEFAULT, JSON, CodecRegistry
from inferline.containers.core.codecs.base import EMPTY_BODY
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation, Stage
from inferline.containers.core.settings import Settings

__all__ = ["ExecutionParameters", "FrameStage", "Stage", "StageLoader"]


class StageLoader(Protocol):
    def __call__(self, model_dir: Path, settings: Settings) -> Stage: ...


class FrameStage(ABC):
    """A stage that maps a table to a table; codecs turn bytes into tables and back."""

    codecs: ClassVar[CodecRegistry] = DEFAULT
    default_accept: ClassVar[str] = JSON

    @property
    def input_columns(self) -> Sequence[str] | None:
        """Names given to headerless columns (CSV, JSON lists), or None for positions."""
        return None

    @abstractmethod
    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The stage's work on a decoded table; the row count is preserved."""

    def invoke(self, invocation: Invocation) -> Answer:
        if not invocation.body.strip():
            raise BadRequest(EMPTY_BODY)
        frame = self.codecs.decode(invocation, self.input_columns)
        return self.codecs.encode(self.transform(frame), invocation.accept, self.default_accept)

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        return defaults
