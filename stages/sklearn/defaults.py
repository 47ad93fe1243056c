"""What a script's missing handlers do: AWS's defaults, or inferline's (a setting).

``aws`` (the default) is AWS's scikit-learn container, answer for answer: input_fn
decodes JSON, CSV or NPY to a numpy array (JSON and CSV cast to float32, one CSV row
squeezed to 1-D), predict_fn is ``model.predict``, output_fn encodes the prediction as
it is (``[2.0, 1.0]``; CSV one row per line; NPY of the prediction's own shape). The
only departures are the statuses: an unreadable Content-Type or Accept is a 415/406
and a body that does not parse a 400, each with a JSON message, where AWS's Flask
answers an HTML 500.

``inferline`` (INFERLINE_SKLEARN_SCRIPT_DEFAULTS=inferline) keeps inferline's table
codecs: named columns in, ``{"predictions": [{"prediction": 2.0}, ...]}`` out, JSON
Lines, Accept negotiation (see SklearnStage).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inferline.containers.core.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from inferline.containers.core.invocation import Answer
from inferline.stages.sklearn.compat.sagemaker_containers import content_types, encoders
from inferline.stages.sklearn.compat.sagemaker_containers.errors import (
    ClientError,
    UnsupportedFormatError,
)
from inferline.stages.sklearn.stage import call

__all__ = ["AWS", "INFERLINE", "MODES", "aws_input", "aws_output", "aws_predict"]

AWS = "aws"
INFERLINE = "inferline"
MODES = (AWS, INFERLINE)
_READABLE = ", ".join(sorted((content_types.JSON, content_types.CSV, content_types.NPY)))


def aws_input(body: str | bytes, content_type: str) -> Any:
    """The container's default_input_fn."""
    try:
        array = encoders.decode(body, content_type)
    except UnsupportedFormatError:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} has no default input_fn; send one of {_READABLE}, "
            "or define input_fn in the script"
        ) from None
    except (ClientError, ValueError) as error:
        raise BadRequest(f"cannot decode the {content_type} body: {error}") from None
    if content_type not in content_types.UTF8_TYPES:
        return array
    try:
        return array.astype(np.float32)
    except ValueError as error:
        raise BadRequest(
            f"the default input_fn reads numbers only ({error}); define input_fn for other data"
        ) from None


def aws_predict(data: Any, model: Any) -> Any:
    """The container's default_predict_fn: ``model.predict`` (its complaints are a 422)."""
    return call(model, "predict", data)


def aws_output(prediction: Any, accept: str) -> Answer:
    """The container's default_output_fn, the prediction encoded as it is."""
    try:
        encoded = encoders.encode(prediction, accept)
    except UnsupportedFormatError:
        raise NotAcceptable(
            f"Accept {accept!r} has no default output_fn; accept one of {_READABLE}, "
            "or define output_fn in the script"
        ) from None
    except (ClientError, TypeError, ValueError) as error:
        raise NotAcceptable(f"the prediction cannot be encoded as {accept}: {error}") from None
    body = encoded.encode("utf-8") if isinstance(encoded, str) else bytes(encoded)
    return Answer(body, accept)
