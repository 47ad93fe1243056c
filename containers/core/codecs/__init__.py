"""The codec registry: content types to codecs, and response negotiation.

Every stage encodes and decodes through a `CodecRegistry`. Most use `DEFAULT`;
a stage with its own wire format layers its codecs over it::

    registry = DEFAULT.with_codecs(SparkCsvCodec())
    frame = registry.decode(invocation, columns=["sex", "length"])
    answer = registry.encode(frame, invocation.accept, default=CSV)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from inferline.containers.core.codecs.base import Codec
from inferline.containers.core.codecs.csv import CsvCodec
from inferline.containers.core.codecs.json import JsonCodec
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec
from inferline.containers.core.codecs.npy import NpyCodec
from inferline.containers.core.errors import UnsupportedMediaType
from inferline.containers.core.invocation import Answer, Invocation
from inferline.containers.core.media import MediaType, negotiate

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
NPY = "application/x-npy"

__all__ = ["CSV", "DEFAULT", "JSON", "JSONLINES", "NPY", "Codec", "CodecRegistry"]


class CodecRegistry:
    """An immutable map from bare MIME type to codec."""

    def __init__(self, codecs: Iterable[Codec] = ()) -> None:
        self._codecs: dict[str, Codec] = {codec.mimetype: codec for codec in codecs}

    def with_codecs(self, *codecs: Codec) -> CodecRegistry:
        """A new registry where `codecs` replace or add to these."""
        return CodecRegistry([*self._codecs.values(), *codecs])

    @property
    def mimetypes(self) -> list[str]:
        return list(self._codecs)

    def codec_for(self, media: MediaType) -> Codec:
        """The codec that reads `media`.

        Raises:
            UnsupportedMediaType: no codec for it; the message lists the supported ones.
        """
        codec = self._codecs.get(media.mimetype)
        if codec is None:
            shown = media.mimetype or "(none)"
            raise UnsupportedMediaType(
                f"cannot read Content-Type {shown!r}; send one of {', '.join(self._codecs)}"
            )
        return codec

    def decode(self, invocation: Invocation, columns: Sequence[str] | None = None) -> pd.DataFrame:
        return self.codec_for(invocation.content_type).decode(
            invocation.body, invocation.content_type, columns
        )

    def encode(
        self, frame: pd.DataFrame, accept: Sequence[MediaType], default: str | MediaType
    ) -> Answer:
        """Encode `frame` in the best accepted type (`default` when none is stated)."""
        fallback = default if isinstance(default, MediaType) else MediaType.parse(default)
        media = negotiate(accept, self._codecs, fallback)
        body = self.codec_for(media).encode(frame, media)
        return Answer(body, media.mimetype)


DEFAULT = CodecRegistry([CsvCodec(), JsonCodec(), JsonLinesCodec(), NpyCodec()])
