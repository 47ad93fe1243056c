"""Every request decoder inferline has, by name: the property tests and fuzz/ share it.

Each entry is a decoder with the `columns` a stage would pass it (None: the format
names its own, or positions are used). A decoder added to a codec module and not
here is missed by both; test_catalogue_covers_every_registry checks the registries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inferline.containers.core.codecs import DEFAULT
from inferline.containers.core.codecs.dense import DenseJsonCodec, DenseJsonLinesCodec
from inferline.containers.core.codecs.recordio import RecordIOProtobufCodec
from inferline.containers.core.media import MediaType
from inferline.stages.blazingtext.codecs import REGISTRY as BLAZINGTEXT
from inferline.stages.linear_learner.codecs import REGISTRY as LINEAR_LEARNER
from inferline.stages.sparkml.wire import CODECS as SPARKML
from inferline.stages.xgboost import codecs as xgboost

TWO_COLUMNS = ("a", "b")


@dataclass(frozen=True)
class Entry:
    """One decoder as a stage calls it."""

    decoder: Any
    mimetype: str
    columns: Sequence[str] | None

    def decode(self, body: bytes) -> Any:
        return self.decoder.decode(body, MediaType.parse(self.mimetype), self.columns)


def _entries() -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for mimetype in DEFAULT.readable:
        decoder = DEFAULT.decoder_for(MediaType.parse(mimetype))
        entries[f"default:{mimetype}"] = Entry(decoder, mimetype, None)
        entries[f"default:{mimetype}:columns"] = Entry(decoder, mimetype, TWO_COLUMNS)
    for codec in (DenseJsonCodec(), DenseJsonLinesCodec(), RecordIOProtobufCodec()):
        entries[f"dense:{codec.mimetype}"] = Entry(codec, codec.mimetype, None)
        entries[f"dense:{codec.mimetype}:columns"] = Entry(codec, codec.mimetype, TWO_COLUMNS)
    for name, registry in (
        ("blazingtext", BLAZINGTEXT),
        ("linear-learner", LINEAR_LEARNER),
        ("xgboost", xgboost.requests()),
    ):
        for mimetype in registry.readable:
            decoder = registry.decoder_for(MediaType.parse(mimetype))
            entries[f"{name}:{mimetype}"] = Entry(decoder, mimetype, TWO_COLUMNS)
    for mimetype in SPARKML.readable:
        decoder = SPARKML.decoder_for(MediaType.parse(mimetype))
        entries[f"sparkml:{mimetype}"] = Entry(decoder, mimetype, None)
    return entries


DECODERS: dict[str, Entry] = _entries()
