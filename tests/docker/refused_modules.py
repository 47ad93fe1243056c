"""A pytest plugin that makes modules missing, as an image that removed them has them.

``INFERLINE_REFUSED_MODULES=scipy.stats,scipy.optimize pytest -p tests.docker.refused_modules
tests/sparkml`` runs the suite as if those packages were not installed, except for imports
made by the test modules themselves (a test may use scipy.stats for its reference values;
the image never runs tests). Imports of them by inferline, or by scipy on inferline's
behalf, raise ModuleNotFoundError.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType

import pytest

ALLOWED_IMPORTERS = "tests.sparkml"


class Refuse(importlib.abc.MetaPathFinder):
    def __init__(self, refused: set[str]) -> None:
        self.refused = refused

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        top = ".".join(fullname.split(".")[:2])
        if top in self.refused and not _imported_by_a_test():
            raise ModuleNotFoundError(f"No module named {fullname!r} (refused)", name=fullname)
        return None


def _imported_by_a_test() -> bool:
    """Whether the code that started this import is a test module of ALLOWED_IMPORTERS."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith("<frozen importlib") and "importlib" not in filename:
            name = str(frame.f_globals.get("__name__", ""))
            if name.split(".")[0] != "scipy":
                return name.startswith(ALLOWED_IMPORTERS)
        frame = frame.f_back  # type: ignore[assignment]  # None ends the walk
    return False


def pytest_configure(config: pytest.Config) -> None:
    refused = {name for name in os.environ["INFERLINE_REFUSED_MODULES"].split(",") if name}
    for name in list(sys.modules):
        if ".".join(name.split(".")[:2]) in refused:
            del sys.modules[name]
    sys.meta_path.insert(0, Refuse(refused))
    for name in refused:  # the refusal works: this module is no test
        try:
            __import__(name)
        except ModuleNotFoundError:
            continue
        raise pytest.UsageError(f"{name} could still be imported")
