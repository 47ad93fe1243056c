"""The helper modules AWS's scikit-learn image ships, importable by user scripts.

Scripts written for that image import ``sagemaker_containers.beta.framework``,
``sagemaker_inference`` and ``sagemaker_training``. The last two are the maintained
PyPI packages (``inferline[sklearn]`` installs them). ``sagemaker-containers`` is not:
its last release (2.8.6.post2) pins Flask 1.1 and does not import on Python 3.10+
(``collections.Mapping``), so inferline carries its own implementation of the parts
scripts use, in ``inferline.stages.sklearn.compat.sagemaker_containers``.

Everything inferline installs lives under the ``inferline`` namespace, so that module
is not a top-level package: `install` puts a meta-path finder in front of the import
system that answers ``import sagemaker_containers...`` with inferline's module (the
same module object under both names, so ``isinstance`` and ``except`` agree). The
script stage calls it before importing a script, and ``inferline fit`` before running
one. When the real ``sagemaker_containers`` is importable it wins and nothing is aliased.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["ALIASED", "install", "installed"]

ALIASED = "sagemaker_containers"
"""The top-level name scripts import."""
TARGET = f"{__name__}.sagemaker_containers"
"""inferline's own implementation, which the alias resolves to."""


class _AliasLoader(importlib.abc.Loader):
    """Hands back inferline's module for the aliased name instead of executing anything."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        # The import system stamps the alias's spec onto the module it gets back;
        # keep the real one so inferline's own name still resolves to its file.
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._own_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``sagemaker_containers`` and its submodules in inferline's compat package."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIASED and not fullname.startswith(ALIASED + "."):
            return None
        real = TARGET + fullname[len(ALIASED) :]
        found = importlib.util.find_spec(real)
        if found is None:
            return None
        is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real), is_package=is_package)


_FINDER = _AliasFinder()


def installed() -> bool:
    """Whether ``import sagemaker_containers`` resolves to inferline's module here."""
    return _FINDER in sys.meta_path


def install() -> None:
    """Make ``sagemaker_containers`` importable, unless the real package already is.

    Idempotent. The finder goes first: the aliased package's __path__ is inferline's
    folder, and the path finder would otherwise load its submodules a second time
    under the alias's name.
    """
    if installed():
        return
    if ALIASED not in sys.modules and _real_package_present():
        return
    sys.meta_path.insert(0, _FINDER)


def _real_package_present() -> bool:
    try:
        return importlib.util.find_spec(ALIASED) is not None
    except (ImportError, ValueError):
        return False
