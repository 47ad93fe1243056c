"""Virtual environments for the benchmark's peers, cached under ~/.cache/inferline-bench/<peer>.

Each peer gets its own venv (never the project's .venv), installed from PyPI with pip on
first use and reused while its requirement list is unchanged (a hash of it is kept in the
venv as `.requirements`). Every venv pins the project's scikit-learn, numpy, pandas and
joblib versions, so the one fitted pipeline unpickles the same everywhere.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

CACHE = Path(os.environ.get("INFERLINE_BENCH_CACHE", Path.home() / ".cache" / "inferline-bench"))
INSTALL_SECONDS = 1800
# The fitted pipeline is a pickle: the same versions load it the same way in every venv.
PINNED = tuple(f"{name}=={metadata.version(name)}" for name in ("scikit-learn", "numpy", "joblib"))


@dataclass(frozen=True)
class Venv:
    path: Path
    install_seconds: float  # 0.0 when the cached venv was reused

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def version(self, package: str) -> str:
        script = f"from importlib import metadata; print(metadata.version({package!r}))"
        result = subprocess.run([str(self.python), "-c", script], capture_output=True, text=True)
        return result.stdout.strip() or "?"


class InstallFailed(RuntimeError):
    """pip could not build the peer's environment; the message is pip's last lines."""


def ensure(name: str, requirements: tuple[str, ...]) -> Venv:
    """The peer's venv with `requirements` (plus the pins) installed, reused if already there."""
    wanted = (*requirements, *PINNED)
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    path = CACHE / name
    marker = path / ".requirements"
    if marker.exists() and marker.read_text().strip() == digest:
        return Venv(path, 0.0)
    started = time.monotonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    log = CACHE / f"{name}.install.log"
    with log.open("w") as out:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(path)],
            [str(path / "bin" / "python"), "-m", "pip", "install", "--upgrade", "pip"],
            [str(path / "bin" / "python"), "-m", "pip", "install", *wanted],
        ]
        for step in steps:
            out.write(f"$ {' '.join(step)}\n")
            out.flush()
            try:
                code = subprocess.run(
                    step, stdout=out, stderr=subprocess.STDOUT, timeout=INSTALL_SECONDS
                ).returncode
            except subprocess.TimeoutExpired:
                message = f"pip timed out after {INSTALL_SECONDS} s (see {log})"
                raise InstallFailed(message) from None
            if code != 0:
                tail = log.read_text().strip().splitlines()[-3:]
                raise InstallFailed(f"`{' '.join(step[2:5])}` failed: {' / '.join(tail)}")
    marker.write_text(digest + "\n")
    return Venv(path, time.monotonic() - started)
