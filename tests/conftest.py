"""Shared fixtures: a clean environment for every test, and real servers on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

PREFIXES = ("SAGEMAKER_", "SM_", "INFERLINE_")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A developer's shell must not leak SageMaker or inferline settings into tests."""
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)
    yield
