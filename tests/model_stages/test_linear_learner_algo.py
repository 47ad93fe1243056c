"""A real Linear Learner artefact (`model_algo-1`, an MXNet checkpoint) is read with numpy:
the regressor is served with MXNet's own predictions, anything else refused by name."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
from flask.testing import FlaskClient

from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages import detect
from inferline.stages.linear_learner import LinearLearnerStage, load
from inferline.stages.linear_learner.algo import MXNetLinearRegressor
from inferline.stages.linear_learner.mxnet import read_params
from tests.servers import ServerProcess

Client = Callable[..., FlaskClient]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "linear-learner"
REFERENCE = json.loads((FIXTURES / "expected.json").read_text())
ROWS = np.array(REFERENCE["rows"], dtype=np.float32)


def model_dir_with(tmp_path: Path, fixture: str) -> Path:
    """A model directory as a Linear Learner model.tar.gz unpacks: one `model_algo-1`."""
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    shutil.copy(FIXTURES / fixture, model_dir / "model_algo-1")
    return model_dir


def test_params_files_written_by_mxnet_read_back_exactly(tmp_path: Path) -> None:
    with zipfile.ZipFile(FIXTURES / "model_algo-1") as archive:
        assert sorted(archive.namelist()) == ["mx-mod-0000.params", "mx-mod-symbol.json"]
        archive.extract("mx-mod-0000.params", tmp_path)
    params = read_params(tmp_path / "mx-mod-0000.params")
    assert sorted(params) == ["arg:fc0_bias", "arg:fc0_weight"]
    assert params["arg:fc0_weight"].dtype == np.float32
    assert params["arg:fc0_weight"].tolist() == REFERENCE["fc0_weight"]
    assert params["arg:fc0_bias"].tolist() == REFERENCE["fc0_bias"]
    dtypes = read_params(FIXTURES / "dtypes.params")
    assert dtypes["f64"].dtype == np.float64 and dtypes["f64"].tolist() == [[1.0, 2.5]]
    assert dtypes["i32"].dtype == np.int32 and dtypes["i32"].tolist() == [3, -4]
    assert dtypes["f16"].dtype == np.float16 and dtypes["f16"].tolist() == [0.5]
    assert dtypes["i64"].dtype == np.int64 and dtypes["i64"].tolist() == [2**40]
    assert {
        name: array.tolist() for name, array in read_params(FIXTURES / "list.params").items()
    } == {"0": [1.0, 2.0]}


def test_a_regressor_is_detected_and_predicts_as_mxnet_did(tmp_path: Path) -> None:
    model_dir = model_dir_with(tmp_path, "model_algo-1")
    assert detect(model_dir) == "linear-learner"
    stage = load(model_dir, Settings())
    assert isinstance(stage, LinearLearnerStage)
    assert isinstance(stage.estimator, MXNetLinearRegressor)
    assert stage.estimator.n_features_in_ == 3
    np.testing.assert_allclose(stage.estimator.predict(ROWS), REFERENCE["predictions"], rtol=1e-6)


def test_linear_learner_json_answers_from_the_real_artefact(tmp_path: Path, client: Client) -> None:
    stage = load(model_dir_with(tmp_path, "model_algo-1"), Settings())
    body = json.dumps({"instances": [{"features": row} for row in ROWS.tolist()]})
    response = client(stage).post(
        "/invocations", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    scores = [item["score"] for item in response.get_json()["predictions"]]
    np.testing.assert_allclose(scores, REFERENCE["predictions"], rtol=1e-6)
    wrong = client(stage).post(
        "/invocations", data="1.0,2.0\n", headers={"Content-Type": "text/csv"}
    )
    assert wrong.status_code == 422


def test_a_classifier_graph_is_refused_naming_its_operators(tmp_path: Path) -> None:
    model_dir = model_dir_with(tmp_path, "classifier_algo-1")
    assert detect(model_dir) == "linear-learner"
    with pytest.raises(ModelLoadError) as refusal:
        load(model_dir, Settings())
    message = str(refusal.value)
    assert "FullyConnected -> LogisticRegressionOutput" in message
    assert "serves the regressor's graph" in message


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04 but not really a zip", "is not a zip"),
        (None, "holds no mx-mod-symbol.json or mx-mod-0000.params"),
    ],
)
def test_broken_model_algo_files_are_refused_by_name(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    if content is None:
        with zipfile.ZipFile(model_dir / "model_algo-1", "w") as archive:
            archive.writestr("manifest.json", "{}")
    else:
        (model_dir / "model_algo-1").write_bytes(content)
    with pytest.raises(ModelLoadError, match=words):
        load(model_dir, Settings())


def test_a_truncated_params_file_names_where_it_ends(tmp_path: Path) -> None:
    raw = (FIXTURES / "dtypes.params").read_bytes()
    (tmp_path / "cut.params").write_bytes(raw[:40])
    with pytest.raises(ModelLoadError, match="cut.params ends early at byte"):
        read_params(tmp_path / "cut.params")
    (tmp_path / "other.params").write_bytes(b"\x00" * 32)
    with pytest.raises(ModelLoadError, match="not an MXNet NDArray file"):
        read_params(tmp_path / "other.params")


def test_a_real_server_serves_the_model_tar_gz(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:  # as Linear Learner's training job writes it
        tar.add(FIXTURES / "model_algo-1", arcname="model_algo-1")
    with ServerProcess.start(archive, tmp_path / "server.log") as server:
        response = requests.post(
            server.url + "/invocations",
            data="\n".join(",".join(map(str, row)) for row in ROWS.tolist()),
            headers={"Content-Type": "text/csv", "Accept": "application/json"},
            timeout=10,
        )
        assert response.status_code == 200
        scores = [item["score"] for item in response.json()["predictions"]]
        np.testing.assert_allclose(scores, REFERENCE["predictions"], rtol=1e-6)
