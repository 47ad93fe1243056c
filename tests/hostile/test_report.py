"""docs/reliability.md's hostile tables match the corpus and cases tested today.

`make hostile` writes them; this checks, without a server, that they are not stale:
every kind's column counts exactly the requests the corpus builds for it, in the same
categories, no 5xx is reported, and the artifacts table lists exactly the cases of
tests/hostile/artifacts.py.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from inferline import stages
from tests.conformance.examples import EXAMPLES
from tests.hostile.corpus import corpus
from tests.hostile.report import artifacts_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
STALE = "docs/reliability.md is stale: run `make hostile`"


def section(name: str) -> str:
    match = re.search(
        rf"<!-- hostile:{name} -->\n(.*?)\n<!-- /hostile:{name} -->", DOC.read_text(), re.S
    )
    assert match, f"docs/reliability.md has no {name} table"
    return match.group(1)


def bad_input_rows() -> tuple[list[str], dict[str, list[str]]]:
    lines = [line.strip("|").split("|") for line in section("bad-input").splitlines()]
    kinds = [cell.strip() for cell in lines[0][1:]]
    rows = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in lines[2:]}
    return kinds, rows


def test_the_bad_input_table_has_every_kind_and_no_5xx() -> None:
    kinds, rows = bad_input_rows()
    assert sorted(kinds) == sorted(stages.kinds()), STALE
    assert rows["**5xx**"] == ["0"] * len(kinds)


@pytest.mark.parametrize("kind", sorted(stages.kinds()))
def test_each_kinds_column_counts_todays_corpus(kind: str, tmp_path: Path) -> None:
    kinds, rows = bad_input_rows()
    column = kinds.index(kind)
    hostile = corpus(EXAMPLES[kind](tmp_path).requests)
    assert rows["**requests**"][column] == str(len(hostile)), STALE
    expected = Counter(h.category for h in hostile)
    for category, count in expected.items():
        cell = rows[category][column]
        shown = sum(int(part.split("x")[0]) for part in cell.split(", "))
        assert shown == count, f"{kind}, {category}: {STALE}"


def test_the_artifacts_table_lists_every_tested_case() -> None:
    assert section("artifacts") == artifacts_table(), STALE
