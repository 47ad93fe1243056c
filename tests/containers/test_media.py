from __future__ import annotations

import pytest

from inferline.containers.core.errors import NotAcceptable
from inferline.containers.core.media import MediaType, negotiate, parse_accept

CSV = MediaType("text/csv")
OFFERED = ["text/csv", "application/json", "application/jsonlines"]


@pytest.mark.parametrize(
    "header",
    ["text/csv", "TEXT/CSV", "text/csv; charset=utf-8", "Text/Csv;Charset=UTF-8", " text/csv "],
)
def test_mime_types_match_case_insensitively_without_parameters(header: str) -> None:
    assert MediaType.parse(header).mimetype == "text/csv"


def test_parameters_are_kept_for_codecs_that_read_them() -> None:
    media = MediaType.parse("application/jsonlines;data=text")
    assert media.mimetype == "application/jsonlines"
    assert media.param("data") == "text"


def test_accept_is_ordered_by_quality() -> None:
    accept = parse_accept("text/csv;q=0.2, application/json, application/jsonlines;q=0.5")
    assert [media.mimetype for media in accept] == [
        "application/json",
        "application/jsonlines",
        "text/csv",
    ]


def test_q_zero_is_refused() -> None:
    accept = parse_accept("application/json;q=0, text/csv;q=0.1")
    assert negotiate(accept, OFFERED, MediaType("application/json")).mimetype == "text/csv"


@pytest.mark.parametrize("header", [None, "", "*/*", "*/*;q=0.8"])
def test_no_preference_takes_the_default(header: str | None) -> None:
    assert negotiate(parse_accept(header), OFFERED, CSV) == CSV


def test_wildcard_subtype_prefers_the_default_then_what_is_offered() -> None:
    assert negotiate(parse_accept("text/*"), OFFERED, CSV) == CSV
    chosen = negotiate(parse_accept("application/*"), OFFERED, CSV)
    assert chosen.mimetype == "application/json"


def test_unproducible_accept_is_406_naming_what_can_be_produced() -> None:
    with pytest.raises(NotAcceptable, match="text/csv"):
        negotiate(parse_accept("image/png"), OFFERED, CSV)
