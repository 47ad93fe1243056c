"""Media types: parsing Content-Type and Accept headers, and choosing a response type.

MIME types compare case-insensitively with their parameters set aside, so
``text/csv; charset=utf-8`` is ``text/csv``. Parameters are kept for the codecs that
read them (``application/jsonlines;data=text``). Parsing is memoised per header value
(a pipeline hop sends the same few values every call; the results are immutable)::

    >>> negotiate(parse_accept("text/csv;q=0.5, application/json"), ["text/csv"], CSV)
    MediaType(mimetype='text/csv', params=())
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from inferline.containers.core.errors import NotAcceptable

ANY = "*/*"
# distinct header values kept parsed (of each kind; a value is at most gunicorn's 8 KB)
PARSED_VALUES = 128


@dataclass(frozen=True)
class MediaType:
    """A bare, lower-case MIME type plus its parameters (lower-case names)."""

    mimetype: str
    params: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def parse(value: str) -> MediaType:
        return _parse_media_type(value or "")

    def param(self, name: str) -> str | None:
        return dict(self.params).get(name)

    @property
    def is_wildcard(self) -> bool:
        return self.mimetype.endswith("/*") or self.mimetype == "*"

    def matches(self, mimetype: str) -> bool:
        """Whether this (possibly wildcard) type admits the concrete `mimetype`."""
        if self.mimetype in (ANY, "*"):
            return True
        if self.mimetype.endswith("/*"):
            return mimetype.startswith(self.mimetype[:-1])
        return self.mimetype == mimetype

    def __str__(self) -> str:
        return ";".join([self.mimetype, *(f"{key}={val}" for key, val in self.params)])


@lru_cache(maxsize=PARSED_VALUES)
def _parse_media_type(value: str) -> MediaType:
    mimetype, options = parse_options_header(value)
    params = tuple(sorted((key.lower(), str(val)) for key, val in options.items()))
    return MediaType(mimetype.strip().lower(), params)


def parse_accept(header: str | None) -> tuple[MediaType, ...]:
    """Accept header values, best first by q-value; q=0 values are dropped."""
    if not header or not header.strip():
        return ()
    return _parse_accept(header)


@lru_cache(maxsize=PARSED_VALUES)
def _parse_accept(header: str) -> tuple[MediaType, ...]:
    accept = parse_accept_header(header, MIMEAccept)
    ranked = sorted(
        ((quality, index, value) for index, (value, quality) in enumerate(accept) if quality > 0),
        key=lambda item: (-item[0], item[1]),
    )
    return tuple(MediaType.parse(value) for _, _, value in ranked)


def is_unspecified(accept: Sequence[MediaType]) -> bool:
    """No Accept at all, or only */*: SageMaker then uses the default Accept."""
    return all(media.mimetype in (ANY, "*") for media in accept)


def negotiate(
    accept: Sequence[MediaType], offered: Collection[str], default: MediaType
) -> MediaType:
    """The response media type: the best accepted type that is offered.

    Args:
        accept: the client's preferences, best first (``parse_accept``).
        offered: the bare MIME types the stage can encode.
        default: used when the client states no preference (no Accept, or */*).

    Raises:
        NotAcceptable: nothing accepted can be produced; the message lists what can.
    """
    if is_unspecified(accept):
        return default
    for media in accept:
        if media.mimetype in (ANY, "*"):
            return default
        if media.is_wildcard:
            if default.mimetype in offered and media.matches(default.mimetype):
                return default
            for mimetype in offered:
                if media.matches(mimetype):
                    return MediaType(mimetype)
        elif media.mimetype in offered:
            return media
    wanted = ", ".join(str(media) for media in accept)
    raise NotAcceptable(
        f"cannot produce Accept {wanted!r}; this stage produces {', '.join(sorted(offered))}"
    )
