"""The images' entry point, `inferline`, starts with only the serving dependencies installed.

Every command module is imported to build the parser, so a module-level import of
an extra's package (the harness's urllib3, training's pyspark) would make
`docker run IMAGE serve` die before serving. This is checked here without an engine,
by hiding those packages from a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

# Packages of extras that no serving image installs (harness, training, sparkml-convert, test).
NOT_IN_IMAGES = (
    "boto3",
    "botocore",
    "urllib3",
    "requests",
    "prometheus_client",
    "pyspark",
    "pyarrow",
    "mleap",
    "moto",
    "sagemaker",
    "httpx",
)

PROBE = f"""
import importlib.abc, sys

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {NOT_IN_IMAGES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not in the images)", name=name)
        return None

sys.meta_path.insert(0, Hide())
from inferline.containers.cli import parser
parser().parse_args(["serve", "--help"])
"""


def test_the_cli_builds_without_the_extras_images_leave_out() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "usage: inferline serve" in result.stdout
