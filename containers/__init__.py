"""inferline's serving runtime: settings, codecs, errors, the app and its server.

The public surface is re-exported here, Flask style::

    from inferline.containers import Settings, create_app
"""

from inferline.containers.app import create_app
from inferline.containers.errors import (
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
from inferline.containers.invocation import Answer, Invocation
from inferline.containers.media import MediaType
from inferline.containers.settings import Settings

__all__ = [
    "Answer",
    "BadRequest",
    "ConfigurationError",
    "InferlineError",
    "Invocation",
    "MediaType",
    "ModelLoadError",
    "NotAcceptable",
    "PayloadTooLarge",
    "ServingError",
    "Settings",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "create_app",
]
