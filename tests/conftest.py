"""Shared test setup.

No fixture cleans SAGEMAKER_/SM_/INFERLINE_ variables out of the environment: the
suite must be right whatever the developer's shell holds. In-process settings tests
pass their environment explicitly (`Settings.from_env({...})`), test servers are
started with the variables they need, and the harness strips the shell's own from
every container (tests/harness/test_promises.py proves it).

Each example pipeline is trained once per test run, into a session temp folder, on
first use (`trained`): the training, batch and control-plane suites all share it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from inferline.training import examples
from inferline.training.examples import Trained
from tests.echo import echo_model  # noqa: F401 - fixture for the harness and fault suites
from tests.s3 import moto_s3_url  # noqa: F401 - fixture: one moto S3 server per session


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Trained]:
    cache: dict[str, Trained] = {}

    def get(name: str) -> Trained:
        if name not in cache:
            cache[name] = examples.train(name, tmp_path_factory.mktemp(name))
        return cache[name]

    return get


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """The root logger as it was before each test: a command run in-process (for one,
    `inferline transform`'s basicConfig) binds a handler to the test's captured stderr,
    which is closed after it; py4j's logging at exit then failed on it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
