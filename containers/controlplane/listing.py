"""The List operations' filters, sorting and pagination, as AWS does them.

NameContains (case-insensitive), CreationTime/LastModifiedTime Before/After and
StatusEquals filter; SortBy (CreationTime by default) and SortOrder (Descending by
default) order; MaxResults (10 by default) and an opaque NextToken page. Each
summary holds exactly the members of the list's summary shape in the service model
(ModelSummary, EndpointSummary, ...), so what is listed follows botocore's model.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.model import ListShape, OperationModel, StructureShape

from inferline.containers.controlplane.errors import ValidationException
from inferline.containers.controlplane.store import Record

DEFAULT_MAX_RESULTS = 10
SORT_KEYS = {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"}
TIME_FILTERS = (
    ("CreationTimeBefore", "CreationTime", -1),
    ("CreationTimeAfter", "CreationTime", 1),
    ("LastModifiedTimeBefore", "LastModifiedTime", -1),
    ("LastModifiedTimeAfter", "LastModifiedTime", 1),
)


def page(
    operation: OperationModel,
    request: dict[str, Any],
    records: list[Record],
    name_key: str,
    status_key: str | None = None,
) -> dict[str, Any]:
    """One page of `records` for a List operation's request, in its output shape."""
    selected = [record for record in records if _matches(record, request, name_key, status_key)]
    sort_by = request.get("SortBy", "CreationTime")
    key = {"Name": name_key, "Status": status_key or name_key}.get(sort_by, SORT_KEYS.get(sort_by))
    selected.sort(
        key=lambda record: (record.get(key or "CreationTime", 0), record[name_key]),
        reverse=request.get("SortOrder", "Descending") == "Descending",
    )
    start = _offset(request.get("NextToken"))
    size = int(request.get("MaxResults", DEFAULT_MAX_RESULTS))
    chosen = selected[start : start + size]
    list_member, summary = _summary_shape(operation)
    answer: dict[str, Any] = {
        list_member: [
            {member: record[member] for member in summary.members if member in record}
            for record in chosen
        ]
    }
    if start + size < len(selected):
        answer["NextToken"] = base64.b64encode(
            json.dumps({"offset": start + size}).encode()
        ).decode()
    return answer


def _matches(
    record: Record, request: dict[str, Any], name_key: str, status_key: str | None
) -> bool:
    contains = request.get("NameContains")
    if contains is not None and contains.lower() not in record[name_key].lower():
        return False
    for parameter, field, direction in TIME_FILTERS:
        bound = request.get(parameter)
        value = record.get(field, record.get("CreationTime"))
        if bound is not None and value is not None and (value - float(bound)) * direction <= 0:
            return False
    status = request.get("StatusEquals")
    return status is None or status_key is None or record.get(status_key) == status


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValidationException(f"Invalid pagination token: {token!r}") from None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationException(f"Invalid pagination token: {token!r}")
    return offset


def _summary_shape(operation: OperationModel) -> tuple[str, StructureShape]:
    """The output's list member (Models, Endpoints, ...) and its summary structure."""
    output = operation.output_shape
    assert isinstance(output, StructureShape)
    for name, member in output.members.items():
        if isinstance(member, ListShape) and isinstance(member.member, StructureShape):
            return name, member.member
    raise AssertionError(f"{operation.name} has no list of summaries")
