"""BlazingText's inference formats, as tables of (source, k) in and (label, prob) out.

Requests::

    application/json       {"instances": ["a sentence", ...], "configuration": {"k": 3}}
    application/jsonlines  {"source": "a sentence", "k": 3}   one per line ("k" optional)

Responses, one object per sentence with its top-k labels, best first::

    application/json       [{"label": ["__label__Artist"], "prob": [0.93]}, ...]
    application/jsonlines  {"label": ["__label__Artist"], "prob": [0.93]}   one per line

`k` defaults to 1 and must be a whole number of at least 1; a sentence is one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from inferline.containers.core.codecs import JSON, JSONLINES, CodecRegistry
from inferline.containers.core.codecs.json import dumps, load
from inferline.containers.core.codecs.jsonlines import documents
from inferline.containers.core.codecs.table import records_of
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType

__all__ = ["REGISTRY", "BlazingTextJsonCodec", "BlazingTextJsonLinesCodec"]

DEFAULT_K = 1

REGISTRY: CodecRegistry = CodecRegistry()
"""Only these two: BlazingText reads no CSV, and its answers are not tables of columns."""


@REGISTRY.register
class BlazingTextJsonCodec:
    mimetype = JSON

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        document = load(body)
        if not isinstance(document, dict) or not isinstance(document.get("instances"), list):
            raise BadRequest(
                'JSON body must be {"instances": ["sentence", ...]} '
                '(optionally with "configuration": {"k": N})'
            )
        configuration = document.get("configuration") or {}
        if not isinstance(configuration, dict):
            raise BadRequest('"configuration" must be an object such as {"k": 3}')
        k = _k(configuration.get("k", DEFAULT_K), "configuration.k")
        sources = [
            _source(item, f"instance {number}")
            for number, item in enumerate(document["instances"], start=1)
        ]
        return pd.DataFrame({"source": sources, "k": [k] * len(sources)}, dtype=object)

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return dumps(records_of(frame))


@REGISTRY.register
class BlazingTextJsonLinesCodec:
    mimetype = JSONLINES

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        sources: list[str] = []
        ks: list[int] = []
        for number, document in enumerate(documents(body), start=1):
            if not isinstance(document, dict) or "source" not in document:
                raise BadRequest(f'JSON Lines line {number}: expected {{"source": "sentence"}}')
            sources.append(_source(document["source"], f"line {number}"))
            ks.append(_k(document.get("k", DEFAULT_K), f"line {number}: k"))
        return pd.DataFrame({"source": sources, "k": ks}, dtype=object)

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return b"".join(dumps(record) + b"\n" for record in records_of(frame))


def _source(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{where}: expected a sentence (a string), got {json.dumps(value)}")
    if "\n" in value:  # fastText predicts one line at a time and refuses a newline
        raise BadRequest(f"{where}: a sentence must be one line (it holds a newline)")
    return value


def _k(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"{where} must be a whole number of at least 1, got {json.dumps(value)}")
    return value
