"""`pip install .` into a fresh venv installs one namespace, `inferline`, and all of it."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAPPED = {
    "containers": "inferline/containers",
    "stages": "inferline/stages",
    "training": "inferline/training",
}


@pytest.fixture(scope="module")
def site_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("fresh-venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(found.stdout.strip())


def test_only_the_inferline_namespace_is_installed(site_packages: Path) -> None:
    top_level = {path.name for path in site_packages.iterdir() if not path.name.endswith("-info")}
    assert "inferline" in top_level
    assert not top_level & {"containers", "stages", "training", "tests", "benchmarks"}


def test_every_source_package_is_in_the_wheel(site_packages: Path) -> None:
    for folder, installed in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            assert (site_packages / installed / relative / "__init__.py").is_file(), (
                f"{init.parent.relative_to(ROOT)} is missing from setup.cfg packages"
            )


def test_the_datasets_ship_with_their_sources(site_packages: Path) -> None:
    datasets = site_packages / "inferline" / "training" / "datasets"
    assert (datasets / "abalone" / "abalone.csv").is_file()
    assert all((folder / "SOURCE.md").is_file() for folder in datasets.iterdir() if folder.is_dir())


def test_the_console_script_is_installed(site_packages: Path) -> None:
    assert (site_packages.parents[2] / "bin" / "inferline").is_file()
