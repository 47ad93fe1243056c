"""SageMaker's JSON 1.1 protocol: ``POST /`` with ``X-Amz-Target: SageMaker.<Operation>``.

What botocore sends and reads (``protocol: json``, ``jsonVersion: 1.1``): the request
is the operation's input as a JSON object; the answer is its output, or an error
``{"__type": "ValidationException", "message": ...}`` with status 400 and the
``x-amzn-ErrorType`` header. Signatures are not checked (any credentials work);
the region in the SigV4 credential scope goes into the ARNs answered.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from inferline.containers.controlplane.errors import (
    ApiError,
    InternalFailure,
    SerializationException,
    UnknownOperationException,
)
from inferline.containers.controlplane.store import REGION
from inferline.containers.core import protocol

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from inferline.containers.controlplane.operations import Operations

log = logging.getLogger("inferline.controlplane")

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_HEADER = "X-Amz-Target"
TARGET_PREFIX = "SageMaker."
# Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/sagemaker/aws4_request, ...
CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class ControlPlaneApp:
    """The WSGI app answering SageMaker API calls with `operations`."""

    def __init__(self, operations: Operations) -> None:
        self.operations = operations

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.answer(Request(environ))
        return response(environ, start_response)

    def answer(self, request: Request) -> Response:
        region = CREDENTIAL_REGION.search(request.headers.get("Authorization", ""))
        token = REGION.set(region.group(1) if region else REGION.get())
        try:
            target = request.headers.get(TARGET_HEADER, "")
            if not target.startswith(TARGET_PREFIX):
                raise UnknownOperationException(
                    f"{TARGET_HEADER} {target!r} is not a SageMaker operation "
                    f"({TARGET_PREFIX}<Operation>)"
                )
            body = _body(request.get_data())
            answer = self.operations.call(target[len(TARGET_PREFIX) :], body)
            return _response(200, json.dumps(answer))
        except ApiError as error:
            return _error(error)
        except Exception as error:  # noqa: BLE001 - one bad call must not stop the server
            log.exception("control plane: %s failed", request.headers.get(TARGET_HEADER))
            return _error(InternalFailure(f"{type(error).__name__}: {error}"))
        finally:
            REGION.reset(token)


def _body(data: bytes) -> object:
    if not data.strip():
        return {}
    try:
        return json.loads(data)
    except ValueError as error:
        raise SerializationException(f"the request body is not JSON: {error}") from None


def _error(error: ApiError) -> Response:
    response = _response(error.status, json.dumps(error.to_json()))
    response.headers[protocol.ERROR_TYPE] = error.code
    return response


def _response(status: int, body: str) -> Response:
    response = Response(body, status=status, content_type=CONTENT_TYPE)
    response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return response
