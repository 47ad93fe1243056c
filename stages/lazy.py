"""Package attributes imported on first use (PEP 562), so a kind's package stays cheap.

The registry imports every kind's declaration module, and with it the kind's package;
``from inferline.stages.xgboost import XGBoostStage`` must still work. Each package
names its heavy attributes here instead of importing them at the top::

    __getattr__ = lazy(__name__, {"XGBoostStage": "inferline.stages.xgboost.stage"})

Written here rather than taken from `lazy_loader`: it is these few lines, and one more
dependency in every image is not worth them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy"]


def lazy(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` resolving each name in `exports` from the module it maps to."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return __getattr__
