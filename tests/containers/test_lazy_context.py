"""`lazy_request_context`: Flask's request context for a script, built only on first use,
and then the same as `app.request_context(environ)` for everything a script may read."""

from __future__ import annotations

from typing import Any

import flask
import pytest
from werkzeug.test import EnvironBuilder

from inferline.containers.lazycontext import lazy_request_context


def _app() -> tuple[flask.Flask, list[BaseException | None]]:
    app = flask.Flask("lazy")
    app.secret_key = "not a secret"
    teardowns: list[BaseException | None] = []

    @app.post("/invocations")
    def invocations() -> str:
        return ""

    @app.teardown_request
    def torn_down(error: BaseException | None) -> None:
        teardowns.append(error)

    return app, teardowns


def _environ() -> dict[str, Any]:
    return EnvironBuilder(
        path="/invocations",
        method="POST",
        data=b"1,2,3",
        headers=[("Content-Type", "text/csv"), ("X-Amzn-SageMaker-Custom-Attributes", "a=1")],
    ).get_environ()


def _what_a_script_reads() -> tuple[object, ...]:
    flask.g.seen = "yes"
    flask.session["visits"] = 1
    return (
        flask.has_request_context(),
        flask.has_app_context(),
        flask.request.method,
        flask.request.path,
        flask.request.headers["X-Amzn-SageMaker-Custom-Attributes"],
        flask.request.get_data(),
        flask.request.content_type,
        flask.request.url_rule.rule if flask.request.url_rule else None,
        flask.request.endpoint,
        flask.current_app.name,
        flask.g.seen,
        dict(flask.session),
        flask.url_for("invocations"),
    )


def test_a_script_that_never_looks_builds_nothing() -> None:
    app, teardowns = _app()
    with lazy_request_context(app, _environ()):
        assert flask.has_request_context() and flask.has_app_context()  # as in AWS's view
    assert teardowns == []  # no request context was pushed, so none was torn down
    assert not flask.has_request_context() and not flask.has_app_context()


def test_what_a_script_reads_is_what_flask_s_own_context_gives() -> None:
    app, teardowns = _app()
    with app.request_context(_environ()):
        expected = _what_a_script_reads()
    with lazy_request_context(app, _environ()):
        assert _what_a_script_reads() == expected
    assert teardowns == [None, None]
    assert not flask.has_request_context() and not flask.has_app_context()


def test_current_app_first_pushes_the_request_context_too() -> None:
    app, teardowns = _app()
    with lazy_request_context(app, _environ()):
        assert flask.current_app.name == "lazy"
        assert flask.request.get_data() == b"1,2,3"
    assert teardowns == [None]


def test_an_exception_reaches_the_teardown_and_leaves_no_context() -> None:
    app, teardowns = _app()
    failure = ValueError("the script failed")
    with pytest.raises(ValueError), lazy_request_context(app, _environ()):
        assert flask.request.method == "POST"
        raise failure
    assert teardowns == [failure]
    assert not flask.has_request_context() and not flask.has_app_context()
    with pytest.raises(ValueError), lazy_request_context(app, _environ()):
        raise ValueError("before any use")
    assert teardowns == [failure]
    assert not flask.has_request_context() and not flask.has_app_context()


def test_an_outer_application_context_is_current_again_after() -> None:
    app, teardowns = _app()
    with app.app_context():
        outer = flask.current_app._get_current_object()  # type: ignore[attr-defined]
        outer_g = flask.g._get_current_object()
        with lazy_request_context(app, _environ()):
            assert flask.request.path == "/invocations"
            assert flask.g._get_current_object() is outer_g
        assert flask.current_app._get_current_object() is outer  # type: ignore[attr-defined]
        assert flask.g._get_current_object() is outer_g
        assert not flask.has_request_context()
    assert teardowns == [None]
