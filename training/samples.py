"""Sample requests with the answers the trained models give in-process.

`inferline train` writes them to ``samples.json``; the tests and `make demo` send
each one to the running pipeline and check the answer against ``expected``, which
training computed with the very models it packaged (Spark's own transform, the
booster's own predict), so a mismatch means serving disagrees with training.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FILE = "samples.json"
RELATIVE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Sample:
    """One request to the endpoint and the answer expected back, parsed (see `parse`)."""

    name: str
    body: str
    content_type: str
    accept: str
    expected: Any


def save(samples: list[Sample], out: Path) -> Path:
    path = out / FILE
    path.write_text(json.dumps([asdict(sample) for sample in samples], indent=2) + "\n")
    return path


def load(out: Path) -> list[Sample]:
    return [Sample(**raw) for raw in json.loads((out / FILE).read_text())]


def parse(body: bytes, content_type: str) -> Any:
    """An answer body as data: JSON, a list of JSON Lines, or CSV rows (numbers as floats)."""
    text = body.decode("utf-8")
    mimetype = content_type.split(";")[0].strip().lower()
    if mimetype == "application/json":
        return json.loads(text)
    if mimetype == "application/jsonlines":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [[_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text)) if row]


def matches(answer: Any, expected: Any, rel: float = RELATIVE_TOLERANCE) -> bool:
    """Equal structure and text, and numbers equal up to float32 rounding."""
    if isinstance(expected, bool) or isinstance(answer, bool):
        return bool(answer == expected)
    if isinstance(expected, (int, float)) and isinstance(answer, (int, float)):
        return math.isclose(answer, expected, rel_tol=rel, abs_tol=rel)
    if isinstance(expected, list) and isinstance(answer, list):
        return len(answer) == len(expected) and all(map(matches, answer, expected))
    if isinstance(expected, dict) and isinstance(answer, dict):
        return answer.keys() == expected.keys() and all(
            matches(answer[key], expected[key]) for key in expected
        )
    return bool(answer == expected)


def _cell(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text
