from __future__ import annotations

from pathlib import Path

import pytest

from inferline.stages.sklearn import artifact
from tests import abalone


@pytest.fixture(scope="module")
def featurizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("featurizer")
    artifact.save(abalone.featurizer(), model_dir)
    return model_dir
