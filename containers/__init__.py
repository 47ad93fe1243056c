"""inferline's serving runtime: the HTTP-free core, the app and its server, the harness.

The public surface resolves on first use, Flask style::

    from inferline.containers import Settings, create_app

Names from `inferline.containers.core` import nothing of the web layer; only
`create_app` brings in Flask. So `import inferline.stages.sklearn`, which imports
this package on the way to `inferline.containers.core`, stays free of HTTP.
"""

from __future__ import annotations

import importlib
from typing import Any

from inferline.containers.core import __all__ as _core_names

_EXPORTS = {name: "inferline.containers.core" for name in _core_names}
_EXPORTS["create_app"] = "inferline.containers.app"


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = sorted(_EXPORTS)
