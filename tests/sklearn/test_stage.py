from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.preprocessing import StandardScaler

from inferline.containers.core.codecs import JSON
from inferline.containers.core.errors import ConfigurationError, ModelLoadError, UnprocessableEntity
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings
from inferline.stages import detect, load
from inferline.stages.sklearn import SklearnStage, artifact
from tests import abalone


def invoke_csv(stage: object, body: str, accept: str = "text/csv") -> bytes:
    invocation = Invocation(body.encode(), MediaType("text/csv"), (MediaType.parse(accept),))
    return stage.invoke(invocation).body  # type: ignore[attr-defined]


def test_featurizer_transforms_one_row_and_thousands(featurizer_dir: Path) -> None:
    stage = load(None, featurizer_dir, Settings())
    assert isinstance(stage, SklearnStage) and stage.method == "transform"
    assert len(invoke_csv(stage, abalone.SAMPLE).decode().split(",")) == 10
    rows = abalone.frame()[abalone.FEATURES].to_csv(header=False, index=False)
    lines = invoke_csv(stage, rows).decode().splitlines()
    assert len(lines) == 4177
    expected = abalone.featurizer().transform(abalone.frame()[abalone.FEATURES])
    assert np.allclose(np.array([line.split(",") for line in lines], dtype=float), expected)


def test_predictors_predict_and_the_method_can_be_chosen(tmp_path: Path) -> None:
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    artifact.save(model, tmp_path)
    assert load(None, tmp_path, Settings()).method == "predict"  # type: ignore[attr-defined]
    proba = load(None, tmp_path, Settings.from_env({"INFERLINE_SKLEARN_METHOD": "predict_proba"}))
    body = invoke_csv(proba, "3.0,0.0", accept=JSON)
    assert body.startswith(b'{"predictions":[{"0":') and b'"1":' in body
    with pytest.raises(ConfigurationError, match="no such method"):
        load(None, tmp_path, Settings.from_env({"INFERLINE_SKLEARN_METHOD": "explode"}))


def test_estimators_fitted_on_arrays_take_positional_columns(tmp_path: Path) -> None:
    model = LinearRegression().fit(np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]), [1.0, 2.0, 5.0])
    artifact.save(model, tmp_path)
    stage = load(None, tmp_path, Settings())
    assert float(invoke_csv(stage, "2.0,2.0")) == pytest.approx(5.0)


def test_skops_models_load_with_the_trusted_type_check(tmp_path: Path) -> None:
    artifact.save(StandardScaler().fit([[0.0], [2.0]]), tmp_path, name="model.skops")
    stage = load(None, tmp_path, Settings())
    assert invoke_csv(stage, "2.0") == b"1.0\n"


def square(values: np.ndarray) -> np.ndarray:
    return values * values


def test_skops_models_with_untrusted_types_are_refused(tmp_path: Path) -> None:
    from sklearn.preprocessing import FunctionTransformer

    artifact.save(FunctionTransformer(square).fit([[1.0]]), tmp_path, name="model.skops")
    with pytest.raises(ModelLoadError, match="does not trust"):
        load(None, tmp_path, Settings())


def test_missing_named_columns_are_422(featurizer_dir: Path) -> None:
    stage = load(None, featurizer_dir, Settings())
    invocation = Invocation(b'[{"sex": "M"}]', MediaType(JSON))
    with pytest.raises(UnprocessableEntity, match="missing input columns: length"):
        stage.invoke(invocation)


def test_detection_reads_the_model_directory(tmp_path: Path) -> None:
    for name, kind in [
        ("bundle.json", "sparkml"),
        ("xgboost-model", "xgboost"),
        ("m.pkl", "sklearn"),
    ]:
        folder = tmp_path / kind
        folder.mkdir()
        (folder / name).write_text("")
        assert detect(folder) == kind
    with pytest.raises(ModelLoadError, match="--stage"):
        detect(tmp_path)


def test_several_estimator_files_are_ambiguous(tmp_path: Path) -> None:
    for name in ("a.joblib", "b.pkl"):
        artifact.save(StandardScaler().fit([[0.0]]), tmp_path, name=name)
    with pytest.raises(ModelLoadError, match="several estimator files"):
        load(None, tmp_path, Settings())
