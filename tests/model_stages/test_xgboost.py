"""The xgboost stage speaks SageMaker's XGBoost algorithm container's wire format."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
import xgboost
from flask.testing import FlaskClient

from inferline.containers.core.codecs.recordio import frame_record
from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages import detect
from inferline.stages import load as load_stage
from inferline.stages.xgboost import XGBoostStage, load, save
from tests.model_stages.conftest import abalone_numbers, sagemaker_recordio
from tests.model_stages.conftest import post as invocations
from tests.servers import ServerProcess

Client = Callable[..., FlaskClient]
FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "xgboost-formats"
# xgboost 3.1 removed the legacy binary format (its release notes).
READS_LEGACY_BINARY = tuple(int(part) for part in xgboost.__version__.split(".")[:2]) < (3, 1)
FEATURES, RINGS, SEX = abalone_numbers()
ROW = ",".join(map(str, FEATURES[0]))
TWO_ROWS = f"{ROW}\n" + ",".join(map(str, FEATURES[1]))


def train(objective: str, labels: np.ndarray, **params: object) -> xgboost.Booster:
    data = xgboost.DMatrix(FEATURES, label=labels)
    return xgboost.train({"objective": objective, "max_depth": 3, **params}, data, 10)


@pytest.fixture(scope="module")
def regressor() -> xgboost.Booster:
    return train("reg:squarederror", RINGS)


@pytest.fixture(scope="module")
def regressor_dir(regressor: xgboost.Booster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("xgboost")
    save(regressor, model_dir)
    return model_dir


@pytest.fixture(scope="module")
def stage(regressor_dir: Path) -> XGBoostStage:
    return load(regressor_dir, Settings())


def expected(booster: xgboost.Booster, rows: np.ndarray) -> list[float]:
    predictions: list[float] = booster.predict(
        xgboost.DMatrix(rows), validate_features=False
    ).tolist()
    return predictions


def post(
    client: FlaskClient,
    body: str | bytes,
    content_type: str = "text/csv",
    accept: str | None = None,
) -> tuple[int, bytes, str]:
    """The shared `post`, with CSV (XGBoost's own input) as its default content type."""
    return invocations(client, body, content_type, accept)


def test_csv_real_time_is_one_comma_joined_line_of_python_floats(
    stage: XGBoostStage, regressor: xgboost.Booster, client: Client
) -> None:
    status, body, content_type = post(client(stage), TWO_ROWS)
    assert (status, content_type) == (200, "text/csv")
    assert body.decode() == ",".join(str(v) for v in expected(regressor, FEATURES[:2]))
    assert "\n" not in body.decode()


def test_batch_mode_writes_one_prediction_per_line(
    stage: XGBoostStage, regressor: xgboost.Booster, client: Client
) -> None:
    status, body, _ = post(client(stage, batch=True), TWO_ROWS)
    assert status == 200
    assert body.decode() == "".join(f"{v}\n" for v in expected(regressor, FEATURES[:2]))


def test_mime_parameters_are_ignored_and_json_answers_predictions(
    stage: XGBoostStage, regressor: xgboost.Booster, client: Client
) -> None:
    status, body, content_type = post(
        client(stage), TWO_ROWS, "text/csv; charset=utf-8", accept="application/json; verbose=1"
    )
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {
        "predictions": [{"score": v} for v in expected(regressor, FEATURES[:2])]
    }
    status, body, content_type = post(client(stage), TWO_ROWS, accept="application/jsonlines")
    assert content_type == "application/jsonlines"
    assert [json.loads(line)["score"] for line in body.splitlines()] == expected(
        regressor, FEATURES[:2]
    )


def test_libsvm_and_json_requests_predict_as_csv_does(stage: XGBoostStage, client: Client) -> None:
    app = client(stage)
    _, from_csv, _ = post(app, TWO_ROWS)
    libsvm = "\n".join(
        "9 " + " ".join(f"{i}:{v}" for i, v in enumerate(row)) for row in FEATURES[:2]
    )
    for content_type in ("text/libsvm", "text/x-libsvm"):
        assert post(app, libsvm, content_type) == (200, from_csv, "text/csv")
    rows = FEATURES[:2].tolist()
    bodies = {
        "application/json": [
            json.dumps({"instances": [{"features": row} for row in rows]}),
            json.dumps(rows),
            json.dumps({"instances": [{"data": {"features": {"values": row}}} for row in rows]}),
        ],
        "application/jsonlines": ["\n".join(json.dumps({"features": row}) for row in rows)],
    }
    for content_type, documents in bodies.items():
        for document in documents:
            assert post(app, document, content_type) == (200, from_csv, "text/csv")


def test_absent_libsvm_entries_and_empty_csv_fields_are_missing_values(
    stage: XGBoostStage, regressor: xgboost.Booster, client: Client
) -> None:
    row = np.array([[0.5, np.nan, np.nan, 0.2, np.nan, np.nan, np.nan]])
    want = str(expected(regressor, row)[0])
    assert want != str(expected(regressor, np.nan_to_num(row))[0])
    assert post(client(stage), "0:0.5 3:0.2", "text/libsvm")[1].decode() == want
    assert post(client(stage), "0.5,,,0.2,,,")[1].decode() == want


def test_empty_body_is_204_no_content(stage: XGBoostStage, client: Client) -> None:
    for body, content_type in [
        (b"", "text/csv"),
        (b" \n", "text/csv"),
        (b'{"instances": []}', "application/json"),
    ]:
        assert post(client(stage), body, content_type)[:2] == (204, b"")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ("M,0.4,0.3,0.1,0.5,0.2,0.1", "text/csv", 422, "row 1, feature 0: 'M'"),
        ("0.4,0.3", "text/csv", 422, "expected 7 values per row"),
        ("1 0:0.4 zero:1", "text/libsvm", 400, "is not index:value"),
        ("0:0.4 7:1.0", "text/libsvm", 422, "feature index 7 is beyond"),
        ("1 4294967295:1", "text/libsvm", 422, "index 4294967295 is beyond the model's 7 features"),
        ("0 999999999999:1", "text/x-libsvm", 422, "index 999999999999 is beyond the model's 7"),
        ('{"instances": [', "application/json", 400, "malformed JSON"),
        (ROW, "image/png", 415, "cannot read Content-Type 'image/png'"),
    ],
)
def test_bad_requests_get_json_errors_and_the_server_keeps_serving(
    stage: XGBoostStage, client: Client, body: str, content_type: str, status: int, words: str
) -> None:
    app = client(stage)
    got, answer, answer_type = post(app, body, content_type)
    assert (got, answer_type) == (status, "application/json")
    error = json.loads(answer)
    assert set(error) == {"error", "message"} and words in error["message"]
    assert post(app, ROW)[0] == 200


