"""The codec protocol: a MIME type plus a decode and/or an encode function.

One protocol for every stage kind, generic over what a body decodes to and what a
response is encoded from: tables (pandas DataFrames) for the table stages, rows for the
Spark ML wire format, which skips pandas because one row must cost microseconds. A
codec that reads and writes the same type (all table codecs) is a `Codec[T]`; one that
only reads (LibSVM) is a `Decoder[T]`, one that only writes an `Encoder[T]`.

The MIME types every stage shares, and the UTF-8 reading of text bodies, live here
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar, runtime_checkable

from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
NPY = "application/x-npy"
RECORDIO_PROTOBUF = "application/x-recordio-protobuf"

EMPTY_BODY = "request body is empty; send at least one row"

T = TypeVar("T")
D_co = TypeVar("D_co", covariant=True)
E_contra = TypeVar("E_contra", contravariant=True)

__all__ = [
    "CSV",
    "JSON",
    "JSONLINES",
    "NPY",
    "RECORDIO_PROTOBUF",
    "EMPTY_BODY",
    "Codec",
    "Decoder",
    "Encoder",
    "text",
]


@runtime_checkable
class Decoder(Protocol[D_co]):
    """Turns request bytes of `mimetype` into a value (a table, rows, ...).

    `columns` are the names the stage declares for its inputs (for scikit-learn,
    `feature_names_in_`); headerless rows take them in order. Codecs whose format
    names its own columns (Spark ML's schema) ignore them.
    """

    mimetype: str

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> D_co: ...


@runtime_checkable
class Encoder(Protocol[E_contra]):
    """Turns a stage's output into response bytes of `mimetype`."""

    mimetype: str

    def encode(self, value: E_contra, media: MediaType) -> bytes: ...


@runtime_checkable
class Codec(Decoder[T], Encoder[T], Protocol[T]):
    """Reads and writes the same type: every table codec is a `Codec[pd.DataFrame]`."""


def text(body: bytes, what: str) -> str:
    """`body` as text, a UTF-8 byte-order mark dropped.

    Raises:
        BadRequest: the bytes are not UTF-8; the message names `what` and the byte.
    """
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadRequest(f"{what} body is not UTF-8 (byte {error.start})") from None
