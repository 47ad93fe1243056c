"""constraints.txt, the one pinned set of inferline's dependencies: reading it, and writing
it from pip's resolution report, which is how `make constraints` makes it::

    python tests/packaging/constraints.py build/constraints/report.json > constraints.txt

Standard library only: `make constraints` runs this in a throwaway venv that holds pip alone.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PROJECT = "inferline"
FILE = Path(__file__).resolve().parents[2] / "constraints.txt"
HEADER = """\
# Every distribution that inferline's requirements (setup.cfg: install_requires and every
# extra) resolve to, each pinned. `make test`, `make demo` and the image wheelhouses
# (`inferline build`) all install with `-c constraints.txt`: what is tested is what ships.
# Written by `make constraints`: pip's resolution of '.[dev]' in a throwaway venv, for
# CPython 3.11 on x86_64 Linux, keeping the pins already here (`make constraints UPGRADE=1`
# resolves them all afresh). tests/packaging/test_constraints.py checks it against .venv.
"""
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;=]+)")


def canonical(name: str) -> str:
    """PEP 503's form of a distribution name (packaging's canonicalize_name, which this
    venv-less script cannot import)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read(path: Path = FILE) -> dict[str, str]:
    """The pins of a constraints file, by canonical name.

    Raises:
        ValueError: a line is not ``name==version``, or a name is pinned twice.
    """
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = PIN.fullmatch(text)
        if match is None:
            raise ValueError(f"{path}:{number}: {text!r} is not name==version")
        name = canonical(match["name"])
        if name in pins:
            raise ValueError(f"{path}:{number}: {name} is pinned twice")
        pins[name] = match["version"]
    return pins


def from_report(report: Mapping[str, Any]) -> dict[str, str]:
    """Every distribution a pip installation report (``pip install --report``) would install,
    but the project itself."""
    pins: dict[str, str] = {}
    for item in report["install"]:
        name = canonical(item["metadata"]["name"])
        if name != PROJECT:
            pins[name] = item["metadata"]["version"]
    return pins


def render(pins: Mapping[str, str]) -> str:
    """The text of constraints.txt: the header, then one ``name==version`` a line, sorted."""
    return HEADER + "".join(f"{name}=={pins[name]}\n" for name in sorted(pins))


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(f"usage: {argv[0]} REPORT.json  (prints constraints.txt)\n")
        return 2
    report = json.loads(Path(argv[1]).read_text())
    sys.stdout.write(render(from_report(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