def test_unanswerable_accept_is_406(stage: XGBoostStage, client: Client) -> None:
    status, body, _ = post(client(stage), ROW, accept="text/libsvm")
    assert status == 406 and "text/csv" in json.loads(body)["message"]


def test_softmax_answers_class_indices_as_floats_and_softprob_vectors(
    tmp_path: Path, client: Client
) -> None:
    softmax = train("multi:softmax", SEX, num_class=3)
    save(softmax, tmp_path / "softmax")
    _, body, _ = post(client(load(tmp_path / "softmax", Settings())), TWO_ROWS)
    classes = body.decode().split(",")
    assert classes == [str(v) for v in expected(softmax, FEATURES[:2])]
    assert all(value in ("0.0", "1.0", "2.0") for value in classes)

    softprob = train("multi:softprob", SEX, num_class=3)
    save(softprob, tmp_path / "softprob")
    app = client(load(tmp_path / "softprob", Settings()))
    lines = post(app, TWO_ROWS)[1].decode().splitlines()
    probabilities = np.array([line.split(",") for line in lines], dtype=float)
    assert probabilities.shape == (2, 3)
    assert np.allclose(probabilities, softprob.predict(xgboost.DMatrix(FEATURES[:2])))
    scores = json.loads(post(app, TWO_ROWS, accept="application/json")[1])["predictions"]
    assert [len(item["score"]) for item in scores] == [3, 3]


def test_ubj_models_load_and_junk_does_not(regressor: xgboost.Booster, tmp_path: Path) -> None:
    save(regressor, tmp_path / "ubj", model_format="ubj")  # what the 3.0-5 container writes
    assert (tmp_path / "ubj" / "xgboost-model").read_bytes()[:1] == b"{"
    stage = load(tmp_path / "ubj", Settings())
    assert np.allclose(stage.predict(FEATURES[:5]), expected(regressor, FEATURES[:5]))

    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "xgboost-model").write_bytes(b"{not a model")
    with pytest.raises(ModelLoadError, match="cannot read .* does not parse as either"):
        load(tmp_path / "junk", Settings())
    (tmp_path / "junk" / "xgboost-model").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError, match="is neither JSON nor UBJ"):
        load(tmp_path / "junk", Settings())
    with pytest.raises(ModelLoadError, match="no xgboost-model"):
        load(tmp_path, Settings())


