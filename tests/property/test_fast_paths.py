"""Property tests of the codecs' direct path: the same rows, columns, frames and bytes as
the DataFrame path, on any input.

The references are the codec as it was before the direct path (the csv module's
reader, typing by per-value loops, the dict DataFrame constructor, the csv writer and
json.dumps over `rows_of`/`records_of`), kept here as the oracle.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inferline.containers.core.codecs.csv import read_rows, write_numbers, write_rows
from inferline.containers.core.codecs.json import (
    document_columns,
    dumps,
    frame_from_document_rows,
    load,
    number_body,
    number_records,
    parse,
    plain_name,
)
from inferline.containers.core.codecs.numbertext import (
    PARSED_FROM,
    csv_lines,
    number_texts,
    parsed_floats,
    printed_as_repr,
)
from inferline.containers.core.codecs.table import (
    ArrayTable,
    Columns,
    records_of,
    rows_of,
    text_columns,
    typed_column,
)
from inferline.containers.core.errors import ServingError

EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_rows(body: bytes) -> list[list[str]]:
    """The codec's CSV reading before the direct path: always the csv module's reader."""
    content = body.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(content), skipinitialspace=True, strict=True)
    rows = [row for row in reader if row]
    return [[field.strip() for field in row] for row in rows]


def reference_column(values: list[str]) -> np.ndarray:
    """The codec's column typing before the direct path."""
    present = [value for value in values if value != ""]
    if not present:
        return np.full(len(values), np.nan)
    try:
        if len(present) == len(values):
            return np.array([int(value) for value in values], dtype=np.int64)
    except (ValueError, OverflowError):
        pass
    try:
        return np.array([float(value) if value != "" else math.nan for value in values])
    except ValueError:
        return np.array([value if value != "" else None for value in values], dtype=object)


def same_array(expected: np.ndarray, actual: np.ndarray) -> None:
    assert (expected.dtype, expected.shape) == (actual.dtype, actual.shape)
    if expected.dtype == object:
        assert [(type(v), v) for v in expected.tolist()] == [(type(v), v) for v in actual.tolist()]
    else:
        assert expected.tobytes() == actual.tobytes()  # NaN's bits included


def outcome(read: Any, body: bytes) -> Any:
    try:
        return read(body)
    except (csv.Error, UnicodeDecodeError, ServingError) as error:
        return "error", type(error).__name__


# CSV text as clients write it and as attackers do: separators, every kind of
# whitespace str.strip knows, quotes, \r, NUL, numbers and words.
csv_alphabet = st.sampled_from(
    list(",,,\n\n \"'\t\r\x00\x0b\x0c\x1c\x85\xa0\u2028\u3000abcMFI-+._eE0123456789")
)
csv_text = st.text(csv_alphabet, max_size=80)
plain_csv_text = st.text(csv_alphabet.filter(lambda char: char not in '"\r\x00'), max_size=80)


@EXAMPLES
@given(content=csv_text, bom=st.booleans())
def test_rows_are_the_csv_readers_rows(content: str, bom: bool) -> None:
    body = ("\ufeff" if bom else "").encode() + content.encode()
    expected = outcome(reference_rows, body)
    actual = outcome(read_rows, body)
    if isinstance(expected, tuple):  # the reader refused it: so does read_rows (a 400)
        assert actual == ("error", "BadRequest")
    else:
        assert actual == expected


@EXAMPLES
@given(content=plain_csv_text)
def test_rows_without_quotes_take_the_split_path_and_match(content: str) -> None:
    assert read_rows(content.encode()) == reference_rows(content.encode())


cell = st.one_of(
    st.just(""),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(width=32).map(str),
    st.sampled_from(
        [
            "nan",
            "NaN",
            "-inf",
            "Infinity",
            "1_000",
            "+5",
            "0x10",
            "1e400",
            "M",
            "é",
            "٣٤",
            "１２",
            "1.",
            ".5",
            " 7 ",
        ]
    ),
    st.text(max_size=4).map(str.strip),
)


@EXAMPLES
@given(values=st.lists(cell, min_size=1, max_size=6))
def test_columns_are_typed_as_before(values: list[str]) -> None:
    same_array(reference_column(values), typed_column(values))
    same_array(reference_column(values), typed_column(tuple(values)))


@st.composite
def text_tables(draw: st.DrawFn) -> list[list[str]]:
    rows, width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return [draw(st.lists(cell, min_size=width, max_size=width)) for _ in range(rows)]


def reference_frame(rows: list[list[str]], names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: reference_column([row[i] for row in rows]) for i, name in enumerate(names)}
    )


