"""SageMaker-style inference scripts, as the AWS scikit-learn container runs them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from inferline.containers.core.codecs import CSV, JSON
from inferline.containers.core.errors import BadRequest, ModelLoadError, NotAcceptable
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings
from inferline.stages import load
from inferline.stages.sklearn import ScriptStage, artifact
from tests import abalone

# The seed example's featurizer (CONTRACTS.md §5.1): CSV in, Linear Learner JSON out.
FEATURIZER = """
import json
import os
from io import StringIO

import joblib
import pandas as pd
from flask import Response

COLUMNS = ["sex", "length", "diameter", "height", "whole_weight",
           "shucked_weight", "viscera_weight", "shell_weight"]


def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))


def input_fn(input_data, content_type):
    if content_type != "text/csv":
        raise ValueError(f"{content_type} not supported by script!")
    frame = pd.read_csv(StringIO(input_data), header=None)
    if len(frame.columns) != len(COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} columns, got {len(frame.columns)}")
    frame.columns = COLUMNS
    return frame


def predict_fn(input_data, model):
    return model.transform(input_data)


def output_fn(prediction, accept):
    if accept == "application/json":
        instances = [{"features": row.tolist()} for row in prediction]
        return Response(json.dumps({"instances": instances}), mimetype=accept)
    if accept == "text/csv":
        return "\\n".join(",".join(str(v) for v in row) for row in prediction), "text/csv"
    raise ValueError(f"{accept} accept type is not supported by this script.")
"""


@pytest.fixture(scope="module")
def script_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("script")
    artifact.save(abalone.featurizer(), model_dir)
    (model_dir / "code").mkdir()
    (model_dir / "code" / "featurizer.py").write_text(FEATURIZER)
    return model_dir


@pytest.fixture(scope="module")
def stage(script_dir: Path) -> ScriptStage:
    loaded = load(None, script_dir, Settings(program="featurizer.py"))
    assert isinstance(loaded, ScriptStage)
    return loaded


def call(stage: ScriptStage, body: str, content_type: str = CSV, accept: str | None = None):  # type: ignore[no-untyped-def]
    accepted = (MediaType.parse(accept),) if accept else ()
    return stage.invoke(Invocation(body.encode(), MediaType.parse(content_type), accepted))


def test_the_seed_featurizer_emits_linear_learner_json(stage: ScriptStage) -> None:
    answer = call(stage, abalone.SAMPLE, "text/csv; charset=utf-8")
    assert answer.content_type == JSON
    instances = json.loads(answer.body)["instances"]
    assert len(instances) == 1 and len(instances[0]["features"]) == 10


def test_output_fn_may_return_a_body_and_content_type_pair(stage: ScriptStage) -> None:
    answer = call(stage, abalone.SAMPLE + "\n" + abalone.SAMPLE, accept=CSV)
    assert answer.content_type == CSV
    assert len(answer.body.decode().splitlines()) == 2


def test_a_value_error_in_input_fn_is_the_clients_400(stage: ScriptStage) -> None:
    with pytest.raises(BadRequest, match="application/json not supported"):
        call(stage, "[]", JSON)


def test_a_value_error_in_output_fn_is_406(stage: ScriptStage) -> None:
    with pytest.raises(NotAcceptable, match="image/png"):
        call(stage, abalone.SAMPLE, accept="image/png")


def write_script(model_dir: Path, source: str) -> None:
    (model_dir / "code").mkdir(exist_ok=True)
    (model_dir / "code" / "inference.py").write_text(textwrap.dedent(source))


def test_transform_fn_alone_and_default_hooks(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        def model_fn(model_dir):
            return "model"

        def transform_fn(model, body, content_type, accept):
            return f"{model}:{content_type}:{accept}:{body}"
    """,
    )
    stage = load(None, tmp_path, Settings())
    answer = call(stage, "x", CSV, accept="text/plain")  # type: ignore[arg-type]
    assert answer.body == b"model:text/csv:text/plain:x"
    assert answer.content_type == "text/plain"


def test_transform_fn_with_other_hooks_is_refused(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        def model_fn(model_dir): return None
        def input_fn(body, content_type): return body
        def transform_fn(model, body, content_type, accept): return body
    """,
    )
    with pytest.raises(ModelLoadError, match="transform_fn together with input_fn"):
        load(None, tmp_path, Settings())


def test_model_fn_is_required_and_the_script_must_exist(tmp_path: Path) -> None:
    write_script(tmp_path, "def predict_fn(data, model): return data\n")
    with pytest.raises(ModelLoadError, match="must define model_fn"):
        load(None, tmp_path, Settings())
    with pytest.raises(ModelLoadError, match="'missing.py' not found"):
        load(None, tmp_path, Settings(program="missing.py"))


def test_inferline_defaults_decode_named_columns_behind_their_setting(tmp_path: Path) -> None:
    artifact.save(abalone.featurizer(), tmp_path)
    write_script(
        tmp_path,
        """
        import os, joblib
        def model_fn(model_dir):
            return joblib.load(os.path.join(model_dir, "model.joblib"))
    """,
    )
    inferline = Settings.from_env({"INFERLINE_SKLEARN_SCRIPT_DEFAULTS": "inferline"})
    stage = load(None, tmp_path, inferline)
    answer = call(stage, abalone.SAMPLE, accept=CSV)  # type: ignore[arg-type]
    assert len(answer.body.decode().strip().split(",")) == 10
    # AWS's default input_fn reads numbers only: the categorical sex column is a 400.
    with pytest.raises(BadRequest, match="could not convert string to float"):
        call(load(None, tmp_path, Settings()), abalone.SAMPLE, accept=CSV)  # type: ignore[arg-type]


def test_execution_parameters_fn_overrides_the_defaults(tmp_path: Path) -> None:
    write_script(
        tmp_path,
        """
        def model_fn(model_dir): return None
        def execution_parameters_fn():
            return {"BatchStrategy": "SINGLE_RECORD"}
    """,
    )
    stage = load(None, tmp_path, Settings())
    defaults = {"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}
    assert stage.execution_parameters(defaults)["BatchStrategy"] == "SINGLE_RECORD"  # type: ignore[arg-type]