def fixture_dir(tmp_path: Path, name: str) -> Path:
    """A model directory holding the fixture `name` as its xgboost-model."""
    model_dir = tmp_path / name
    model_dir.mkdir()
    (model_dir / "xgboost-model").write_bytes((FORMATS / name).read_bytes())
    return model_dir


def test_json_written_by_an_older_xgboost_predicts_as_that_xgboost_did(tmp_path: Path) -> None:
    reference = json.loads((FORMATS / "expected.json").read_text())
    stage = load(fixture_dir(tmp_path, "model.json"), Settings())
    rows = np.array(reference["rows"], dtype=np.float32)
    assert stage.predict(rows).tolist() == reference["predictions"]


def test_pickled_boosters_of_containers_up_to_1_2_are_refused_with_how_to_convert(
    tmp_path: Path,
) -> None:
    model_dir = fixture_dir(tmp_path, "pickled")  # pkl.dump(bst) by xgboost 1.7.6
    assert (model_dir / "xgboost-model").read_bytes()[:1] == b"\x80"
    with pytest.raises(ModelLoadError) as refusal:
        load(model_dir, Settings())
    message = str(refusal.value)
    assert "pickled Booster" in message and "0.90-1 to 1.2-2" in message
    assert "save_model('xgboost-model.json')" in message
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "xgboost-model").write_bytes(pickle.dumps({"not": "a booster"}))
    with pytest.raises(ModelLoadError, match="does not unpickle"):
        load(tmp_path / "other", Settings())


def test_legacy_binary_of_containers_1_3_to_1_7_loads_only_where_xgboost_can_read_it(
    tmp_path: Path,
) -> None:
    model_dir = fixture_dir(tmp_path, "legacy-binary")  # bst.save_model() by xgboost 1.7.6
    reference = json.loads((FORMATS / "expected.json").read_text())
    if READS_LEGACY_BINARY:
        stage = load(model_dir, Settings())
        rows = np.array(reference["rows"], dtype=np.float32)
        assert stage.predict(rows).tolist() == reference["predictions"]
    else:
        with pytest.raises(ModelLoadError) as refusal:
            load(model_dir, Settings())
        message = str(refusal.value)
        assert "legacy binary format" in message and "1.3-1 to 1.7-1" in message
        assert f"xgboost {xgboost.__version__} cannot read (3.1 removed it)" in message
        assert message.startswith(f"{model_dir / 'xgboost-model'} is XGBoost's legacy binary")
        assert "pip install 'xgboost<3.1'" in message


def test_the_stage_is_detected_from_its_model_file(regressor_dir: Path) -> None:
    assert detect(regressor_dir) == "xgboost"
    assert isinstance(load_stage(None, regressor_dir, Settings()), XGBoostStage)


