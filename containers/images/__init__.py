"""The container images inferline builds, one per family of stages.

Each image is ``Dockerfiles/<name>.Dockerfile`` built on a context that holds only a
wheelhouse of ``inferline[<extras>]`` (see ``wheelhouse.py``), so an image carries the
runtime dependencies of its stages and nothing else::

    image = IMAGES["sklearn"]
    image.tag         # "inferline-sklearn:latest"
    image.dockerfile  # "sklearn.Dockerfile"
    image.stages      # ("blazingtext", "linear-learner", "sklearn")

There is no list of stages here: each stage kind names the image it ships in and the
extra it needs (`inferline.stages.Kind`), and the catalogue gathers them. So a kind
registered later lands in its image's stage list without an edit here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inferline.containers.core.errors import ConfigurationError
from inferline.stages import Kind, kinds

ALL = "all"


@dataclass(frozen=True)
class Image:
    """One serving image: its short name, the extras it installs, and the stages it serves."""

    name: str
    extras: tuple[str, ...]
    stages: tuple[str, ...]

    @property
    def repository(self) -> str:
        return f"inferline-{self.name}"

    @property
    def tag(self) -> str:
        return f"{self.repository}:latest"

    @property
    def dockerfile(self) -> str:
        return f"{self.name}.Dockerfile"

    @property
    def default_stage(self) -> str | None:
        """The stage the image serves with no INFERLINE_STAGE: its only one, else detected."""
        return self.stages[0] if len(self.stages) == 1 else None


def catalogue(registered: Mapping[str, Kind]) -> dict[str, Image]:
    """One image per image name the kinds declare, sorted by name; each serves its kinds
    (in detection order) and installs their extras."""
    images: dict[str, Image] = {}
    for name in sorted({kind.image for kind in registered.values()}):
        members = [kind for kind in registered.values() if kind.image == name]
        extras = dict.fromkeys(kind.extra for kind in members if kind.extra)
        images[name] = Image(name, tuple(extras), tuple(kind.name for kind in members))
    return images


# sklearn, sparkml and xgboost today; linear-learner and blazingtext declare the sklearn
# image (scikit-learn models, and the numpy and fastText their own artefacts need).
IMAGES: dict[str, Image] = catalogue(kinds())


def select(names: Iterable[str]) -> list[Image]:
    """The images named (``all`` means every one), in catalogue order.

    Raises:
        ConfigurationError: a name is not an image; the message lists the choices.
    """
    wanted = set(names) or {ALL}
    unknown = wanted - set(IMAGES) - {ALL}
    if unknown:
        raise ConfigurationError(
            f"unknown image {', '.join(sorted(unknown))}; choose from {', '.join(IMAGES)} or all"
        )
    return [image for name, image in IMAGES.items() if ALL in wanted or name in wanted]


# An inferline image in any registry, with any tag or digest: ECR/inferline-xgboost:1.0.
IMAGE_NAME = re.compile(r"(?:.*/)?inferline-(?P<name>[a-z0-9-]+?)(?::[^/]*)?(?:@.*)?$")


def for_image(image: str) -> Image | None:
    """The catalogue entry an image name refers to, or None for another vendor's image."""
    match = IMAGE_NAME.fullmatch(image)
    return IMAGES.get(match.group("name")) if match else None
