"""Parsed Content-Type and Accept values are memoised: the same answer as parsing anew,
one object per value while it is kept, and a bounded number of values kept."""

from __future__ import annotations

from inferline.containers.core import media
from inferline.containers.core.media import MediaType, parse_accept

VALUES = [
    "text/csv",
    "text/csv; charset=UTF-8",
    "application/jsonlines;data=text",
    "text/csv;q=0.5, application/json, */*;q=0",
    "application/json;q=0.2, text/*;q=0.9, text/csv;label=1",
]


def test_a_kept_value_parses_as_a_fresh_parse_does() -> None:
    for value in VALUES:
        first = parse_accept(value)
        assert parse_accept(value) is first  # memoised
        media._parse_accept.cache_clear()
        assert parse_accept(value) == first  # parsed anew: the same
        kind = MediaType.parse(value)
        assert MediaType.parse(value) is kind
        media._parse_media_type.cache_clear()
        assert MediaType.parse(value) == kind


def test_the_caches_are_bounded() -> None:
    for index in range(media.PARSED_VALUES * 2):
        parse_accept(f"text/x-{index}")
        MediaType.parse(f"text/x-{index}")
    assert media._parse_accept.cache_info().currsize == media.PARSED_VALUES
    assert media._parse_media_type.cache_info().currsize == media.PARSED_VALUES