def test_a_real_server_answers_csv_and_batch_lines(
    regressor_dir: Path, regressor: xgboost.Booster, tmp_path: Path
) -> None:
    want = expected(regressor, FEATURES[:2])
    env = {"SAGEMAKER_BATCH": "true"}
    with ServerProcess.start(
        regressor_dir, tmp_path / "server.log", env=env, args=("--stage", "xgboost")
    ) as server:
        response = requests.post(
            server.url + "/invocations",
            data=TWO_ROWS,
            headers={"Content-Type": "text/csv"},
            timeout=10,
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv"
        assert response.text == "".join(f"{v}\n" for v in want)
        empty = requests.post(
            server.url + "/invocations", data=b"", headers={"Content-Type": "text/csv"}, timeout=10
        )
        assert empty.status_code == 204


def test_json_objects_keyed_by_feature_name_are_put_in_model_order(
    tmp_path: Path, client: Client
) -> None:
    names = ["length", "diameter", "height", "whole", "shucked", "viscera", "shell"]
    data = xgboost.DMatrix(FEATURES, RINGS, feature_names=names)
    booster = xgboost.train({"max_depth": 3}, data, 5)
    save(booster, tmp_path)
    row = dict(zip(names, FEATURES[0].tolist(), strict=True))
    shuffled = dict(reversed(list(row.items())))
    app = client(load(tmp_path, Settings()))
    _, body, _ = post(app, json.dumps([shuffled]), "application/json")
    assert body.decode() == str(expected(booster, FEATURES[:1])[0])


def test_recordio_protobuf_from_the_sagemaker_sdk_predicts_as_csv_does(
    stage: XGBoostStage, regressor: xgboost.Booster, client: Client
) -> None:
    app = client(stage)
    _, from_csv, _ = post(app, TWO_ROWS)
    for rows in (FEATURES[:2], FEATURES[:2].astype(np.float32)):
        body = sagemaker_recordio(rows)
        assert post(app, body, "application/x-recordio-protobuf") == (200, from_csv, "text/csv")
    integers = np.array([[-5, 1, 0, 2, 1, 0, 1], [12, 0, 1, 3, 0, 1, 2]], dtype=int)
    as_csv = "\n".join(",".join(map(str, row)) for row in integers.tolist())
    body = sagemaker_recordio(integers)
    assert post(app, body, "application/x-recordio-protobuf")[1] == post(app, as_csv)[1]
    # Sparse records: zeros are left out, and absent keys are missing values, as in AWS's
    # container (which builds a scipy sparse matrix from them).
    sparse = FEATURES[:2].copy()
    sparse[0, [1, 4]] = 0.0
    body = sagemaker_recordio(sparse, sparse=True)
    missing = sparse.copy()
    missing[missing == 0] = np.nan
    want = ",".join(str(v) for v in expected(regressor, missing))
    assert post(app, body, "application/x-recordio-protobuf")[1].decode() == want


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"\x00\x01\x02\x03\x04\x05\x06\x07", 400, "record 1: bad magic number"),
        (b"\x0a\x23\xd7\xce\xff\x00\x00\x00", 400, "record 1: record is longer than the body"),
    ],
)
def test_malformed_recordio_is_a_400_naming_the_record(
    stage: XGBoostStage, client: Client, body: bytes, status: int, words: str
) -> None:
    got, answer, _ = post(client(stage), body, "application/x-recordio-protobuf")
    assert got == status and words in json.loads(answer)["message"]
    huge_key = sparse_recordio(key=2**32)
    got, answer, _ = post(client(stage), huge_key, "application/x-recordio-protobuf")
    assert got == 422 and f"sparse key {2**32} is beyond the 7 features" in answer.decode()
    short = sagemaker_recordio(FEATURES[:1, :3])
    got, answer, _ = post(client(stage), short, "application/x-recordio-protobuf")
    assert got == 422 and "has 3 features, expected 7" in json.loads(answer)["message"]


def sparse_recordio(key: int) -> bytes:
    """One RecordIO record of a 7-wide sparse row with a single `key`, built with the
    SageMaker SDK's protobuf class (its writer would refuse a key past the width)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecation on import
        from sagemaker.amazon.record_pb2 import Record

    record = Record()
    tensor = record.features["values"].float32_tensor
    tensor.values.append(1.0)
    tensor.keys.append(key)
    tensor.shape.append(7)
    return frame_record(record.SerializeToString())


def test_early_stopped_boosters_predict_with_their_best_iteration(tmp_path: Path) -> None:
    data = xgboost.DMatrix(FEATURES[:300], RINGS[:300])
    held_out = xgboost.DMatrix(FEATURES[300:], RINGS[300:])
    booster = xgboost.train(
        {"max_depth": 6, "eta": 0.9},
        data,
        200,
        evals=[(held_out, "v")],
        early_stopping_rounds=3,
        verbose_eval=False,
    )
    assert booster.best_iteration < booster.num_boosted_rounds() - 1
    save(booster, tmp_path)
    stage = load(tmp_path, Settings())
    best = booster.predict(held_out, iteration_range=(0, booster.best_iteration + 1))
    assert np.array_equal(stage.predict(FEATURES[300:].astype(np.float32)), best)


BLOCKED_IMPORTS = """
import sys
from pathlib import Path

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("sklearn", "joblib", "skops", "google", "sagemaker"):
            raise ImportError(f"{name} is not in the inferline-xgboost image")

sys.meta_path.insert(0, Blocked())
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings
from inferline.stages import load

stage = load(None, Path(sys.argv[1]), Settings())
print(stage.invoke(Invocation(sys.argv[2].encode(), MediaType("text/csv"))).body.decode())
"""


def test_the_stage_needs_neither_scikit_learn_nor_protobuf(
    regressor_dir: Path, regressor: xgboost.Booster
) -> None:
    """The inferline-xgboost image installs only the xgboost extra."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORTS, str(regressor_dir), ROW],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(expected(regressor, FEATURES[:1])[0])
