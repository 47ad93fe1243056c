from __future__ import annotations

from http import HTTPStatus

import pytest

from inferline.containers.core import errors


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.BadRequest, 400),
        (errors.NotFound, 404),
        (errors.NotAcceptable, 406),
        (errors.PayloadTooLarge, 413),
        (errors.UnsupportedMediaType, 415),
        (errors.UnprocessableEntity, 422),
        (errors.ServingError, 500),
        (errors.ServiceUnavailable, 503),
    ],
)
def test_each_error_carries_its_status_and_maps_back(
    cls: type[errors.ServingError], status: int
) -> None:
    assert cls.status == HTTPStatus(status)
    assert errors.error_for_status(status) is cls
    assert cls("why").to_json() == {"error": cls.__name__, "message": "why"}


def test_unknown_statuses_map_to_the_nearest_class() -> None:
    assert errors.error_for_status(418) is errors.BadRequest
    assert errors.error_for_status(502) is errors.ServingError


def test_client_errors_are_value_errors_for_python_callers() -> None:
    assert issubclass(errors.BadRequest, ValueError)
    assert issubclass(errors.ConfigurationError, ValueError)
