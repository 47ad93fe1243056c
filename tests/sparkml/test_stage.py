"""The Spark ML stage through the real Flask app: the AWS SparkML wire contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from inferline.containers.app import create_app
from inferline.containers.core.errors import ConfigurationError, ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages import load
from tests.servers import ServerProcess
from tests.sparkml import examples

CAR_ROW = "low,low,5more,more,big,high"
# buying=low [1,0,0] maint=low [1,0,0] doors=5more [0,0,0] persons=more [0,0]
# lug_boot=big [0,0] safety=high [0,0]
CAR_FEATURES = "1.0,0.0,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0"


def client(model_dir: Path, **env: str):
    settings = Settings.from_env(env)
    app = create_app(load("sparkml", model_dir, settings), settings)
    return app.test_client()


@pytest.fixture(scope="module")
def car_dir(tmp_path_factory):
    return examples.car_preprocessor(tmp_path_factory.mktemp("car") / "model")


@pytest.fixture(scope="module")
def car(car_dir):
    return client(car_dir, SAGEMAKER_SPARKML_SCHEMA=json.dumps(examples.CAR_SCHEMA))


def post(app, body, content_type="text/csv", accept=None):
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    data = (
        body
        if isinstance(body, bytes)
        else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    return app.post("/invocations", data=data, headers=headers)


def test_csv_row_gives_the_dense_feature_line(car):
    response = post(car, CAR_ROW)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv"
    assert response.data.decode() == CAR_FEATURES


def test_each_csv_line_is_a_row(car):
    response = post(car, f"{CAR_ROW}\nhigh,med,2,4,small,low\n")
    lines = response.data.decode().split("\n")
    assert lines[0] == CAR_FEATURES
    assert lines[1] == "0.0,0.0,1.0,0.0,1.0,0.0,1.0,0.0,0.0,0.0,1.0,1.0,0.0,1.0,0.0"


def test_json_one_row_many_rows_and_json_out(car):
    one = post(car, {"data": CAR_ROW.split(",")}, "application/json")
    assert one.data.decode() == CAR_FEATURES
    many = post(
        car,
        {"data": [CAR_ROW.split(","), CAR_ROW.split(",")]},
        "application/json",
        accept="application/json",
    )
    assert many.headers["Content-Type"] == "application/json"
    assert many.json == {"predictions": [[float(v) for v in CAR_FEATURES.split(",")]] * 2}


def test_jsonlines_in_and_out(car):
    body = "\n".join(json.dumps({"data": CAR_ROW.split(",")}) for _ in range(2))
    response = post(car, body, "application/jsonlines", accept="application/jsonlines")
    assert response.headers["Content-Type"] == "application/jsonlines"
    assert response.data.decode().split("\n") == [f'{{"features":[{CAR_FEATURES}]}}'] * 2


def test_request_schema_overrides_and_reorders(car):
    reordered = {
        "input": list(reversed(examples.CAR_SCHEMA["input"])),
        "output": examples.CAR_SCHEMA["output"],
    }
    row = list(reversed(CAR_ROW.split(",")))
    response = post(car, {"schema": reordered, "data": row}, "application/json")
    assert response.data.decode() == CAR_FEATURES
    first_line_schema = (
        json.dumps({"schema": reordered, "data": row}) + "\n" + json.dumps({"data": row})
    )
    lines = post(car, first_line_schema, "application/jsonlines").data.decode().split("\n")
    assert lines == [CAR_FEATURES, CAR_FEATURES]


def test_schema_json_in_the_model_directory(tmp_path):
    model = examples.car_postprocessor(tmp_path / "post")
    (model / "schema.json").write_text(json.dumps(examples.POST_SCHEMA))
    app = client(model)
    assert post(app, "2.0").data == b"good"
    assert post(app, "3.0\n0.0", accept="application/jsonlines").data == b"vgood\nunacc"
    assert post(app, {"data": [1.0]}, "application/json", accept="application/json").json == {
        "predictions": ["acc"]
    }


def test_environment_schema_wins_over_schema_json(tmp_path):
    model = examples.car_postprocessor(tmp_path / "post")
    wrong = {
        "input": [{"name": "label", "type": "double"}],
        "output": {"name": "nope", "type": "string"},
    }
    (model / "schema.json").write_text(json.dumps(wrong))
    app = client(model, SAGEMAKER_SPARKML_SCHEMA=json.dumps(examples.POST_SCHEMA))
    assert post(app, "0.0").data == b"unacc"


def test_no_schema_anywhere_is_a_400_until_the_request_brings_one(tmp_path):
    app = client(examples.car_postprocessor(tmp_path / "post"))
    response = post(app, "1.0")
    assert response.status_code == 400
    assert response.json["message"] == (
        "Input schema has to be provided either via environment variable, schema.json "
        "or the request"
    )
    with_schema = post(app, {"schema": examples.POST_SCHEMA, "data": [1.0]}, "application/json")
    assert with_schema.data == b"acc"


def test_tokenizer_as_text_jsonlines(tmp_path):
    app = client(
        examples.tokenizer(tmp_path / "tok"),
        SAGEMAKER_SPARKML_SCHEMA=json.dumps(examples.TOKENIZER_SCHEMA),
        SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/jsonlines;data=text",
    )
    response = post(app, "Berwick Secondary College is a school")
    assert response.headers["Content-Type"] == "application/jsonlines"
    assert json.loads(response.data) == {"source": "berwick secondary college is a school"}
    assert post(app, "Hello World", accept="text/csv").data == b"hello,world"
    assert post(
        app, {"data": ["A b"]}, "application/json", accept="application/jsonlines"
    ).data == (b'{"features":["a","b"]}')


@pytest.mark.parametrize(
    ("body", "content_type", "status", "named"),
    [
        ("low,low,5more", "text/csv", 400, "row 1 has 3 fields"),
        ("cheap,low,5more,more,big,high", "text/csv", 422, "'buying': unseen label 'cheap'"),
        ('{"rows": []}', "application/json", 400, '{"data": [...]}'),
        ("{not json", "application/json", 400, "not valid JSON"),
        ("", "text/csv", 400, "empty"),
    ],
)
def test_bad_requests_are_named_and_the_server_keeps_serving(
    car, body, content_type, status, named
):
    response = post(car, body, content_type)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert named in response.json["message"]
    assert post(car, CAR_ROW).data.decode() == CAR_FEATURES


def test_value_that_does_not_cast_names_column_and_value(tmp_path):
    app = client(
        examples.car_postprocessor(tmp_path / "post"),
        SAGEMAKER_SPARKML_SCHEMA=json.dumps(examples.POST_SCHEMA),
    )
    response = post(app, "abc")
    assert response.status_code == 422
    assert "'label'" in response.json["message"] and "'abc'" in response.json["message"]
    unseen = post(app, "9.0")
    assert unseen.status_code == 422 and "unseen index 9.0" in unseen.json["message"]


def test_media_type_errors(car):
    assert post(car, CAR_ROW, "text/plain").status_code == 415
    assert post(car, CAR_ROW, accept="application/x-npy").status_code == 406


def test_execution_parameters_are_multi_record(car):
    response = car.get("/execution-parameters")
    assert response.json["BatchStrategy"] == "MULTI_RECORD"
    assert response.json["MaxPayloadInMB"] == 6


def test_bad_configuration_fails_at_load(tmp_path, car_dir):
    with pytest.raises(ConfigurationError, match="SAGEMAKER_SPARKML_SCHEMA"):
        load("sparkml", car_dir, Settings.from_env({"SAGEMAKER_SPARKML_SCHEMA": "{oops"}))
    missing = {
        "input": [{"name": "buying", "type": "string"}],
        "output": examples.CAR_SCHEMA["output"],
    }
    schema = {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(missing)}
    with pytest.raises(ModelLoadError, match="'maint'"):
        load("sparkml", car_dir, Settings.from_env(schema))
    bad_output = {**examples.CAR_SCHEMA, "output": {"name": "nope", "type": "double"}}
    schema = {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(bad_output)}
    with pytest.raises(ModelLoadError, match="'nope'"):
        load("sparkml", car_dir, Settings.from_env(schema))


def test_real_server_serves_a_model_tar_gz(tmp_path, car_dir):
    import tarfile

    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in car_dir.iterdir():
            tar.add(path, path.name)
    env = {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(examples.CAR_SCHEMA)}
    with ServerProcess.start(
        archive, tmp_path / "server.log", env=env, args=("--stage", "sparkml")
    ) as server:
        response = requests.post(
            server.url + "/invocations",
            data=CAR_ROW,
            headers={"Content-Type": "text/csv"},
            timeout=10,
        )
        assert response.status_code == 200, server.output()
        assert response.headers["Content-Type"] == "text/csv"
        assert response.text == CAR_FEATURES
        bad = requests.post(
            server.url + "/invocations",
            data="x,y",
            timeout=10,
            headers={"Content-Type": "text/csv"},
        )
        assert bad.status_code == 400 and bad.json()["error"] == "BadRequest"


def test_json_stays_valid_when_the_schema_calls_text_a_double(tmp_path):
    wrong_type = {**examples.POST_SCHEMA, "output": {"name": "cat", "type": "double"}}
    app = client(
        examples.car_postprocessor(tmp_path / "post"),
        SAGEMAKER_SPARKML_SCHEMA=json.dumps(wrong_type),
    )
    response = post(app, "1.0", accept="application/json")
    assert response.json == {"predictions": ["acc"]}


def test_numbers_are_written_as_java_does(tmp_path):
    from tests.sparkml.bundles import double, node, string, write_bundle

    times_one = node(
        "math_binary",
        {"operation": string("mul"), "db": double(1.0)},
        {"input_a": "x"},
        {"output": "y"},
    )
    model = write_bundle(tmp_path / "m", [times_one])
    schema = {"input": [{"name": "x", "type": "double"}], "output": {"name": "y", "type": "double"}}
    app = client(model, SAGEMAKER_SPARKML_SCHEMA=json.dumps(schema))
    body = "1e25\n0.00001\n0.001\n1234567\n12345678\n-0.5\nNaN\n-Infinity"
    expected = "1.0E25\n1.0E-5\n0.001\n1234567.0\n1.2345678E7\n-0.5\nNaN\n-Infinity"
    assert post(app, body).data.decode() == expected
    schema["output"]["type"] = "long"
    app = client(model, SAGEMAKER_SPARKML_SCHEMA=json.dumps(schema))
    assert post(app, "5").data == b"5"


def test_vector_and_array_inputs_from_json(tmp_path):
    from tests.sparkml.bundles import double, node, tensor, write_bundle

    model = write_bundle(
        tmp_path / "lr",
        [
            node(
                "linear_regression",
                {"coefficients": tensor([1.0, 10.0]), "intercept": double(0.5)},
                {"features": "v"},
                {"prediction": "p"},
            )
        ],
    )
    schema = {
        "input": [{"name": "v", "type": "double", "struct": "vector"}],
        "output": {"name": "p", "type": "double"},
    }
    app = client(model, SAGEMAKER_SPARKML_SCHEMA=json.dumps(schema))
    assert post(app, {"data": [[1.0, 2.0]]}, "application/json").data == b"21.5"
    assert post(app, {"data": [[[1.0, 2.0]], [[0.0, 1.0]]]}, "application/json").data == (
        b"21.5\n10.5"
    )
    bad = post(app, {"data": [[[1.0, 2.0]], [[0.0, "x"]]]}, "application/json")
    assert bad.status_code == 422
    assert "'v' (row 2): 'x'" in bad.json["message"]


def test_abalone_featurizer_mixes_one_hot_and_numbers(tmp_path):
    from tests.sparkml.bundles import write_bundle
    from tests.sparkml.test_bundle import abalone_nodes

    nodes = abalone_nodes()[:3]  # StringIndexer, OneHotEncoder, VectorAssembler
    schema = {
        "input": [
            {"name": "sex", "type": "string"},
            {"name": "length", "type": "double"},
            {"name": "diameter", "type": "double"},
        ],
        "output": {"name": "features", "type": "double", "struct": "vector"},
    }
    app = client(
        write_bundle(tmp_path / "abalone", nodes), SAGEMAKER_SPARKML_SCHEMA=json.dumps(schema)
    )
    assert post(app, "F,0.515,0.425\nI,0.0,0.3").data == b"1.0,0.0,0.515,0.425\n0.0,0.0,0.0,0.3"
    assert (
        post(
            app, {"data": ["M", 0.5, 1e-5]}, "application/json", accept="application/jsonlines"
        ).data
        == b'{"features":[0.0,1.0,0.5,1.0E-5]}'
    )


def test_media_type_errors_are_the_table_stages_own(car):
    """The Spark ML wire codecs sit in the shared registry: same 415 and 406 messages."""
    unreadable = post(car, CAR_ROW, "text/plain")
    assert (unreadable.status_code, unreadable.json["error"]) == (415, "UnsupportedMediaType")
    assert unreadable.json["message"] == (
        "cannot read Content-Type 'text/plain'; "
        "send one of text/csv, application/json, application/jsonlines"
    )
    unwritable = post(car, CAR_ROW, accept="application/x-npy")
    assert (unwritable.status_code, unwritable.json["error"]) == (406, "NotAcceptable")
    assert unwritable.json["message"] == (
        "cannot produce Accept 'application/x-npy'; "
        "this stage produces application/json, application/jsonlines, text/csv"
    )
    assert post(car, CAR_ROW).data.decode() == CAR_FEATURES
