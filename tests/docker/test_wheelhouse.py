"""The wheelhouse an image installs from holds the versions the tests ran with: every wheel
at its pin in constraints.txt. Built on the host with pip, as `inferline build` does first;
no docker engine needed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.images import IMAGES, wheelhouse
from tests.docker.conftest import PROJECT
from tests.packaging import constraints
from tests.packaging.closure import pulled_in

# The smallest image: its server's dependencies and scipy. pandas has no cap there, so
# without the pins pip would take the newest pandas rather than the training extra's <3.
IMAGE = IMAGES["sparkml"]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("context") / "wheels"
    wheelhouse.build(IMAGE, PROJECT, folder)
    return folder


def versions_in(wheels: Path) -> dict[str, str]:
    found = {}
    for wheel in wheels.glob("*.whl"):
        name, version = wheel.name.split("-")[:2]  # {name}-{version}-...whl, neither with "-"
        found[constraints.canonical(name)] = version
    return found


def test_every_wheel_is_at_its_pin(wheels: Path) -> None:
    pins = constraints.read(PROJECT / "constraints.txt")
    found = versions_in(wheels)
    assert found.pop("inferline") == "0.1.0"
    assert {name: version for name, version in found.items() if pins.get(name) != version} == {}
    assert found["pandas"] == pins["pandas"]  # the pin, not the newest release


def test_the_wheelhouse_holds_what_the_extras_pull_in_and_requirements_pins_it(
    wheels: Path,
) -> None:
    found = versions_in(wheels)
    assert found == pulled_in("inferline", IMAGE.extras)  # same versions as .venv, no more
    lines = (wheels / wheelhouse.REQUIREMENTS).read_text().splitlines()
    extras = ",".join(IMAGE.extras)
    expected = [
        f"inferline[{extras}]=={version}" if name == "inferline" else f"{name}=={version}"
        for name, version in sorted(found.items())
    ]
    assert lines == expected


def test_a_project_without_constraints_is_refused(tmp_path: Path) -> None:
    shutil.copy(PROJECT / "setup.cfg", tmp_path)
    refused = r"constraints\.txt does not exist.*make constraints"
    with pytest.raises(ConfigurationError, match=refused):
        wheelhouse.build(IMAGE, tmp_path, tmp_path / "wheels")
    assert not (tmp_path / "wheels").exists()  # refused before pip ran
