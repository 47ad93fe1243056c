"""constraints.txt pins exactly what inferline's requirements pull into .venv, at the
installed versions, and satisfies every requirement of setup.cfg; the Makefile installs
from it. A failure here means the pins drifted: `make constraints` brings them back."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging import constraints
from tests.packaging.closure import extras_of, pulled_in

ROOT = Path(__file__).resolve().parents[2]


def setup_cfg_requirements() -> dict[str, list[Requirement]]:
    """install_requires and every extra of setup.cfg, but inferline's own extras."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    sections = {"install_requires": config["options"]["install_requires"]}
    sections.update(config["options.extras_require"])
    found: dict[str, list[Requirement]] = {}
    for section, text in sections.items():
        lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
        requirements = [Requirement(line) for line in lines if line]
        found[section] = [r for r in requirements if canonicalize_name(r.name) != "inferline"]
    return found


def test_the_file_is_what_make_constraints_writes() -> None:
    text = constraints.FILE.read_text()
    assert text == constraints.render(constraints.read())  # header, sorted, canonical, exact


def test_every_distribution_the_requirements_pull_in_is_pinned_at_its_installed_version() -> None:
    pins = constraints.read()
    versions = pulled_in("inferline", extras_of("inferline"))
    del versions["inferline"]

    drifted = {
        name: f"installed {version}, pinned {pins.get(name, 'nowhere')}"
        for name, version in versions.items()
        if pins.get(name) != version
    }
    assert not drifted, f"constraints.txt is not .venv (make constraints): {drifted}"
    stale = sorted(set(pins) - set(versions))
    assert not stale, f"pinned, but no requirement pulls them in: {stale}"


def test_every_requirement_of_setup_cfg_is_satisfied_by_its_pin() -> None:
    pins = constraints.read()
    sections = setup_cfg_requirements()
    unmet = []
    for section, requirements in sections.items():
        for requirement in requirements:
            pin = pins.get(canonicalize_name(requirement.name))
            if pin is None or not requirement.specifier.contains(pin, prereleases=True):
                unmet.append(f"[{section}] {requirement}: pinned {pin or 'nowhere'}")
    assert not unmet
    # Not vacuous: the dependencies and every extra were read, the training extra's cap too.
    assert {"install_requires", "sklearn", "training", "dev"} <= set(sections)
    training = {canonicalize_name(r.name): r for r in sections["training"]}
    assert "3.0" not in training["pandas"].specifier


def test_the_report_writer_pins_what_pip_would_install_but_the_project() -> None:
    report = {
        "install": [
            {"metadata": {"name": "inferline", "version": "0.1.0"}},
            {"metadata": {"name": "PyYAML", "version": "6.0.4"}},
            {"metadata": {"name": "jaraco.functools", "version": "4.6.0"}},
            {"metadata": {"name": "Flask", "version": "3.1.3"}},
        ]
    }
    text = constraints.render(constraints.from_report(report))
    assert text == constraints.HEADER + "flask==3.1.3\njaraco-functools==4.6.0\npyyaml==6.0.4\n"


def test_a_line_that_is_not_an_exact_pin_is_refused(tmp_path: Path) -> None:
    loose = tmp_path / "constraints.txt"
    loose.write_text("# header\nflask==3.1.3\nnumpy>=2\n")
    with pytest.raises(ValueError, match=r"constraints.txt:3: 'numpy>=2' is not name==version"):
        constraints.read(loose)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_installs_with_the_constraints_and_again_when_they_change(tmp_path: Path) -> None:
    # The real Makefile in a folder of its own, its install stamp newer than its inputs.
    shutil.copy(ROOT / "Makefile", tmp_path)
    for name in ("setup.cfg", "pyproject.toml", "constraints.txt"):
        (tmp_path / name).write_text("")
    stamp = tmp_path / ".venv" / ".installed"
    stamp.parent.mkdir()
    stamp.write_text("")
    os.utime(stamp, (2_000_000_000, 2_000_000_000))

    def dry_run() -> str:
        return subprocess.run(
            ["make", "-n", ".venv/.installed"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    assert "pip install" not in dry_run()  # up to date
    os.utime(tmp_path / "constraints.txt", (2_000_000_100, 2_000_000_100))
    installs = [line for line in dry_run().splitlines() if "pip install" in line]
    assert len(installs) == 2
    assert all("-c constraints.txt" in line for line in installs)
    assert installs[-1].endswith("-e '.[dev]'")
