"""The stage protocol: what every stage kind (sklearn, sparkml, xgboost, ...) provides.

A stage is loaded once per server from a model directory and then answers
invocations. Most stages work on tables: they subclass `FrameStage`, declare their
input columns and codecs, and implement `transform(frame) -> frame`; the codecs do
the bytes. A table stage whose work is cheaper than building DataFrames (a compiled
scikit-learn stage) also implements `transform_columns`, which the codecs that can
feed it and write its arrays back without pandas use (CSV, JSON, JSON Lines in and
out); anything either side does not reproduce byte for byte takes the DataFrame path.
A stage with its own byte-level contract (a SageMaker inference script) implements
`invoke` directly.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol, TypeGuard

import pandas as pd

from inferline.containers.core.codecs import DEFAULT, JSON, CodecRegistry
from inferline.containers.core.codecs.base import EMPTY_BODY
from inferline.containers.core.codecs.table import (
    ArrayEncoder,
    ArrayTable,
    ColumnDecoder,
    Columns,
)
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation, Stage
from inferline.containers.core.media import MediaType
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

    def transform_columns(self, columns: Columns) -> ArrayTable | pd.DataFrame | None:
        """The stage's work on decoded columns without a DataFrame, or None to use `transform`.

        Must answer what `transform(columns.frame())` answers (as `ArrayTable.frame`),
        and raise what it raises.
        """
        return None

    def invoke(self, invocation: Invocation) -> Answer:
        if not invocation.body.strip():
            raise BadRequest(EMPTY_BODY)
        decoder = self.codecs.decoder_for(invocation.content_type)
        columns = (
            decoder.decode_columns(invocation.body, invocation.content_type, self.input_columns)
            if _reads_columns(decoder)
            else None
        )
        if columns is None:
            return self.invoke_frames(invocation)
        result = self.transform_columns(columns)
        if result is None:
            result = self.transform(columns.frame())
        return self._answer(result, invocation)

    def invoke_frames(self, invocation: Invocation) -> Answer:
        """`invoke` through DataFrames only: decode, `transform`, encode."""
        if not invocation.body.strip():
            raise BadRequest(EMPTY_BODY)
        frame = self.codecs.decode(invocation, self.input_columns)
        return self.codecs.encode(self.transform(frame), invocation.accept, self.default_accept)

    def _answer(self, result: ArrayTable | pd.DataFrame, invocation: Invocation) -> Answer:
        if isinstance(result, pd.DataFrame):
            return self.codecs.encode(result, invocation.accept, self.default_accept)
        encoder, media = self.codecs.encoder_for(invocation.accept, _media(self.default_accept))
        body = encoder.encode_array(result, media) if _writes_arrays(encoder) else None
        if body is None:
            body = encoder.encode(result.frame(), media)
        return Answer(body, media.mimetype)

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        return defaults


@functools.lru_cache(maxsize=16)
def _media(mimetype: str) -> MediaType:
    return MediaType.parse(mimetype)


def _reads_columns(codec: object) -> TypeGuard[ColumnDecoder]:
    return _defines(type(codec), "decode_columns")


def _writes_arrays(codec: object) -> TypeGuard[ArrayEncoder]:
    return _defines(type(codec), "encode_array")


# isinstance against a runtime-checkable Protocol walks its members on every call: a
# few µs a request, where the answer only depends on the codec's class.
_DEFINED: dict[tuple[type, str], bool] = {}


def _defines(kind: type, method: str) -> bool:
    found = _DEFINED.get((kind, method))
    if found is None:
        found = _DEFINED[kind, method] = callable(getattr(kind, method, None))
    return found
