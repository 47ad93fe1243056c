"""DataProcessing: InputFilter, JoinSource and OutputFilter, as SageMaker applies them per record.

InputFilter picks what the model sees; the model's answer is joined (JoinSource=Input)
with the original, unfiltered record; OutputFilter picks what is written. CSV rows are
JSON arrays of their column strings, so only index paths apply there (awsdocs
``batch-transform-data-processing.md``, which also lists the JSONPath subset).

JSONPath is parsed and evaluated by jsonpath-ng. Our own code covers only where
SageMaker differs from it (each has a test in tests/batch/test_dataprocessing.py):

- slices include their end: the AWS guide's own examples say ``$[1:4]`` is "the second
  through fifth columns" and ``[:5]`` "the first column (index 0) through the sixth", so
  a slice's end is moved one on before jsonpath-ng (Python semantics) sees it;
- a path that names one thing (``$.id``, ``$[0]``) gives that value, and any other
  (``*``, slices, ``[1,3]``) a list, as Jayway JsonPath (which the guide links) does;
  ``['a','b']`` on an object gives an object with those keys, also Jayway's answer;
- only the documented subset is accepted (no ``..``, filters, steps or nested brackets).
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from jsonpath_ng import jsonpath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.parser import parse

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.errors import RecordError as RecordError  # raised here

if TYPE_CHECKING:
    from inferline.containers.batch.job import TransformJob

CSV = "text/csv"
JSON = "application/json"
JSON_LINES = "application/jsonlines"
PROCESSABLE = (CSV, JSON, JSON_LINES)
OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"


def base_type(content_type: str | None) -> str | None:
    """The media type, parameters dropped: ``text/csv; charset=utf-8`` -> ``text/csv``."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


class JsonPath:
    """One DataProcessing expression, checked against SageMaker's subset."""

    def __init__(self, expression: str, member: str) -> None:
        self.expression = expression
        self.member = member
        if not expression.startswith("$"):
            raise ConfigurationError(f"{member} {expression!r} must start with $ (the root)")
        try:
            parsed = parse(expression)
        except (JsonPathLexerError, JsonPathParserError, Exception) as error:
            raise ConfigurationError(
                f"{member} {expression!r} is not a JSONPath: {error}"
            ) from None
        steps = _steps(parsed, self._unsupported)
        for position, step in enumerate(steps):
            if (
                isinstance(step, jsonpath.Fields)
                and len(step.fields) > 1
                and position != len(steps) - 1
            ):
                self._unsupported("brackets naming several children must be the last step")
        self.is_identity = not steps
        self.index_only = all(isinstance(step, (jsonpath.Index, jsonpath.Slice)) for step in steps)
        self.definite = all(_names_one(step) for step in steps)
        self._keys = (
            tuple(steps[-1].fields)
            if steps and isinstance(steps[-1], jsonpath.Fields) and len(steps[-1].fields) > 1
            else None
        )
        self._path = _inclusive_slices(parsed)

    def _unsupported(self, what: str) -> None:
        raise ConfigurationError(
            f"{self.member} {self.expression!r}: {what}; SageMaker supports $, .name, *, "
            "['a','b'], [i,j] and [start:end]"
        )

    def select(self, document: Any) -> Any:
        """The part of `document` this path selects (RecordError if it selects nothing)."""
        if self.is_identity:
            return document
        if self.index_only and not isinstance(document, list):
            raise RecordError(
                f"{self.member} {self.expression} indexes an array, got {_kind(document)}"
            )
        matches = self._path.find(document)
        if self._keys is not None:
            found = {str(match.path.fields[0]): match.value for match in matches}
            missing = [key for key in self._keys if key not in found]
            if missing:
                raise RecordError(
                    f"{self.member} {self.expression}: no {', '.join(missing)} in the record"
                )
            return {key: found[key] for key in self._keys}
        if self.definite:
            if not matches:
                raise RecordError(f"{self.member} {self.expression} is not in the record")
            return matches[0].value
        return [match.value for match in matches]


def _kind(document: Any) -> str:
    if isinstance(document, dict):
        return "an object"
    if isinstance(document, list):
        return "an array"
    return "a string" if isinstance(document, str) else "a value"


def _steps(node: Any, unsupported: Any) -> list[Any]:
    """The steps after the root, left to right; anything outside the subset is refused."""
    if isinstance(node, jsonpath.Root):
        return []
    if isinstance(node, jsonpath.Child):
        return _steps(node.left, unsupported) + _steps(node.right, unsupported)
    if isinstance(node, jsonpath.Fields | jsonpath.Index):
        return [node]
    if isinstance(node, jsonpath.Slice):
        if node.step is not None:
            unsupported("slice steps are not supported")
        return [node]
    if type(node).__name__ == "Wildcard" or (
        isinstance(node, jsonpath.Fields) and node.fields == ("*",)
    ):
        return [node]
    if isinstance(node, jsonpath.Descendants):
        unsupported(".. (descendants) is not supported")
    unsupported(f"{type(node).__name__} is not supported")
    return []


def _names_one(step: Any) -> bool:
    if isinstance(step, jsonpath.Fields):
        return len(step.fields) == 1 and step.fields[0] != "*"
    if isinstance(step, jsonpath.Index):
        return len(step.indices) == 1
    return False


