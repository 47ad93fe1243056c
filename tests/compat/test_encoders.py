"""inferline's sagemaker_containers stand-in, pinned to the real package's behaviour.

The expectations are AWS's own: sagemaker-containers' functional tests
(``test/functional/test_transformer_implementation.py``: squares as CSV
``"36.0\\n81.0\\n1764.0\\n"``) and the scikit-learn container's unit tests
(``test/unit/test_serving.py``: ``np.ones((2, 2))`` as ``"1.0,1.0\\n1.0,1.0\\n"``),
plus byte equality with the maintained sagemaker-inference encoder on numeric arrays.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import flask
import numpy as np
import pytest
from sagemaker_inference import encoder as toolkit_encoder

from inferline.stages.sklearn import compat

compat.install()

from sagemaker_containers.beta.framework import (  # noqa: E402 - after the alias is installed
    content_types,
    encoders,
    env,
    errors,
    modules,
    transformer,
    worker,
)

ARRAYS = [
    np.array([36.0, 81.0, 1764.0]),
    np.ones((2, 2)),
    np.array([[0.1, -2.5e-7, 3.0], [1e20, 0.0, -1.0]]),
    np.array([1.5, 2.25], dtype=np.float32),
    np.array([[1, 2], [3, 4]]),
]


def test_the_alias_is_inferlines_module_under_both_names() -> None:
    import sagemaker_containers
    import sagemaker_containers.encoders

    from inferline.stages.sklearn.compat.sagemaker_containers import encoders as own

    assert sagemaker_containers.encoders is own is encoders
    assert own.__spec__ is not None and own.__spec__.name.startswith("inferline.")
    compat.install()
    assert sys.meta_path.count(compat._FINDER) == 1


def test_aws_test_expectations_for_csv() -> None:
    squares = np.array([36.0, 81.0, 1764.0])
    assert encoders.encode(squares, content_types.CSV) == "36.0\n81.0\n1764.0\n"
    assert encoders.encode(np.ones((2, 2)), content_types.CSV) == "1.0,1.0\n1.0,1.0\n"
    assert encoders.array_to_csv([[1, 2], [3, 4]]) == "1,2\n3,4\n"


@pytest.mark.parametrize("array", ARRAYS, ids=lambda array: f"{array.dtype}{array.shape}")
@pytest.mark.parametrize("content_type", [content_types.JSON, content_types.CSV, content_types.NPY])
def test_encoding_equals_the_inference_toolkits(array: np.ndarray, content_type: str) -> None:
    assert encoders.encode(array, content_type) == toolkit_encoder.encode(array, content_type)


def test_json_is_json_dumps_with_arrays_as_lists() -> None:
    assert encoders.encode(np.array([2.0, 1.0]), content_types.JSON) == "[2.0, 1.0]"
    assert encoders.array_to_json({"a": np.arange(2)}) == '{"a": [0, 1]}'
    with pytest.raises(TypeError):
        encoders.array_to_json(object())


def test_csv_decoding_squeezes_and_casts_numbers() -> None:
    table = encoders.decode("1,2\n3,4", content_types.CSV)
    assert table.dtype == np.float64 and table.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert encoders.decode("1,2", content_types.CSV).shape == (2,)
    words = encoders.csv_to_numpy("a,b\nc,d")
    assert words.tolist() == [["a", "b"], ["c", "d"]]
    with pytest.raises(errors.ClientError, match="dtype is"):
        encoders.csv_to_numpy("a,b", dtype=np.float32)
    with pytest.raises(errors.ClientError, match="decoding csv"):
        encoders.csv_to_numpy("1,2\n3")


def test_json_and_npy_decode_to_arrays_and_npy_never_unpickles() -> None:
    assert encoders.decode("[[1, 2]]", content_types.JSON).tolist() == [[1, 2]]
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3.0))
    assert encoders.decode(buffer.getvalue(), content_types.NPY).tolist() == [0.0, 1.0, 2.0]
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(errors.ClientError, match="npy"):
        encoders.decode(pickled.getvalue(), content_types.NPY)


def test_an_unknown_content_type_is_unsupported_by_name() -> None:
    with pytest.raises(errors.UnsupportedFormatError, match="text/plain is not supported"):
        encoders.decode("x", "text/plain")
    with pytest.raises(errors.UnsupportedFormatError) as raised:
        encoders.encode([1], "application/x-parquet")
    assert raised.value.content_type == "application/x-parquet"
    assert "implement input_fn" in raised.value.message


def test_content_types_are_the_real_packages_strings() -> None:
    assert (content_types.JSON, content_types.CSV, content_types.NPY) == (
        "application/json",
        "text/csv",
        "application/x-npy",
    )
    assert content_types.ANY == "*/*"
    assert content_types.UTF8_TYPES == ["application/json", "text/csv"]


def test_worker_response_defaults_to_json_and_deprecates_accept() -> None:
    response = worker.Response("[1]")
    assert isinstance(response, flask.Response)
    assert response.mimetype == "application/json" and response.status_code == 200
    with pytest.warns(DeprecationWarning, match="accept"):
        csv_response = worker.Response("1\n", "text/csv", mimetype="text/csv")
    assert csv_response.mimetype == "text/csv" and csv_response.get_data() == b"1\n"
    assert worker.Response(b"", status=204).status_code == 204


def test_worker_request_reads_sagemakers_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    app = flask.Flask("probe")
    with app.test_request_context("/invocations", method="POST", data=b"1,2"):
        request = worker.Request()
        assert request.content_type == "application/json"
        assert request.accept == "application/json"
    monkeypatch.setenv("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "text/csv")
    headers = {"ContentType": "text/csv", "Accept": "*/*"}
    with app.test_request_context("/invocations", method="POST", data=b"1,2", headers=headers):
        request = worker.Request()
        assert request.content_type == "text/csv"
        assert request.accept == "text/csv"
        assert request.content == "1,2"


def test_serving_env_reads_the_serving_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_PROGRAM", "inference.py")
    monkeypatch.setenv("SAGEMAKER_SUBMIT_DIRECTORY", "/opt/ml/model/code")
    serving = env.ServingEnv()
    assert serving.module_name == "inference"
    assert serving.module_dir == "/opt/ml/model/code"
    assert serving.default_accept == "application/json"


def test_transformer_defaults_and_modules(tmp_path: Path) -> None:
    with pytest.raises(NotImplementedError, match="model_fn"):
        transformer.default_model_fn(str(tmp_path))
    response = transformer.default_output_fn(np.array([1.0]), "text/csv")
    assert response.get_data() == b"1.0\n" and response.mimetype == "text/csv"
    (tmp_path / "helper_for_compat.py").write_text("ANSWER = 42\n")
    assert modules.import_module(str(tmp_path), "helper_for_compat").ANSWER == 42
    with pytest.raises(errors.ImportModuleError):
        modules.import_module("s3://bucket/sourcedir.tar.gz", "x")


def test_the_maintained_toolkits_import_where_inferline_runs(tmp_path: Path) -> None:
    """sagemaker-inference and sagemaker-training install and import on this Python."""
    probe = (
        "from sagemaker_inference import content_types, decoder, default_inference_handler, "
        "encoder, errors\n"
        "from sagemaker_training import environment\n"
        "import json; print(json.dumps({'model_dir': environment.model_dir, "
        "'csv': encoder.encode([[1.0, 2.0]], content_types.CSV)}))\n"
    )
    base = tmp_path / "ml"
    (base / "input" / "config").mkdir(parents=True)
    environ = {**os.environ, "SAGEMAKER_BASE_DIR": str(base)}
    output = subprocess.run(
        [sys.executable, "-c", probe], env=environ, capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(output.strip().splitlines()[-1])
    assert found == {"model_dir": str(base / "model"), "csv": "1.0,2.0\n"}
