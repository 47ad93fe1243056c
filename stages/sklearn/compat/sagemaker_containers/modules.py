"""``sagemaker_containers.beta.framework.modules``: importing a user module from a folder.

inferline installs and imports the served script itself; this covers scripts that
import a sibling module by folder. Downloads (s3:// URIs) are not supported here.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from inferline.stages.sklearn.compat.sagemaker_containers.errors import ImportModuleError

__all__ = ["import_module"]

DEFAULT_MODULE_NAME = "default_user_module_name"


def import_module(uri: str, name: str = DEFAULT_MODULE_NAME) -> ModuleType:
    """Import `name` from the local folder `uri`."""
    if not os.path.isdir(uri):
        raise ImportModuleError(f"{uri} is not a local folder; inferline imports only from one")
    if uri not in sys.path:
        sys.path.insert(0, uri)
    try:
        return importlib.import_module(name)
    except Exception as error:  # noqa: BLE001 - any failure of user code at import
        raise ImportModuleError(f"importing {name} from {uri} failed: {error}") from error
