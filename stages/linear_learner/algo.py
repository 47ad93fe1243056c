"""A real Linear Learner model.tar.gz: `model_algo-1`, served when its graph is a regressor's.

The zip holds an MXNet Module checkpoint (see `mxnet.py`). It is served when its graph
is the one linear layer a regressor needs, ``data -> FullyConnected(fc0, num_hidden=1)
-> LinearRegressionOutput``, which computes ``score = x @ fc0_weight.T + fc0_bias`` in
float32, as MXNet's `Module.predict` does. Any other graph (a binary or multiclass
classifier's, whose threshold and output layer the file's graph alone does not settle
here) is refused, naming its operators, rather than answered with a guess.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inferline.containers.core.archive import check_zip_members
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.linear_learner.kind import ALGO_FILE
from inferline.stages.linear_learner.mxnet import parse_params

__all__ = ["ALGO_FILE", "MXNetLinearRegressor", "load_algo"]

SYMBOL = "mx-mod-symbol.json"
PARAMS = "mx-mod-0000.params"
REGRESSOR_OPS = ["FullyConnected", "LinearRegressionOutput"]


@dataclass(frozen=True)
class MXNetLinearRegressor:
    """Linear Learner's regressor, as its checkpoint's weights compute it."""

    weight: np.ndarray
    """(1, features) float32: `fc0_weight`."""
    bias: np.ndarray
    """(1,) float32: `fc0_bias` (zeros when the layer has none)."""

    @property
    def n_features_in_(self) -> int:
        return int(self.weight.shape[1])

    def predict(self, features: Any) -> np.ndarray:
        rows = np.asarray(features, dtype=np.float32)
        scores: np.ndarray = (rows @ self.weight.T + self.bias)[:, 0]
        return scores


def load_algo(model_dir: Path) -> MXNetLinearRegressor:
    """The regressor in `model_dir/model_algo-1`.

    Raises:
        ModelLoadError: not a zip of an MXNet checkpoint, or a graph other than a
            regressor's (the message names its operators).
    """
    path = model_dir / ALGO_FILE
    try:
        check_zip_members(path)  # opening lists every entry: millions would exhaust memory
        with zipfile.ZipFile(path) as archive:
            missing = [name for name in (SYMBOL, PARAMS) if name not in archive.namelist()]
            if missing:
                raise ModelLoadError(
                    f"{path} holds no {' or '.join(missing)}; a Linear Learner model_algo-1 "
                    f"is a zip of {SYMBOL} and {PARAMS}"
                )
            symbol = json.loads(archive.read(SYMBOL))
            params = parse_params(archive.read(PARAMS), f"{path}:{PARAMS}")
    except zipfile.BadZipFile:
        raise ModelLoadError(f"{path} is not a zip (a Linear Learner model_algo-1 is)") from None
    layer = _regressor_layer(symbol, path)
    weight = params.get("arg:fc0_weight")
    if weight is None or weight.ndim != 2 or weight.shape[0] != 1:
        raise ModelLoadError(f"{path}: {PARAMS} holds no (1, features) arg:fc0_weight")
    no_bias = str(layer.get("attrs", {}).get("no_bias", "False")).lower() == "true"
    bias = np.zeros(1, np.float32) if no_bias else params.get("arg:fc0_bias")
    if bias is None or bias.shape != (1,):
        raise ModelLoadError(f"{path}: {PARAMS} holds no (1,) arg:fc0_bias")
    return MXNetLinearRegressor(weight.astype(np.float32), bias.astype(np.float32))


def _regressor_layer(symbol: Any, path: Path) -> dict[str, Any]:
    """The FullyConnected node of a regressor's graph.

    Raises:
        ModelLoadError: the graph is anything else; the message names its operators.
    """
    nodes = symbol.get("nodes", []) if isinstance(symbol, dict) else []
    operators = [node for node in nodes if node.get("op") != "null"]
    names = [node.get("op") for node in operators]
    if names != REGRESSOR_OPS or operators[0].get("name") != "fc0":
        raise ModelLoadError(
            f"{path} is a Linear Learner model whose graph is {' -> '.join(map(str, names))}; "
            "inferline serves the regressor's graph (FullyConnected fc0 -> "
            "LinearRegressionOutput) only. Serve a classifier as a scikit-learn model "
            "(inferline.stages.linear_learner.save) instead"
        )
    layer: dict[str, Any] = operators[0]
    if str(layer.get("attrs", {}).get("num_hidden")) != "1":
        raise ModelLoadError(f"{path}: fc0 has {layer.get('attrs')} outputs; a regressor has 1")
    return layer
