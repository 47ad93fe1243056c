"""DataProcessing: SageMaker's JSONPath subset, joins and filters, per the AWS guide's examples.

The examples quoted are from awsdocs ``batch-transform-data-processing.md``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from inferline.containers.batch.dataprocessing import JsonPath, Processor, RecordError, split_output
from inferline.containers.batch.job import TransformJob
from inferline.containers.core.errors import ConfigurationError

COLUMNS = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]


def select(expression: str, document: Any) -> Any:
    return JsonPath(expression, "InputFilter").select(document)


# Where SageMaker differs from jsonpath-ng (Python slices): the guide's own words.
@pytest.mark.parametrize(
    ("expression", "expected", "guide"),
    [
        ("$[1:4]", ["c1", "c2", "c3", "c4"], "$[1:4] specifies the second through fifth columns"),
        ("$[5:]", ["c5", "c6", "c7"], "[5:] ... all columns from the 6th column through the last"),
        ("$[:5]", COLUMNS[:6], "[:5] ... the first column (index 0) through the sixth column"),
        (
            "$[1:]",
            COLUMNS[1:],
            "To exclude the first column from the input, set InputFilter to $[1:]",
        ),
    ],
)
def test_slices_include_their_end_as_the_guide_says(
    expression: str, expected: list[str], guide: str
) -> None:
    assert select(expression, COLUMNS) == expected, guide


def test_an_inclusive_end_of_minus_one_reaches_the_last_element() -> None:
    assert select("$[2:-1]", COLUMNS) == COLUMNS[2:]
    assert select("$[2:-2]", COLUMNS) == COLUMNS[2:7]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$", {"id": 7, "features": [1, 2], "nested": {"a": 1, "b": 2}}),
        ("$.id", 7),  # one name: the value itself
        ("$.features", [1, 2]),
        ("$.nested.*", [1, 2]),  # a wildcard: a list
        ("$['id','features']", {"id": 7, "features": [1, 2]}),  # several names: an object
        ("$.nested['a','b']", {"a": 1, "b": 2}),
    ],
)
def test_the_json_subset(expression: str, expected: Any) -> None:
    document = {"id": 7, "features": [1, 2], "nested": {"a": 1, "b": 2}}
    assert select(expression, document) == expected


def test_indexes_and_negative_indexes() -> None:
    assert select("$[1]", COLUMNS) == "c1"
    assert select("$[1,3,5]", COLUMNS) == ["c1", "c3", "c5"]
    assert select("$[0,-1]", COLUMNS) == ["c0", "c7"]
    assert select("$[-1]", COLUMNS) == "c7"


@pytest.mark.parametrize(
    ("expression", "refusal"),
    [
        ("$..id", ".. (descendants) is not supported"),
        ("$[0:4:2]", "slice steps are not supported"),
        ("$['a','b'].c", "brackets naming several children must be the last step"),
        ("$[?(@.a)]", "is not a JSONPath"),
    ],
)
def test_outside_the_subset_is_refused(expression: str, refusal: str) -> None:
    with pytest.raises(ConfigurationError, match="SageMaker supports|is not a JSONPath") as raised:
        JsonPath(expression, "OutputFilter")
    assert refusal in str(raised.value)


def test_a_path_missing_from_the_record_is_an_error() -> None:
    with pytest.raises(RecordError, match=r"OutputFilter \$.label is not in the record"):
        JsonPath("$.label", "OutputFilter").select({"id": 1})
    with pytest.raises(RecordError, match="no SageMakerOutput in the record"):
        JsonPath("$['id','SageMakerOutput']", "OutputFilter").select({"id": 1})
    with pytest.raises(RecordError, match="indexes an array, got an object"):
        JsonPath("$[0]", "OutputFilter").select({"id": 1})


def processor(**changes: Any) -> Processor:
    base = TransformJob(name="j", model_name="m", input_uri="/in", output_uri="/out")
    return Processor(TransformJob(**{**base.__dict__, **changes}))


CSV_JOIN = {
    "content_type": "text/csv",
    "accept": "text/csv",
    "split_type": "Line",
    "assemble_with": "Line",
    "join_source": "Input",
}


def test_csv_join_puts_the_input_columns_first() -> None:
    # "if the record is [1,2,3], and the label result is [1], then the output file
    # would contain [1,2,3,1]"
    csv = processor(**CSV_JOIN)
    assert csv.prepare(b"1,2,3") == b"1,2,3"
    assert csv.finish(b"1,2,3", b"1") == b"1,2,3,1"


def test_csv_id_column_excluded_from_the_model_and_kept_in_the_output() -> None:
    csv = processor(**CSV_JOIN, input_filter="$[1:]", output_filter="$[0,-1]")
    assert csv.prepare(b"id-17,0.5,0.25,M") == b"0.5,0.25,M"
    assert csv.finish(b"id-17,0.5,0.25,M", b"9.5") == b"id-17,9.5"


def test_csv_quoting_follows_rfc_4180() -> None:
    csv = processor(**CSV_JOIN, input_filter="$[1]")
    assert csv.prepare(b'"a, b","x ""y"""') == b'"x ""y"""'
    assert csv.finish(b'"a, b",2', b"3") == b'"a, b",2,3'


JSON_JOIN = {**CSV_JOIN, "content_type": "application/jsonlines", "accept": "application/jsonlines"}


def test_json_objects_get_sagemaker_output() -> None:
    lines = processor(
        **JSON_JOIN, input_filter="$.features", output_filter="$['id','SageMakerOutput']"
    )
    record = b'{"id": 1, "features": [0.5, 2], "SageMakerOutput": "overwritten"}'
    assert lines.prepare(record) == b"[0.5,2]"
    joined = json.loads(lines.finish(record, b'{"label": 1}'))
    assert joined == {"id": 1, "SageMakerOutput": {"label": 1}}


def test_other_json_becomes_sagemaker_input_and_output() -> None:
    lines = processor(**JSON_JOIN)
    assert json.loads(lines.finish(b"[1, 2]", b'{"score": 3}')) == {
        "SageMakerInput": [1, 2],
        "SageMakerOutput": {"score": 3},
    }


def test_an_output_filter_alone_reads_the_models_answer() -> None:
    only = processor(content_type="text/csv", accept="application/json", output_filter="$.score")
    assert only.finish(b"1,2", b'{"score": 0.75}') == b"0.75"


def test_multirecord_answers_split_one_per_record() -> None:
    assert split_output(b"1\n2\n3\n", 3, "text/csv") == [b"1", b"2", b"3"]
    assert split_output(b'[{"a":1},{"a":2}]', 2, "application/json") == [b'{"a":1}', b'{"a":2}']
    with pytest.raises(RecordError, match=r"answered 2 line\(s\) for a batch of 3 records"):
        split_output(b"1\n2\n", 3, "text/csv")
