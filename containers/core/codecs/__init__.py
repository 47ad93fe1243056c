"""Codecs: content types to decoders and encoders, and response negotiation.

Every stage encodes and decodes through a `Registry` (`registry.py`), one protocol
for all (`base.py`): table stages through `CodecRegistry` (DataFrames both ways), the
Spark ML stage through a registry of row codecs. Most table stages use `DEFAULT`, in
which the csv, json, jsonlines and npy codecs register themselves; a stage with its
own wire format layers its codecs over it::

    registry = DEFAULT.with_codecs(DenseJsonCodec())
    frame = registry.decode(invocation, columns=["sex", "length"])
    answer = registry.encode(frame, invocation.accept, default=CSV)

Wire formats several stage kinds share live here too: `dense` (SageMaker's dense
record JSON) and `recordio` (RecordIO-protobuf), so no stage kind imports another.
"""

from __future__ import annotations

# Imported for their registration in DEFAULT, in this order (the order 415 lists them).
from inferline.containers.core.codecs import csv, json, jsonlines, npy  # noqa: F401
from inferline.containers.core.codecs.base import (
    CSV,
    JSON,
    JSONLINES,
    NPY,
    RECORDIO_PROTOBUF,
    Codec,
    Decoder,
    Encoder,
)
from inferline.containers.core.codecs.registry import Registry
from inferline.containers.core.codecs.table import DEFAULT, CodecRegistry, TableCodec

__all__ = [
    "CSV",
    "DEFAULT",
    "JSON",
    "JSONLINES",
    "NPY",
    "RECORDIO_PROTOBUF",
    "Codec",
    "CodecRegistry",
    "Decoder",
    "Encoder",
    "Registry",
    "TableCodec",
]
