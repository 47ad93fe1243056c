"""SageMaker's service model, read from botocore at run time, and request validation.

botocore ships the model AWS generates its SDKs from (``botocore/data/sagemaker``);
reading it here keeps names, required members, lengths, ranges, patterns and enums
exactly AWS's, with nothing copied by hand. botocore's own client-side validator
checks only types, required members and minimums; AWS's servers also check maximums,
patterns and enums, and so does `validate`, with AWS's message shape::

    1 validation error detected: Value 'bad name!' at 'modelName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from inferline.containers.controlplane.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)

SERVICE = "sagemaker"
MAX_REPORTED = 10  # AWS lists at most this many violations in one message
NUMBERS = ("integer", "long", "float", "double")
# Storage locations (ModelDataUrl, S3Uri, S3OutputPath, DestinationS3Uri) that may also
# be local here: file:// URLs and absolute paths skip the model's s3:// pattern.
STORAGE_SHAPES = frozenset({"Url", "S3Uri", "DestinationS3Uri"})
LOCAL_PREFIXES = ("file://", "/")


@functools.cache
def model() -> ServiceModel:
    """The newest ``sagemaker`` service model installed with botocore."""
    return ServiceModel(Loader().load_service_model(SERVICE, "service-2"), SERVICE)


def operation(name: str, supported: frozenset[str]) -> OperationModel:
    """The operation's model, if this control plane serves it.

    Raises:
        UnknownOperationException: not a SageMaker operation, or one not served here.
    """
    if name not in supported:
        known = name in model().operation_names
        why = (
            "is not served by this local control plane" if known else "is not a SageMaker operation"
        )
        raise UnknownOperationException(
            f"Operation {name} {why}; it serves {', '.join(sorted(supported))}"
        )
    return model().operation_model(name)


def validate(operation: OperationModel, request: Any) -> None:
    """Check a request body against the operation's input shape.

    Raises:
        SerializationException: the body is not a JSON object.
        ValidationException: constraints broken, listed as AWS lists them.
    """
    if not isinstance(request, dict):
        raise SerializationException("the request body must be a JSON object")
    shape = operation.input_shape
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, request, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(
            f"{count} validation {noun} detected: " + "; ".join(problems[:MAX_REPORTED])
        )


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        _check_structure(shape, value, path, problems)
    elif isinstance(shape, ListShape):
        if not isinstance(value, list):
            problems.append(_problem(value, path, "Member must be a list"))
            return
        _check_size(shape, len(value), value, path, problems, "length")
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", problems)
    elif isinstance(shape, MapShape):
        if not isinstance(value, dict):
            problems.append(_problem(value, path, "Member must be a map"))
            return
        _check_size(shape, len(value), value, path, problems, "length")
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", problems)
            _check(shape.value, item, f"{path}.{key}", problems)
    elif kind == "string":
        _check_string(shape, value, path, problems)
    elif kind in NUMBERS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(_problem(value, path, "Member must be a number"))
            return
        _check_size(shape, value, value, path, problems, "value")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(_problem(value, path, "Member must be a boolean"))


def _check_structure(shape: StructureShape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(_problem(value, path, "Member must be a structure"))
        return
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(_problem(None, _join(path, name), "Member must not be null"))
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(path, name), problems)


def _check_string(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(_problem(value, path, "Member must be a string"))
        return
    _check_size(shape, len(value), value, path, problems, "length")
    enum: list[str] = shape.metadata.get("enum", [])
    if enum and value not in enum:
        problems.append(
            _problem(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        )
    pattern = shape.metadata.get("pattern")
    if shape.name in STORAGE_SHAPES and value.startswith(LOCAL_PREFIXES):
        pattern = None
    if pattern is not None:
        compiled = _pattern(pattern)
        if compiled is not None and not compiled.fullmatch(value):
            problems.append(
                _problem(value, path, f"Member must satisfy regular expression pattern: {pattern}")
            )


def _check_size(
    shape: Shape, size: float, value: Any, path: str, problems: list[str], what: str
) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        problems.append(
            _problem(value, path, f"Member must have {what} greater than or equal to {low}")
        )
    if high is not None and size > high:
        problems.append(
            _problem(value, path, f"Member must have {what} less than or equal to {high}")
        )


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's (Java) regular expression, or None when Python cannot read it."""
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _join(path: str, member: str) -> str:
    """AWS names members lowerCamelCase in messages: productionVariants.1.member.variantName."""
    name = member[:1].lower() + member[1:]
    return f"{path}.{name}" if path else name


def _problem(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{_short(value)}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."
