"""The one codec registry: Content-Type to decoder (415), Accept to encoder (406).

A `Registry[D, E]` maps bare MIME types to decoders producing `D` and to encoders
consuming `E`. Table stages use `Registry[pd.DataFrame, pd.DataFrame]` (the package's
`CodecRegistry`); the Spark ML stage uses one of its own row types. Codecs register
themselves where they are defined, as in MLServer::

    ROWS = Registry[Request, Output]()

    @ROWS.register
    class CsvRequests: ...

and a stage layers its own codecs over a shared registry without changing it::

    registry = DEFAULT.with_codecs(DenseJsonCodec())

The 415 message ("cannot read Content-Type ...; send one of ...") is written here and
the 406 one in `media.negotiate`, once for every stage kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from inferline.containers.core.codecs.base import Decoder, Encoder
from inferline.containers.core.errors import UnsupportedMediaType
from inferline.containers.core.invocation import Answer, Invocation
from inferline.containers.core.media import MediaType, negotiate

D = TypeVar("D")
E = TypeVar("E")
Registrable = TypeVar("Registrable")

__all__ = ["Registry"]


class Registry(Generic[D, E]):
    """Decoders and encoders by bare MIME type; a later codec replaces an earlier one."""

    def __init__(self, codecs: Iterable[Decoder[D] | Encoder[E]] = ()) -> None:
        self._decoders: dict[str, Decoder[D]] = {}
        self._encoders: dict[str, Encoder[E]] = {}
        for codec in codecs:
            self._add(codec)

    def register(self, codec: Registrable) -> Registrable:
        """Add a codec, or a codec class built with no arguments (a class decorator).

        Returns its argument unchanged, so ``@registry.register`` leaves the class as is.
        Registries a stage already layered (`with_codecs`) keep what they copied.

        Raises:
            TypeError: it neither decodes nor encodes (no `mimetype` with `decode`/`encode`).
        """
        self._add(codec() if isinstance(codec, type) else codec)
        return codec

    def with_codecs(self, *codecs: Decoder[D] | Encoder[E]) -> Registry[D, E]:
        """A new registry where `codecs` replace or add to these; this one is unchanged."""
        layered = Registry[D, E]()
        layered._decoders, layered._encoders = dict(self._decoders), dict(self._encoders)
        for codec in codecs:
            layered._add(codec)
        return layered

    @property
    def readable(self) -> list[str]:
        """The Content-Types this registry decodes, in registration order."""
        return list(self._decoders)

    @property
    def writable(self) -> list[str]:
        """The Accept types this registry encodes, in registration order."""
        return list(self._encoders)

    def decoder_for(self, media: MediaType) -> Decoder[D]:
        """The decoder that reads `media`.

        Raises:
            UnsupportedMediaType: no decoder for it; the message lists the readable ones.
        """
        decoder = self._decoders.get(media.mimetype)
        if decoder is None:
            shown = media.mimetype or "(none)"
            raise UnsupportedMediaType(
                f"cannot read Content-Type {shown!r}; send one of {', '.join(self._decoders)}"
            )
        return decoder

    def decode(self, invocation: Invocation, columns: Sequence[str] | None = None) -> D:
        """The request body, read by the decoder for its Content-Type (415 if none)."""
        media = invocation.content_type
        return self.decoder_for(media).decode(invocation.body, media, columns)

    def encode(self, value: E, accept: Sequence[MediaType], default: str | MediaType) -> Answer:
        """`value` in the best accepted type (`default` when none is stated).

        The answer carries the bare MIME type; the encoder still sees the accepted
        type's parameters (``application/jsonlines;data=text``).

        Raises:
            NotAcceptable: nothing accepted can be written; the message lists what can.
        """
        encoder, media = self.encoder_for(accept, default)
        return Answer(encoder.encode(value, media), media.mimetype)

    def encoder_for(
        self, accept: Sequence[MediaType], default: str | MediaType
    ) -> tuple[Encoder[E], MediaType]:
        """The encoder `encode` would use, and the accepted type it answers (406 as `encode`)."""
        fallback = default if isinstance(default, MediaType) else MediaType.parse(default)
        media = negotiate(accept, self._encoders, fallback)
        return self._encoders[media.mimetype], media

    def _add(self, codec: Any) -> None:
        reads, writes = isinstance(codec, Decoder), isinstance(codec, Encoder)
        if not (reads or writes):
            raise TypeError(
                f"{type(codec).__name__} is not a codec: it needs a mimetype and a decode "
                "or encode method"
            )
        mimetype = MediaType.parse(codec.mimetype).mimetype
        if reads:
            self._decoders[mimetype] = codec
        if writes:
            self._encoders[mimetype] = codec

    def __repr__(self) -> str:
        return f"Registry(reads={self.readable}, writes={self.writable})"