def _inclusive_slices(node: Any) -> Any:
    """The same path with every slice end moved one on (SageMaker's ends are inclusive)."""
    if isinstance(node, jsonpath.Child):
        return jsonpath.Child(_inclusive_slices(node.left), _inclusive_slices(node.right))
    if isinstance(node, jsonpath.Slice) and node.end is not None:
        end = None if node.end == -1 else node.end + 1
        return jsonpath.Slice(start=node.start, end=end)
    return node


class Processor:
    """The job's DataProcessing, applied to one record at a time."""

    def __init__(self, job: TransformJob) -> None:
        self.input_filter = JsonPath(job.input_filter, "InputFilter")
        self.output_filter = JsonPath(job.output_filter, "OutputFilter")
        self.join = job.join_source == "Input"
        self.input_type = base_type(job.content_type)
        self.output_type = base_type(job.accept)
        self.filters_input = not self.input_filter.is_identity
        self.per_record_output = self.join or not self.output_filter.is_identity

    @property
    def active(self) -> bool:
        return self.filters_input or self.per_record_output

    def prepare(self, record: bytes) -> bytes:
        """What is sent to the model for `record` (InputFilter)."""
        if not self.filters_input:
            return record
        document = _decode(record, self.input_type, "input record")
        return _encode(self.input_filter.select(document), self.input_type)

    def finish(self, record: bytes, output: bytes) -> bytes:
        """What is written for `record` given the model's `output` (JoinSource, OutputFilter)."""
        if not self.per_record_output:
            return output
        answer = _decode(output, self.output_type, "model output")
        if self.join:
            original = _decode(record, self.input_type, "input record")
            document = join(original, answer, self.input_type)
            written_type = self.input_type
        else:
            document, written_type = answer, self.output_type
        return _encode(self.output_filter.select(document), written_type)


def join(original: Any, answer: Any, media: str | None) -> Any:
    """JoinSource=Input: CSV columns then output columns; JSON gets SageMakerOutput."""
    if media == CSV:
        return [*original, *(answer if isinstance(answer, list) else [answer])]
    if isinstance(original, dict):
        return {**original, OUTPUT_KEY: answer}
    return {INPUT_KEY: original, OUTPUT_KEY: answer}


def _decode(data: bytes, media: str | None, what: str) -> Any:
    text = data.decode("utf-8").strip("\r\n")
    if media == CSV:
        try:
            return next(csv.reader([text], strict=True), [])
        except csv.Error as error:
            raise RecordError(f"{what} is not one CSV row: {error}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise RecordError(f"{what} is not JSON: {error}") from None


def _encode(value: Any, media: str | None) -> bytes:
    if media == CSV:
        row = value if isinstance(value, list) else [value]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(
            [cell if isinstance(cell, str) else json.dumps(cell) for cell in row]
        )
        return buffer.getvalue().encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def split_output(body: bytes, count: int, media: str | None) -> list[bytes]:
    """One answer per record of a MultiRecord batch, for joining and output filters.

    CSV and JSON Lines answers have a line per record; a JSON answer may also be one
    array with an element per record.
    """
    lines = [line.rstrip(b"\r") for line in body.split(b"\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) == count:
        return lines
    if count == 1:
        return [body.strip()]
    if media == JSON:
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, list) and len(document) == count:
            return [_encode(item, JSON) for item in document]
    raise RecordError(
        f"the model answered {len(lines)} line(s) for a batch of {count} records; "
        "joining or filtering needs one answer per record"
    )


def check_job(job: TransformJob) -> None:
    """The documented preconditions, checked before any record is sent."""
    processor = Processor(job)  # parses every expression (ConfigurationError if bad)
    if not processor.active:
        return
    content = base_type(job.content_type)
    accept = base_type(job.accept)
    if job.split_type == "RecordIO":
        raise ConfigurationError("DataProcessing works on CSV and JSON records, not RecordIO")
    if processor.filters_input or processor.join:
        _check_type("ContentType", content)
        if content == CSV and not processor.input_filter.index_only:
            raise ConfigurationError(
                f"InputFilter {job.input_filter!r}: CSV rows are arrays, so only index paths "
                "such as $[0], $[1:] or $[0,-1] apply"
            )
    if processor.join:
        if accept != content:
            raise ConfigurationError(
                f"JoinSource Input needs Accept equal to ContentType ({job.content_type}); "
                f"Accept is {job.accept}"
            )
        if job.assemble_with != job.split_type:
            raise ConfigurationError(
                f"JoinSource Input needs AssembleWith equal to SplitType; they are "
                f"{job.assemble_with} and {job.split_type}"
            )
        if content in (CSV, JSON_LINES) and job.split_type != "Line":
            raise ConfigurationError(
                f"JoinSource Input with {content} needs SplitType and AssembleWith Line"
            )
    if processor.per_record_output:
        written = content if processor.join else accept
        _check_type("Accept", accept if not processor.join else content)
        if written == CSV and not processor.output_filter.index_only:
            raise ConfigurationError(
                f"OutputFilter {job.output_filter!r}: CSV rows are arrays, so only index "
                "paths apply"
            )


def _check_type(member: str, media: str | None) -> None:
    if media not in PROCESSABLE:
        raise ConfigurationError(
            f"DataProcessing needs {member} to be one of {', '.join(PROCESSABLE)}; it is {media}"
        )
