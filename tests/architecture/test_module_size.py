"""No module of the package grows past what one reader holds in mind (600 lines)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("containers", "stages", "training")
MAX_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    }
    assert len(sizes) > 50  # the walk found the package
    assert {path: lines for path, lines in sizes.items() if lines > MAX_LINES} == {}
