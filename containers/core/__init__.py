"""The HTTP-free core every stage builds on: the invocation contract, settings, errors,
media types, codecs and model directories.

Nothing here imports Flask, gunicorn or the harness, so a stage runs as well in a
notebook, a batch worker or a Spark executor as behind the web app. The dependency
direction is the folder layout::

    containers/core  <-  stages/  <-  containers/app.py, server.py, harness/, batch/
"""

from inferline.containers.core.errors import (
    BadRequest,
    ConfigurationError,
    InferlineError,
    ModelLoadError,
    NotAcceptable,
    PayloadTooLarge,
    ServingError,
    UnprocessableEntity,
    UnsupportedMediaType,
)
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation, Stage
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings

__all__ = [
    "Answer",
    "BadRequest",
    "ConfigurationError",
    "ExecutionParameters",
    "InferlineError",
    "Invocation",
    "MediaType",
    "ModelLoadError",
    "NotAcceptable",
    "PayloadTooLarge",
    "ServingError",
    "Settings",
    "Stage",
    "UnprocessableEntity",
    "UnsupportedMediaType",
]
