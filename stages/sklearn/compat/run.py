"""``python -m inferline.stages.sklearn.compat.run SCRIPT ARGS...``: run a user script as
``python SCRIPT ARGS...`` would, with ``sagemaker_containers`` importable.

`inferline fit` runs training scripts through this, so a script importing
``sagemaker_containers.beta.framework`` trains unmodified.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from inferline.stages.sklearn import compat


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m inferline.stages.sklearn.compat.run SCRIPT [ARGS...]")
    compat.install()
    script = argv[0]
    sys.argv = list(argv)
    sys.path.insert(0, str(Path(script).resolve().parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
