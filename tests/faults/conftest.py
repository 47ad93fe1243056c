"""Shared pieces of the fault tests: process lookups and JSON files.

Echo pipelines and bounded waits come from tests/echo.py (its `echo_model` fixture is
registered in tests/conftest.py); the processes a test looks for are found by the model
folder in their command line, which is the test's own tmp_path (other suites run at
the same time).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def running(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def processes_with(text: str) -> list[int]:
    """Live (not zombie) processes whose command line holds `text`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if text in command and status != "Z" and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found
