"""Linear Learner's wire formats: the table codecs plus SageMaker's dense records and RecordIO.

Requests: ``application/json`` and ``application/jsonlines`` in the dense-record shapes
(`inferline.containers.core.codecs.dense`), ``application/x-recordio-protobuf``
(`inferline.containers.core.codecs.recordio`), ``text/csv`` and ``application/x-npy``
as every table stage reads them. Responses: the same types; RecordIO-protobuf answers
one labelled Record per row, as Linear Learner does.
"""

from __future__ import annotations

from inferline.containers.core.codecs import DEFAULT, CodecRegistry
from inferline.containers.core.codecs.dense import DenseJsonCodec, DenseJsonLinesCodec
from inferline.containers.core.codecs.recordio import RecordIOProtobufCodec

__all__ = ["REGISTRY"]

REGISTRY: CodecRegistry = DEFAULT.with_codecs(
    DenseJsonCodec(), DenseJsonLinesCodec(), RecordIOProtobufCodec()
)
