"""A refusal written straight to a client's socket, in inferline's JSON error shape.

A web server turns some requests away itself while parsing them, before any app sees
them: a 64 KB header, a garbage request line, a bad chunk size, a body declared over
the limit. gunicorn does in a container (containers/server.py), cheroot at the
endpoint's front door (containers/harness/frontdoor.py); both answer with these bytes,
so those refusals look like every other error::

    HTTP/1.1 431 Request Header Fields Too Large
    Connection: close
    Content-Type: application/json
    x-amzn-ErrorType: BadRequest

    {"error": "BadRequest", "message": "request headers are over the limit of 16384 bytes"}

The error's name is its class in the error tree (`errors.error_for_status`: 413 is
PayloadTooLarge, another 4xx BadRequest), also sent as the ``x-amzn-ErrorType``
botocore reads. The connection is closed after it: the request's framing cannot be
trusted, so whatever follows on that socket is not a request.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from inferline.containers.core.errors import error_for_status
from inferline.containers.core.protocol import ERROR_TYPE

CONTENT_TYPE = "application/json"


def refusal_body(status: int, message: str) -> bytes:
    """``{"error": <class for status>, "message": message}`` as JSON bytes."""
    return json.dumps(error_for_status(status)(message).to_json()).encode()


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response refusing the request with `status`, closing the connection."""
    body = refusal_body(status, message)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status http.HTTPStatus does not know still gets a reason
        phrase = "Error"
    head = (
        f"HTTP/1.1 {status} {phrase}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\n"
        f"{ERROR_TYPE}: {error_for_status(status).__name__}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body
