"""The docker engine and the images under test, each built at most once per run.

CI (.ci/run) builds every image before the tests, so these fixtures find them; on a
machine with an engine but without an image, the image is built here (on the local
debootstrap base when running as root with debootstrap, else on python:3.11-slim).
Without an engine the docker tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from inferline.containers.images import IMAGES, engine, localbase
from inferline.containers.images.build import build

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skip (fail under CI=true) unless a docker engine answers."""
    if engine.available():
        return
    message = "no docker engine answers `docker info` (.ci/run starts one)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def image(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], str]:
    """`image("sklearn")` is the tag of inferline-sklearn, built first if the engine lacks it."""

    def tag(name: str) -> str:
        wanted = IMAGES[name]
        if not engine.image_exists(wanted.tag):
            build(wanted, PROJECT, base_image=_base(), workdir=tmp_path_factory.mktemp("images"))
        return wanted.tag

    return tag


def _base() -> str | None:
    can_bootstrap = os.geteuid() == 0 and shutil.which("debootstrap") is not None
    if can_bootstrap or engine.image_exists(localbase.TAG):
        return localbase.ensure()
    return None  # the Dockerfiles' python:3.11-slim, pulled from a registry
