"""Flask's request context for an inference script, pushed only if the script uses it.

A script may read `flask.request` (or `session`, `g`, `current_app`, `url_for`...), as it
could inside AWS's container, so it runs in a request context. Few do, and pushing one
costs about 100 µs a request in a pipeline (docs/benchmarks.md, "Inference scripts in
Flask's request context"), 8-9 % of the three-container abalone pipeline's CPU.

`lazy_request_context` puts stand-ins into Flask's two context variables. The first use
of either (any attribute that Flask's proxies or helpers read) takes the stand-ins out
and pushes the real request context, exactly as `app.request_context(environ)` would
build it; from then on Flask's variables hold the real contexts, and the real context is
popped at the end. A script that never touches them leaves nothing to build. The two
variables are Flask's own (`flask.globals`, the same since Flask 2.2; the version is
pinned in constraints.txt), and tests/containers/test_lazy_context.py checks what a
script reads against Flask's context::

    with lazy_request_context(app, environ):
        reply = handler.invoke(body, headers)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.globals import _cv_app, _cv_request

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from flask.ctx import AppContext, RequestContext


class _Pending:
    """The request context to be: the stand-ins' tokens, and the real one once pushed."""

    def __init__(self, app: Flask, environ: WSGIEnvironment) -> None:
        self.app = app
        self.environ = environ
        self.real: RequestContext | None = None
        self.tokens: tuple[Token[AppContext], Token[RequestContext]] | None = None

    def push(self) -> RequestContext:
        if self.real is None:
            self.release()  # Flask pushes onto the variables as they were, not onto stand-ins
            real = self.app.request_context(self.environ)
            real.push()
            self.real = real
        return self.real

    def release(self) -> None:
        if self.tokens is not None:
            app_token, request_token = self.tokens
            self.tokens = None
            _cv_request.reset(request_token)
            _cv_app.reset(app_token)


class _StandIn:
    """In one of Flask's context variables until first used; then each attribute is read
    from the real context that the first use pushed into that variable."""

    def __init__(self, pending: _Pending, variable: ContextVar[Any]) -> None:
        self._pending = pending
        self._variable = variable

    def __getattr__(self, name: str) -> Any:
        self._pending.push()
        return getattr(self._variable.get(), name)


@contextmanager
def lazy_request_context(app: Flask, environ: WSGIEnvironment) -> Iterator[None]:
    """`app.request_context(environ)`, built and pushed on its first use, if any."""
    pending = _Pending(app, environ)
    app_stand_in: Any = _StandIn(pending, _cv_app)
    request_stand_in: Any = _StandIn(pending, _cv_request)
    pending.tokens = (_cv_app.set(app_stand_in), _cv_request.set(request_stand_in))
    try:
        yield
    finally:
        if pending.real is not None:
            pending.real.pop(sys.exc_info()[1])
        pending.release()
