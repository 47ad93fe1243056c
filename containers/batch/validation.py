"""A CreateTransformJob request checked as SageMaker checks it, before anything starts.

The shapes, required members, enums and limits come from botocore's own service model
for ``sagemaker`` (the authority for the API), read at run time rather than copied:
botocore's `ParamValidator` checks structure, types, required members and minimums
(what boto3 checks client-side); `check_limits` walks the same shapes for what only
the service checks (enums, maximum lengths and values, patterns). `S3Uri` is the one
deliberate difference: inferline also takes local paths and ``file://`` URLs there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from inferline.containers.core.errors import ConfigurationError

OPERATION = "CreateTransformJob"
# Shapes whose pattern is relaxed: a local path or file:// URL is a valid S3Uri here.
LOCAL_OK_SHAPES = frozenset({"S3Uri"})


@cache
def _input_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(OPERATION).input_shape


def validate_request(request: Mapping[str, Any]) -> None:
    """Raise ConfigurationError naming every member of `request` that breaks the API's shapes."""
    from botocore.exceptions import ParamValidationError
    from botocore.validate import ParamValidator

    shape = _input_shape()
    report = ParamValidator().validate(dict(request), shape)
    if report.has_errors():
        error = ParamValidationError(report=report.generate_report())
        raise ConfigurationError(f"{OPERATION} request is invalid:\n{error}")
    problems: list[str] = []
    check_limits(request, shape, "", problems)
    if problems:
        raise ConfigurationError(f"{OPERATION} request is invalid:\n" + "\n".join(problems))


def check_limits(value: Any, shape: Any, where: str, problems: list[str]) -> None:
    """Append a message for each enum, max or pattern that `value` (under `shape`) breaks."""
    name = where or "the request"
    metadata = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        for member, member_shape in shape.members.items():
            if member in value:
                check_limits(value[member], member_shape, _join(where, member), problems)
        return
    if kind == "list":
        _check_size(len(value), metadata, name, "entries", problems)
        for index, item in enumerate(value):
            check_limits(item, shape.member, f"{where}[{index}]", problems)
        return
    if kind == "map":
        _check_size(len(value), metadata, name, "entries", problems)
        for key, item in value.items():
            check_limits(key, shape.key, f"{where} key {key!r}", problems)
            check_limits(item, shape.value, f"{where}[{key!r}]", problems)
        return
    if kind == "string":
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            problems.append(f"- {name}: {value!r} is not one of {', '.join(enum)}")
        _check_size(len(value), metadata, name, "characters", problems)
        pattern = metadata.get("pattern")
        if pattern and shape.name not in LOCAL_OK_SHAPES and not _matches(pattern, value):
            problems.append(f"- {name}: {value!r} does not match the pattern {pattern}")
        return
    if kind in ("integer", "long"):
        maximum = metadata.get("max")
        if maximum is not None and value > maximum:
            problems.append(f"- {name}: {value} is over the maximum of {maximum}")


def _check_size(
    size: int, metadata: Mapping[str, Any], name: str, unit: str, problems: list[str]
) -> None:
    maximum = metadata.get("max")
    if maximum is not None and size > maximum:
        problems.append(f"- {name}: {size} {unit}, over the maximum of {maximum}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(pattern: str, value: str) -> bool:
    # The service matches the whole value (Java's String.matches).
    return _compiled(pattern).fullmatch(value) is not None


def _join(where: str, member: str) -> str:
    return f"{where}.{member}" if where else member
