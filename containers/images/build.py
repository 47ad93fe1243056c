"""Building an image: its wheelhouse on the host, then ``docker build`` on it.

The build context of an image is ``build/images/<name>/`` holding only ``wheels/``, so
the engine receives a few dozen megabytes, not the checkout and its virtualenv::

    size = build(IMAGES["sklearn"], project_dir, base_image="inferline-base:bookworm")
"""

from __future__ import annotations

from pathlib import Path

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.images import Image, engine, wheelhouse

DOCKERFILES = "Dockerfiles"
WORKDIR = Path("build") / "images"


def build(
    image: Image, project_dir: Path, *, base_image: str | None = None, workdir: Path | None = None
) -> int:
    """Build `image` from the project's Dockerfile and wheels; return its size in bytes.

    Args:
        image: the image to build; it is tagged ``image.tag``.
        project_dir: the checkout holding setup.cfg and Dockerfiles/.
        base_image: replaces the Dockerfile's BASE_IMAGE (python:3.11-slim) when given.
        workdir: where build contexts go (default: <project_dir>/build/images).

    Raises:
        ConfigurationError: the project has no Dockerfile or extra for this image.
        BuildError: the wheelhouse cannot be built.
        EngineError: no engine answers, or docker build fails.
    """
    dockerfile = project_dir / DOCKERFILES / image.dockerfile
    if not dockerfile.is_file():
        raise ConfigurationError(
            f"{dockerfile} does not exist; is {project_dir} an inferline checkout?"
        )
    context = (workdir or project_dir / WORKDIR) / image.name
    wheelhouse.build(image, project_dir, context / "wheels")
    args: list[str | Path] = [
        "build",
        "--network",
        "host",
        "--file",
        dockerfile,
        "--tag",
        image.tag,
    ]
    if base_image:
        args += ["--build-arg", f"BASE_IMAGE={base_image}"]
    engine.run([*args, context])
    return engine.image_size(image.tag)


def project_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding setup.cfg and Dockerfiles/.

    Raises:
        ConfigurationError: `start` is not inside an inferline checkout.
    """
    for folder in (start, *start.parents):
        if (folder / "setup.cfg").is_file() and (folder / DOCKERFILES).is_dir():
            return folder
    raise ConfigurationError(
        f"{start} is not inside an inferline checkout (no setup.cfg and Dockerfiles/ above it); "
        "run from the checkout or pass --project-dir"
    )