def same_frame(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(expected, actual, check_exact=True)
    assert expected.index.equals(actual.index) and type(expected.index) is type(actual.index)
    assert expected.columns.dtype == actual.columns.dtype
    assert [block.dtype for block in expected._mgr.blocks] == [
        block.dtype for block in actual._mgr.blocks
    ]
    for position in range(expected.shape[1]):
        same_array(expected.iloc[:, position].to_numpy(), actual.iloc[:, position].to_numpy())
    for frame in (expected, actual):  # the layout scikit-learn is handed
        assert frame.to_numpy().flags.f_contiguous == expected.to_numpy().flags.f_contiguous


@EXAMPLES
@given(rows=text_tables())
def test_the_frame_of_columns_is_the_dict_constructors_frame(rows: list[list[str]]) -> None:
    names = [f"c{index}" for index in range(len(rows[0]))]
    columns = text_columns(rows, names)
    assert columns.names == names
    same_frame(reference_frame(rows, names), columns.frame())


def test_repeated_names_keep_the_dict_constructors_meaning() -> None:
    rows = [["1", "2.5"], ["3", "x"]]
    columns = text_columns(rows, ["a", "a"])
    same_frame(pd.DataFrame({"a": reference_column(["2.5", "x"])}), columns.frame())


number_dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.float16, np.bool_])


@st.composite
def output_tables(draw: st.DrawFn) -> ArrayTable:
    dtype = draw(number_dtypes)
    shape = draw(
        st.one_of(st.tuples(st.integers(1, 5)), st.tuples(st.integers(1, 4), st.integers(1, 4)))
    )
    array = draw(hnp.arrays(dtype, shape))
    width = 1 if array.ndim == 1 else array.shape[1]
    names = draw(
        st.lists(
            st.sampled_from(["prediction", "a", "é", 'q"uote', "100%", "%s", "0"]),
            min_size=width,
            max_size=width,
            unique=True,
        )
    )
    return ArrayTable(array, tuple(names))


@EXAMPLES
@given(table=output_tables())
def test_arrays_are_written_as_the_dataframe_path_writes_them(table: ArrayTable) -> None:
    frame = table.frame()
    csv_body = write_numbers(table)
    if csv_body is not None:
        assert csv_body == write_rows(rows_of(frame))
    records = number_records(table)
    if records is not None:
        assert records == [dumps(record) for record in records_of(frame)]
        assert b'{"predictions":[' + b",".join(records) + b"]}" == dumps(
            {"predictions": records_of(frame)}
        )


@EXAMPLES
@given(array=hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(allow_nan=False)))
def test_finite_and_infinite_floats_are_written_directly_to_csv(array: np.ndarray) -> None:
    table = ArrayTable(array, ("prediction",))
    written = write_numbers(table)
    assert written is not None  # no NaN: the direct path writes it, infinities included
    assert written == write_rows(rows_of(table.frame()))


@pytest.mark.parametrize(
    "array",
    [np.array([1.5, np.nan]), np.array([[np.nan], [1.0]]), np.array(["a"], dtype=object)],
)
def test_nan_and_objects_are_left_to_the_dataframe_path(array: np.ndarray) -> None:
    table = ArrayTable(
        array, tuple(str(i) for i in range(1 if array.ndim == 1 else array.shape[1]))
    )
    assert write_numbers(table) is None and number_records(table) is None


def test_repeated_names_are_left_to_the_dataframe_path() -> None:
    table = ArrayTable(np.array([[1.0, 2.0]]), ("a", "a"))
    assert write_numbers(table) is None and number_records(table) is None


def test_infinities_are_left_to_json_which_refuses_them() -> None:
    assert number_records(ArrayTable(np.array([math.inf]), ("score",))) is None


def test_a_frame_of_columns_holds_what_it_was_given() -> None:
    values = [np.array(["M"], dtype=object), np.array([0.5]), np.array([7])]
    frame = Columns(["sex", "length", "rings"], values).frame()
    assert frame.to_dict("list") == {"sex": ["M"], "length": [0.5], "rings": [7]}
    assert json.loads(frame.to_json()) == {
        "sex": {"0": "M"},
        "length": {"0": 0.5},
        "rings": {"0": 7},
    }


