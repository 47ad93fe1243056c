"""Bundles written by the `mleap` PyPI package from scikit-learn load and reproduce
scikit-learn's outputs (directories, and the zips `init=True` writes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from inferline.stages.sparkml.bundle import load_bundle

WRITER = Path(__file__).with_name("mleap_writer.py")
NAMES = [
    "standard_scaler",
    "min_max_scaler",
    "logistic_regression",
    "decision_tree",
    "random_forest",
]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("mleap-sklearn")
    subprocess.run([sys.executable, str(WRITER), str(target)], check=True, timeout=120)
    return target


@pytest.mark.parametrize("name", NAMES)
def test_sklearn_bundle_reproduces_sklearn(written: Path, name: str) -> None:
    data = pd.read_csv(written / "data.csv")
    frame = {"a": data["a"].to_numpy(), "b": data["b"].to_numpy()}
    expected = np.load(written / f"{name}.npy")
    for path in (written / name, written / f"{name}.zip"):
        out = load_bundle(path).transform(frame)["out"]
        assert np.allclose(np.asarray(out).reshape(expected.shape), expected), path
