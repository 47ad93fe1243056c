"""Numbers as Python prints and reads them (`repr`, `float`), by orjson.

json and the csv module write a float as `float.__repr__` (the shortest digits that read
back to the same double) and an int as `str`. orjson prints the same shortest digits,
from a numpy array and in C, about a tenth of the cost of one repr a value (1,000 rows of
10 floats: 0.57 ms against 6.0 ms). Its text differs in two places only: magnitudes
below 1e-4 (``0.00001`` for ``1e-05``, ``1e-9`` for ``1e-09``) and infinities (null).
`number_texts` prints just those values again with repr, so the writers built on it
give repr's bytes for every int and float (tests/property/test_fast_paths.py).

Reading, orjson's floats are `float()`'s (correctly rounded, as json reads them), and
it parses a column of 1,000 numbers in about 40 % of `map(float)`'s time, with the
array built: `parsed_floats` takes it where the text is plain JSON numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import orjson

SMALL = 64
"""Up to this many values, Python's checks are quicker than numpy's (per-call overhead)."""

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def printed_as_repr(values: np.ndarray) -> bool:
    """Whether orjson prints every value of `values` (ints or floats) as repr does: ints,
    and finite floats of magnitude 0 or at least 1e-4."""
    if values.dtype.kind in "iu":
        return True
    if values.size <= SMALL:
        return all(math.isfinite(x) and (abs(x) >= 1e-4 or x == 0) for x in values.ravel().tolist())
    wide = values.astype(np.float64, copy=False)  # a float32 1e-4 is below 1e-4
    magnitude = np.abs(wide)
    return bool(np.isfinite(wide).all() and ((magnitude >= 1e-4) | (wide == 0)).all())


def _orjson_ready(values: np.ndarray) -> np.ndarray:
    """`values` as orjson reads them with repr's digits: C-contiguous, floats as doubles
    (a float32 is printed as the double it widens to, as `tolist` gives it)."""
    if values.dtype.kind == "f" and values.dtype != np.float64:
        values = values.astype(np.float64)
    return np.ascontiguousarray(values)


def number_texts(values: np.ndarray, printed: bool | None = None) -> list[bytes]:
    """repr of each value of `values` (ints or floats, any shape), flat in C order;
    `printed` is `printed_as_repr(values)` where the caller has already asked."""
    flat = _orjson_ready(values).ravel()
    texts = orjson.dumps(flat, option=_NUMPY)[1:-1].split(b",")
    if not (printed_as_repr(flat) if printed is None else printed):
        magnitude = np.abs(flat)
        unlike = ~((magnitude >= 1e-4) & np.isfinite(flat)) & (flat != 0)
        for index in np.flatnonzero(unlike).tolist():
            texts[index] = repr(float(flat[index])).encode()
    return texts


def row_texts(values: np.ndarray, printed: bool | None = None) -> list[list[bytes]]:
    """`number_texts` of a 2-D array, one list a row."""
    texts = number_texts(values, printed)
    width = values.shape[1]
    return [texts[start : start + width] for start in range(0, len(texts), width)]


def csv_lines(values: np.ndarray) -> bytes:
    """A 1-D array as one value a line, a 2-D one as one row a line, values joined by
    commas, every line ending in a newline: the csv writer's text of the same numbers.
    For a non-empty array of ints or floats without NaN."""
    if printed_as_repr(values):  # orjson's text is the body once its brackets go
        text = orjson.dumps(_orjson_ready(values), option=_NUMPY)
        if values.ndim == 1:
            return text[1:-1].replace(b",", b"\n") + b"\n"
        return text[2:-2].replace(b"],[", b"\n") + b"\n"
    if values.ndim == 1:
        return b"\n".join(number_texts(values, printed=False)) + b"\n"
    return b"\n".join([b",".join(row) for row in row_texts(values, printed=False)]) + b"\n"


PARSED_FROM = 32
"""From this many values, `parsed_floats` is quicker than `map(float)` (orjson's set-up)."""
_FLOAT_BYTES = b"0123456789+-.eE,"
NEGATIVE_ZERO = re.compile(rb"-0(?![0-9.eE])")
"""``-0`` as a whole field: JSON reads it as the int 0, `float` as -0.0 (a sign a value
can keep)."""


def parsed_floats(values: Sequence[str]) -> np.ndarray | None:
    """``np.array(list(map(float, values)))``, by orjson; None for fewer than PARSED_FROM
    values, or any value that is not a plain JSON number (``.5``, ``+1``, ``nan``, ``-0``,
    spaces, commas: `float` reads them, or refuses them, as it will)."""
    if len(values) < PARSED_FROM:
        return None
    joined = ",".join(values).encode()
    if joined.translate(None, _FLOAT_BYTES) or joined.count(b",") != len(values) - 1:
        return None
    if NEGATIVE_ZERO.search(joined):
        return None
    try:
        numbers = orjson.loads(b"[" + joined + b"]")  # ints too: exact, as float() of them
    except orjson.JSONDecodeError:
        return None
    return np.array(numbers, dtype=np.float64)