# JSON numbers as text: every form the grammar allows (and some it does not), so the
# digits, exponents and signs orjson and json could read apart are all drawn.
json_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(1 << 70), 1 << 70).map(str),
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?\Z"),
    st.sampled_from(["-0", "-0.0", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1E5"]),
)


def json_outcome(body: bytes) -> Any:
    try:
        value = json.loads(body)
    except ValueError as error:
        return "error", type(error).__name__
    return [(type(v), repr(v)) for v in value]


@EXAMPLES
@given(numbers=st.lists(json_numbers, min_size=1, max_size=8))
def test_json_numbers_are_read_as_json_reads_them(numbers: list[str]) -> None:
    body = ("[" + ",".join(numbers) + "]").encode()
    parsed = parse(body)
    if parsed is not None:  # None: json reads the body
        assert [(type(v), repr(v)) for v in parsed] == json_outcome(body)
    assert [(type(v), repr(v)) for v in load(body)] == json_outcome(body)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(1 << 65), 1 << 65),
    st.floats(allow_infinity=False),
    st.sampled_from(["M", "F", "", "0.5"]),
    st.lists(st.floats(allow_nan=False), max_size=2),
)


@st.composite
def json_rows(draw: st.DrawFn) -> list[Any]:
    """Rows of lists or records, mostly of one kind per column, sometimes not."""
    width = draw(st.integers(1, 4))
    kinds = [draw(st.sampled_from(["int", "float", "number", "str", "any"])) for _ in range(width)]
    cells = {
        "int": st.integers(-(1 << 64), 1 << 64),
        "float": st.floats(allow_infinity=False) | st.none(),
        "number": st.integers(-(1 << 62), 1 << 62) | st.floats(allow_nan=False) | st.none(),
        "str": st.sampled_from(["M", "F", ""]) | st.none(),
        "any": json_scalars,
    }
    rows = draw(
        st.lists(st.tuples(*(cells[kind] for kind in kinds)).map(list), min_size=1, max_size=5)
    )
    if draw(st.booleans()):
        names = [f"c{index}" for index in range(width)]
        return [dict(zip(names, row, strict=True)) for row in rows]
    return rows


@EXAMPLES
@given(rows=json_rows())
def test_json_columns_are_the_frame_pandas_builds(rows: list[Any]) -> None:
    names = None if isinstance(rows[0], dict) else [f"c{i}" for i in range(len(rows[0]))]
    columns = document_columns(rows, names)
    if columns is None:  # left to the DataFrame path
        return
    same_frame(frame_from_document_rows(rows, names), columns.frame())


def test_plain_json_columns_take_the_direct_path() -> None:
    rows: list[Any] = [[1, 0.5, "M", None], [2, None, None, 1]]
    records: list[Any] = [{"a": 1, "b": 0.5}, {"a": 2, "b": None}]
    for found, names in ((rows, ["a", "b", "c", "d"]), (records, None)):
        columns = document_columns(found, names)
        assert columns is not None
        same_frame(frame_from_document_rows(found, names), columns.frame())
    assert document_columns([[True]], None) is None  # pandas keeps bools as bool
    assert document_columns([[1 << 63]], None) is None  # uint64 in pandas
    assert document_columns([[None]], None) is None  # an object column of None


@EXAMPLES
@given(table=output_tables())
def test_number_bodies_are_what_json_dumps_writes(table: ArrayTable) -> None:
    # orjson where it prints as json does, the %r template elsewhere: the same bytes.
    records = records_of(table.frame())
    body, lines = number_body(table, lines=False), number_body(table, lines=True)
    assert (body is None) == (lines is None) == (number_records(table) is None)
    if body is not None and lines is not None:
        assert body == dumps({"predictions": records})
        assert lines == b"".join(dumps(record) + b"\n" for record in records)


@EXAMPLES
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_orjson_prints_floats_as_repr_where_it_is_trusted_to(value: float) -> None:
    if printed_as_repr(np.array([value])):
        assert orjson.dumps(value) == repr(value).encode()
    assert printed_as_repr(np.array([value] * 100)) == printed_as_repr(np.array([value]))


def test_orjson_prints_small_floats_unlike_repr() -> None:
    # Why printed_as_repr stops at 1e-4: below it, orjson and repr part ways.
    assert orjson.dumps(1e-05) == b"0.00001" and repr(1e-05) == "1e-05"
    assert not printed_as_repr(np.array([1e-05]))
    assert not plain_name("é") and not plain_name('q"uote') and plain_name("100%")


# Any float, with tiny magnitudes (where orjson's text is not repr's) drawn often, and
# arrays past SMALL values (where the checks are numpy's, not Python's).
any_floats = st.floats(allow_nan=False) | st.floats(-1e-3, 1e-3, allow_nan=False)
wide_arrays = st.one_of(
    hnp.arrays(np.float64, st.integers(1, 200), elements=any_floats),
    hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 6)), elements=any_floats),
    hnp.arrays(np.float32, st.integers(1, 100), elements=st.floats(width=32, allow_nan=False)),
    hnp.arrays(
        st.sampled_from([np.int64, np.int32]), st.tuples(st.integers(1, 30), st.integers(1, 4))
    ),
)


