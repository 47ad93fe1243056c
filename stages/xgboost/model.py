"""The booster artefact: `xgboost-model` in the model directory, JSON or UBJ.

SageMaker's XGBoost algorithm writes its model as a file named `xgboost-model`, with no
suffix to tell the format; which format depends on the container version
(`aws/sagemaker-xgboost-container`, `algorithm_mode/train.py` on each version's branch):

- 0.90-1, 0.90-2, 1.0-1, 1.2-1, 1.2-2 (xgboost 0.90, 1.0, 1.2): a pickled `Booster`
  (`pkl.dump`). Refused, with how to convert it.
- 1.3-1, 1.5-1, 1.7-1 (xgboost 1.3, 1.5, 1.7): the legacy binary format
  (`bst.save_model(path)` on a suffix-less path; the file starts with ``binf``). Loaded
  where the installed xgboost reads it (before 3.1), else refused with how to convert.
- 3.0-5 (xgboost 3.0): UBJ (`save_model` with no suffix). Served.

JSON (`save_model("....json")`, as `save` writes) is served too. We read the bytes and
let XGBoost tell JSON from UBJ (`load_model` on a suffix-less path would guess UBJ and
fail on JSON). Pickles are refused, not loaded: unpickling runs whatever code the file
names, and a one-line conversion, done once where the file is trusted, removes the
question (xgboost 3.2 unpickles the 1.7 Booster in tests/fixtures/xgboost-formats, with a
warning that it should have been saved with `save_model`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import xgboost

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.xgboost.kind import MODEL_FILE

__all__ = ["MODEL_FILE", "load_booster", "save"]

PICKLE_START = b"\x80"  # the PROTO opcode that opens every pickle of protocol 2 or later
JSON_OR_UBJ_START = b"{"  # a JSON object and a UBJSON object both open with it

PICKLED = (
    "{path} is a pickled Booster, as SageMaker's XGBoost 0.90-1 to 1.2-2 write it; "
    "inferline does not unpickle (it can run any code). Convert it once, where you trust "
    "the file, with an xgboost that reads it (the one that wrote it; 1.0 or later for "
    "JSON): pickle.load(open('xgboost-model', 'rb')).save_model('xgboost-model.json'), "
    "then rename xgboost-model.json to xgboost-model"
)
LEGACY_BINARY_START = b"binf"
LEGACY_BINARY = (
    "{path} is {what}XGBoost's legacy binary format, as SageMaker's "
    "XGBoost 1.3-1 to 1.7-1 write it, which xgboost {version} cannot read (3.1 removed "
    "it). Convert it with an older xgboost (pip install 'xgboost<3.1'): "
    "xgboost.Booster(model_file='xgboost-model').save_model('xgboost-model.json'), then "
    "rename xgboost-model.json to xgboost-model ({error})"
)


def load_booster(model_dir: Path) -> xgboost.Booster:
    """The booster saved in `model_dir`.

    Raises:
        ModelLoadError: no `xgboost-model`, or XGBoost cannot read it (the message says why
            and how to convert it).
    """
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(f"no {MODEL_FILE} file in {model_dir}")
    raw = path.read_bytes()
    if raw.startswith(PICKLE_START):
        raise ModelLoadError(PICKLED.format(path=path))
    booster = xgboost.Booster()
    try:
        # A bytearray is read as a model in memory (JSON, UBJ, or legacy binary where the
        # installed xgboost still reads it); a path would be judged by its suffix.
        booster.load_model(bytearray(raw))
    except xgboost.core.XGBoostError as error:
        first_line = str(error).splitlines()[0]
        if not raw.startswith(JSON_OR_UBJ_START):
            raise ModelLoadError(
                LEGACY_BINARY.format(
                    path=path,
                    what="" if raw.startswith(LEGACY_BINARY_START) else "neither JSON nor UBJ: ",
                    version=xgboost.__version__,
                    error=first_line,
                )
            ) from None
        raise ModelLoadError(
            f"xgboost {xgboost.__version__} cannot read {path} ({first_line}); "
            "it starts as JSON or UBJ would but does not parse as either"
        ) from None
    # One thread per prediction: gunicorn runs a worker per core already (as AWS's
    # container does), and more threads per worker would only contend for them.
    booster.set_param("nthread", "1")
    return booster


def save(
    booster: xgboost.Booster, model_dir: Path, model_format: Literal["json", "ubj"] = "json"
) -> Path:
    """Write `booster` as `model_dir/xgboost-model` in `model_format` (JSON by default)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    path.write_bytes(bytes(booster.save_raw(raw_format=model_format)))
    return path
