"""Debug information out of the wheelhouse's shared libraries, before an image installs them.

Some wheels ship their C extensions with DWARF debug sections that serving never reads:
`fasttext-community` (the blazingtext stage's fastText) carries a 20 MB extension that
is 1.1 MB without them, enough to push inferline-sklearn past its size budget
(docs/images.md). After pip gathers the wheels, each `.so` of the distributions named in
`STRIPPED` that holds a ``.debug_info`` section is passed through binutils' ``strip
--strip-debug`` (symbols stay, so tracebacks and `nm` still work) and the wheel is
rewritten with its RECORD updated, so pip installs it as any other.

Only named distributions, each checked to work stripped (tests/docker/test_debuginfo.py):
libraries that auditwheel grafted into a wheel and rewrote with patchelf break when
stripped (numpy's bundled libgfortran then fails to load: "ELF load command
address/offset not page-aligned"). Done on the host because the slim base images have no
binutils; without `strip` on the host the wheels are left as they are.

Written here rather than with a wheel-repair tool: auditwheel and delocate fix library
dependencies, not debug sections, and the rewrite is a zip copy with one RECORD line
changed per library.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from inferline.containers.core.errors import BuildError

__all__ = ["strip_wheels"]

DEBUG_SECTION = b".debug_info"  # its name sits in the section-name table of any ELF that has it
STRIPPED = ("fasttext_community",)
"""Wheel file-name prefixes (distribution names, normalised) whose libraries are stripped."""


def strip_wheels(wheels: Path) -> list[str]:
    """Strip debug sections from the shared libraries of the `STRIPPED` wheels in `wheels`.

    Returns the libraries stripped, as ``wheel:member``; nothing when `strip` is missing.

    Raises:
        BuildError: `strip` fails on a library.
    """
    strip = shutil.which("strip")
    if strip is None:
        return []
    stripped: list[str] = []
    for wheel in sorted(wheels.glob("*.whl")):
        if wheel.name.split("-", 1)[0].lower() in STRIPPED:
            stripped += [f"{wheel.name}:{member}" for member in _strip_wheel(wheel, strip)]
    return stripped


def _strip_wheel(wheel: Path, strip: str) -> list[str]:
    with zipfile.ZipFile(wheel) as source:
        members = source.infolist()
        contents = {info.filename: source.read(info) for info in members}
    libraries = [
        name for name, data in contents.items() if _is_library(name) and DEBUG_SECTION in data
    ]
    if not libraries:
        return []
    for name in libraries:
        contents[name] = _strip(contents[name], strip, name)
    record = next(name for name in contents if name.endswith(".dist-info/RECORD"))
    contents[record] = _record(contents[record].decode("utf-8"), contents, libraries).encode()
    rewritten = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
        for info in members:  # same order and timestamps, so the wheel stays reproducible
            target.writestr(info, contents[info.filename], zipfile.ZIP_DEFLATED)
    rewritten.replace(wheel)
    return libraries


def _is_library(name: str) -> bool:
    return name.endswith(".so") or ".so." in name.rsplit("/", 1)[-1]


def _strip(library: bytes, strip: str, name: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="inferline-strip-") as folder:
        path = Path(folder) / "library.so"
        path.write_bytes(library)
        result = subprocess.run(
            [strip, "--strip-debug", str(path)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise BuildError(f"strip --strip-debug {name} failed:\n{result.stderr}")
        return path.read_bytes()


def _record(record: str, contents: dict[str, bytes], changed: list[str]) -> str:
    """RECORD with the hash and size of each changed file written anew (PEP 376/427)."""
    lines = []
    for line in record.splitlines():
        name = line.split(",", 1)[0]
        if name in changed:
            digest = hashlib.sha256(contents[name]).digest()
            encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
            line = f"{name},sha256={encoded},{len(contents[name])}"
        lines.append(line)
    return "\n".join(lines) + "\n"