@EXAMPLES
@given(array=wide_arrays)
def test_number_texts_are_reprs(array: np.ndarray) -> None:
    assert number_texts(array) == [repr(value).encode() for value in array.ravel().tolist()]


@EXAMPLES
@given(array=wide_arrays)
def test_csv_lines_are_what_the_csv_writer_writes(array: np.ndarray) -> None:
    rows = [[value] for value in array.tolist()] if array.ndim == 1 else array.tolist()
    assert csv_lines(array) == write_rows(rows)


def test_number_texts_follow_c_order_of_any_layout() -> None:
    array = np.arange(24, dtype=np.float64).reshape(4, 6) / 7e5  # some below 1e-4
    for view in (array[:, ::2], array.T, array[::-1]):
        assert number_texts(view) == [repr(value).encode() for value in view.ravel().tolist()]
        assert csv_lines(view) == write_rows(view.tolist())


# Number texts as people write them: reprs, fixed and scientific formats, integers past
# 64 bits, and what float() reads but JSON does not (or neither does).
finite = st.floats(allow_nan=False, allow_infinity=False)
plain_number_text = st.one_of(
    finite.map(repr),
    finite.map(lambda value: f"{value:.3f}"),
    finite.map(lambda value: f"{value:e}"),
    st.integers(-(10**30), 10**30).map(str),
)
number_text = st.one_of(
    plain_number_text,
    st.sampled_from(
        ["-0", "-0.0", "0", ".5", "5.", "+1", "1_0", "nan", "inf", "1e400", "-1e400", "1e-400"]
        + ["01", "1E5", "-1e-0", "1e5.5", "M", "", "1,5", "[1]", "true", " 1", "٣"]
    ),
)


@EXAMPLES
@given(values=st.lists(number_text, min_size=PARSED_FROM, max_size=PARSED_FROM + 40))
def test_parsed_floats_are_what_float_reads(values: list[str]) -> None:
    parsed = parsed_floats(values)
    try:
        want = np.array(list(map(float, values)))
    except ValueError:
        assert parsed is None
        return
    assert parsed is None or parsed.tobytes() == want.tobytes()


@EXAMPLES
@given(values=st.lists(plain_number_text, min_size=PARSED_FROM, max_size=PARSED_FROM + 40))
def test_plain_numbers_are_parsed_as_float_reads_them(values: list[str]) -> None:
    parsed = parsed_floats(values)
    if "-0" in values:
        assert parsed is None  # orjson's int 0, float's -0.0: left to float
    else:
        assert parsed is not None
        assert parsed.tobytes() == np.array(list(map(float, values))).tobytes()


def test_plain_numbers_are_parsed_by_orjson() -> None:
    values = [repr(value) for value in np.linspace(-3, 3, PARSED_FROM).tolist()]
    parsed = parsed_floats([*values[:-1], "7"])  # an integer among floats
    assert parsed is not None and parsed[-1] == 7.0
    assert parsed_floats(values[:-1]) is None  # too few: map(float) is quicker
    assert parsed_floats([*values[:-1], "-0"]) is None  # orjson's int 0, float's -0.0


@EXAMPLES
@given(array=wide_arrays.filter(lambda array: bool(np.isfinite(array).all())))
def test_number_bodies_of_many_values_are_what_json_dumps_writes(array: np.ndarray) -> None:
    names = ("a",) if array.ndim == 1 else tuple(f"f{index}" for index in range(array.shape[1]))
    for table in (ArrayTable(array, names), ArrayTable(array, tuple("é" + n for n in names))):
        records = records_of(table.frame())
        assert number_body(table, lines=False) == dumps({"predictions": records})
        assert number_body(table, lines=True) == b"".join(dumps(r) + b"\n" for r in records)


json_documents = st.recursive(
    json_scalars | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "é", "0"]), inner, max_size=3)
    ),
    max_leaves=12,
)


def typed(value: Any) -> Any:
    """`value` with every scalar's type beside it (1 and 1.0 and True told apart)."""
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, dict):
        return [(key, typed(item)) for key, item in value.items()]
    return type(value), repr(value)


@EXAMPLES
@given(document=json_documents, repeated=st.booleans())
def test_documents_are_loaded_as_json_loads_them(document: Any, repeated: bool) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()
    if repeated and body.startswith(b"{") and len(body) > 2:  # a key given twice
        body = b'{"a":1,' + body[1:-1] + b',"a":[2.5]}'
    assert typed(load(body)) == typed(json.loads(body))
