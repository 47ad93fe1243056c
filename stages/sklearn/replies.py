"""An Answer from whatever a script's output_fn or transform_fn returned.

What AWS's Flask worker accepts: bytes or str; a tuple, read as ``(body, content_type)``
(the sagemaker-containers convention); a Flask/Werkzeug Response, ``worker.Response``
included, whose body, status, mimetype and headers are kept; a dict or list, answered
as Flask's ``jsonify`` writes it (sorted keys, compact, a newline at the end).
A str or bytes is labelled with the Accept it answers (AWS's Flask would call it
text/html); Content-Types are always bare, never ``; charset=utf-8``.
"""

from __future__ import annotations

import functools
from typing import Any

from inferline.containers.core.errors import ServingError
from inferline.containers.core.invocation import Answer
from inferline.containers.core.media import MediaType

__all__ = ["answer_for", "flask_json"]

_OWN_HEADERS = frozenset({"content-type", "content-length"})


def answer_for(result: Any, accept: str) -> Answer:
    """The Answer for a handler's return value `result`, which answers `accept`.

    Raises:
        ServingError: the handler returned something no web server could send.
    """
    if _is_response(result):
        mimetype = result.mimetype or accept
        headers = {
            name: value
            for name, value in result.headers.items()
            if name.lower() not in _OWN_HEADERS
        }
        return Answer(result.get_data(), _bare(mimetype), result.status_code, headers)
    if isinstance(result, tuple) and len(result) >= 2:
        body, content_type = result[0], result[1]
        return Answer(_bytes(body), _bare(str(content_type)))
    if isinstance(result, (dict, list)):
        return Answer(flask_json(result), "application/json")
    return Answer(_bytes(result), _bare(accept))


def flask_json(value: Any) -> bytes:
    """`value` as Flask's jsonify writes it outside debug mode (its own JSON provider)."""
    text = str(_flask_provider().dumps(value, separators=(",", ":")))
    return (text + "\n").encode("utf-8")


@functools.cache
def _flask_provider() -> Any:
    # Flask is imported only when a script returns a dict or list: the stage package
    # itself stays free of the web layer (tests/architecture).
    import flask

    return flask.Flask("inferline-script-json").json


def _is_response(result: Any) -> bool:
    return all(hasattr(result, name) for name in ("get_data", "mimetype", "status_code", "headers"))


def _bytes(body: Any) -> bytes:
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise ServingError(
        f"the script returned {type(body).__name__}; return bytes, str, a dict or list, "
        "a (body, content_type) pair or a Response"
    )


def _bare(content_type: str) -> str:
    return MediaType.parse(content_type).mimetype
