"""The dependency direction, core <- stages <- (web app, harness, batch), holds.

Each import runs in a fresh interpreter, so nothing imported by another test hides
a leak: a stage kind or the codecs must load without the web stack or the harness.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# werkzeug itself is allowed: the core parses Content-Type and Accept with its header
# parsers (werkzeug's package init imports its serving module, which starts nothing).
HTTP_LAYER = ("flask", "gunicorn", "inferline.containers.app", "inferline.containers.harness")
HTTP_FREE = [
    "inferline.containers.core",
    "inferline.containers.core.codecs",
    "inferline.stages",
    "inferline.stages.sklearn",
    "inferline.stages.sparkml",
    "inferline.stages.xgboost",
    "inferline.stages.linear_learner",
    "inferline.stages.blazingtext",
]


def loaded_after(module: str) -> set[str]:
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(output))


@pytest.mark.parametrize("module", HTTP_FREE)
def test_module_imports_no_http_layer(module: str) -> None:
    loaded = loaded_after(module)
    leaked = sorted(name for name in HTTP_LAYER if name in loaded)
    assert module in loaded
    assert leaked == [], f"importing {module} loads {leaked}"


def test_the_probe_sees_the_web_layer_when_it_is_imported() -> None:
    """The check above can fail: importing the app does bring in Flask."""
    assert "flask" in loaded_after("inferline.containers.app")
