"""The container images inferline builds, one per family of stages.

Each image is ``Dockerfiles/<name>.Dockerfile`` built on a context that holds only a
wheelhouse of ``inferline[<extras>]`` (see ``wheelhouse.py``), so an image carries the
runtime dependencies of its stages and nothing else::

    image = IMAGES["sklearn"]
    image.tag         # "inferline-sklearn:latest"
    image.dockerfile  # "sklearn.Dockerfile"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inferline.containers.core.errors import ConfigurationError

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


IMAGES: dict[str, Image] = {
    image.name: image
    for image in (
        # linear-learner and blazingtext are scikit-learn-backed: they need nothing more.
        Image("sklearn", ("sklearn",), ("sklearn", "linear-learner", "blazingtext")),
        # MLeap bundles run on numpy and scipy: no JVM, no pyspark.
        Image("sparkml", ("sparkml",), ("sparkml",)),
        Image("xgboost", ("xgboost",), ("xgboost",)),
    )
}


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
