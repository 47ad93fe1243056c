"""How a script reaches the container: code/, SAGEMAKER_SUBMIT_DIRECTORY (a folder, a
sourcedir.tar.gz, an s3:// URL), SAGEMAKER_PROGRAM; its requirements.txt; its imports.

As AWS's container tests deliver it (CONTRACTS.md §3.4): SAGEMAKER_PROGRAM names the
script, SAGEMAKER_SUBMIT_DIRECTORY a tarball, and the model directory has no code/.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from inferline.containers.core import archive
from inferline.containers.core.container import ContainerHandler
from inferline.containers.core.errors import ModelLoadError, StartupError
from inferline.containers.core.settings import Settings
from inferline.stages import load
from inferline.stages.sklearn import ScriptStage
from tests.s3 import s3_on_moto
from tests.servers import ServerProcess

# The model is a plain .npy of weights: nothing an estimator detector recognises, so
# only SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY can choose the sklearn stage.
WEIGHTS_SCRIPT = """
import os
import numpy as np

class Weights:
    def __init__(self, weights):
        self.weights = weights
    def predict(self, rows):
        return rows @ self.weights

def model_fn(model_dir):
    return Weights(np.load(os.path.join(model_dir, "weights.npy")))
"""

HELPERS_SCRIPT = (
    WEIGHTS_SCRIPT
    + """
from sagemaker_containers.beta.framework import (
    content_types, encoders, env, modules, transformer, worker)
from sagemaker_inference import content_types as toolkit_types, decoder, default_inference_handler
from sagemaker_inference import encoder, errors
from sagemaker_training import environment

def input_fn(input_data, content_type):
    if content_type != content_types.CSV:
        raise errors.UnsupportedFormatError(content_type)
    return decoder.decode(input_data, toolkit_types.CSV).reshape(-1, 2)

def output_fn(prediction, accept):
    body = {"scores": encoder.encode(prediction, toolkit_types.JSON),
            "serving_accept": env.ServingEnv().default_accept,
            "toolkit": environment.Environment.__name__}
    return worker.Response(encoders.encode(body, accept), mimetype=accept)
"""
)

STATUS_SCRIPT = (
    WEIGHTS_SCRIPT
    + """
from sagemaker_inference import errors

def input_fn(input_data, content_type):
    raise errors.GenericInferenceToolkitError(422, "rows must be positive")
"""
)


def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir(parents=True)
    np.save(folder / "weights.npy", np.array([2.0, -1.0]))
    return folder


def sourcedir(tmp_path: Path, script: str = WEIGHTS_SCRIPT, name: str = "serve_weights.py") -> Path:
    """sourcedir.tar.gz as the SDK uploads it: the script at the archive's root."""
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / name).write_text(script)
    return archive.write(source, tmp_path / "sourcedir.tar.gz")


def stage_for(model: Path, **environ: str) -> ScriptStage:
    stage = load(None, model, Settings.from_env(environ))
    assert isinstance(stage, ScriptStage)
    return stage


def answer(stage: ScriptStage, body: bytes = b"1,2\n3,1") -> bytes:
    reply = ContainerHandler(stage, Settings()).invoke(body, {"Content-Type": "text/csv"})
    assert reply.status == 200, reply.body
    return reply.body


def test_a_tarball_submit_directory_with_no_code_folder_is_served(tmp_path: Path) -> None:
    model, tarball = model_dir(tmp_path), sourcedir(tmp_path)
    environ = {"SAGEMAKER_PROGRAM": "serve_weights.py", "SAGEMAKER_SUBMIT_DIRECTORY": str(tarball)}
    with ServerProcess.start(model, tmp_path / "server.log", env=environ) as server:
        response = requests.post(
            server.url + "/invocations",
            data=b"1,2\n3,1",
            headers={"Content-Type": "text/csv", "Accept": "*/*"},
            timeout=30,
        )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b"[0.0, 5.0]"


@pytest.mark.parametrize("form", ["folder", "file-url", "program-without-py"])
def test_other_submit_directory_forms(tmp_path: Path, form: str) -> None:
    model, tarball = model_dir(tmp_path), sourcedir(tmp_path)
    environ = {"SAGEMAKER_PROGRAM": "serve_weights.py"}
    if form == "folder":
        environ["SAGEMAKER_SUBMIT_DIRECTORY"] = str(tmp_path / "source")
    elif form == "file-url":
        environ["SAGEMAKER_SUBMIT_DIRECTORY"] = tarball.as_uri()
    else:
        environ = {"SAGEMAKER_PROGRAM": "serve_weights", "SAGEMAKER_SUBMIT_DIRECTORY": str(tarball)}
    assert answer(stage_for(model, **environ)) == b"[0.0, 5.0]"


def test_opt_ml_model_code_is_read_from_the_model_directory_served(tmp_path: Path) -> None:
    """SKLearnModel sets SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code; locally the model
    directory is elsewhere, and its code/ is the one meant."""
    model = model_dir(tmp_path)
    (model / "code").mkdir()
    (model / "code" / "serve_weights.py").write_text(WEIGHTS_SCRIPT)
    stage = stage_for(
        model,
        SAGEMAKER_PROGRAM="serve_weights.py",
        SAGEMAKER_SUBMIT_DIRECTORY="/opt/ml/model/code",
    )
    assert answer(stage) == b"[0.0, 5.0]"


def test_without_a_script_setting_the_directory_is_not_guessed(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot tell which stage serves"):
        load(None, model_dir(tmp_path), Settings())
    with pytest.raises(ModelLoadError, match="neither a folder nor a .tar.gz"):
        stage_for(
            model_dir(tmp_path / "again"),
            SAGEMAKER_PROGRAM="x.py",
            SAGEMAKER_SUBMIT_DIRECTORY=str(tmp_path / "missing.tar.gz"),
        )


@pytest.fixture
def s3(moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return s3_on_moto(moto_s3_url, monkeypatch, buckets=("code",))


def test_an_s3_submit_directory_is_downloaded(s3: Any, tmp_path: Path) -> None:
    model, tarball = model_dir(tmp_path), sourcedir(tmp_path)
    s3.upload_file(str(tarball), "code", "job-1/source/sourcedir.tar.gz")
    environ = {
        "SAGEMAKER_PROGRAM": "serve_weights.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/job-1/source/sourcedir.tar.gz",
        **{name: os.environ[name] for name in ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID")},
        **{name: os.environ[name] for name in ("AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")},
    }
    with ServerProcess.start(model, tmp_path / "server.log", env=environ) as server:
        response = requests.post(
            server.url + "/invocations",
            data=b"1,2\n3,1",
            headers={"Content-Type": "text/csv"},
            timeout=30,
        )
    assert response.content == b"[0.0, 5.0]"
    script = tmp_path / "source" / "serve_weights.py"
    s3.upload_file(str(script), "code", "job-2/code/serve_weights.py")
    from_prefix = stage_for(
        model,
        SAGEMAKER_PROGRAM="serve_weights.py",
        SAGEMAKER_SUBMIT_DIRECTORY="s3://code/job-2/code",
    )
    assert answer(from_prefix) == b"[0.0, 5.0]"
    with pytest.raises(ModelLoadError, match="SAGEMAKER_SUBMIT_DIRECTORY=s3://code/nothing-here"):
        stage_for(
            model,
            SAGEMAKER_PROGRAM="serve_weights.py",
            SAGEMAKER_SUBMIT_DIRECTORY="s3://code/nothing-here.tar.gz",
        )


def test_every_helper_module_imports_in_a_served_script(tmp_path: Path) -> None:
    model, tarball = model_dir(tmp_path), sourcedir(tmp_path, HELPERS_SCRIPT, "helpers.py")
    environ = {"SAGEMAKER_PROGRAM": "helpers.py", "SAGEMAKER_SUBMIT_DIRECTORY": str(tarball)}
    with ServerProcess.start(model, tmp_path / "server.log", env=environ) as server:
        response = requests.post(
            server.url + "/invocations",
            data=b"1,2\n3,1",
            headers={"Content-Type": "text/csv", "Accept": "application/json"},
            timeout=30,
        )
    assert response.status_code == 200, response.text
    assert json.loads(response.content) == {
        "scores": "[0.0, 5.0]",
        "serving_accept": "application/json",
        "toolkit": "Environment",
    }


def test_a_toolkit_error_keeps_its_status(tmp_path: Path) -> None:
    model = model_dir(tmp_path)
    (model / "code").mkdir()
    (model / "code" / "inference.py").write_text(STATUS_SCRIPT)
    reply = ContainerHandler(stage_for(model), Settings()).invoke(b"1,2", {})
    assert reply.status == 422
    assert "rows must be positive" in json.loads(reply.body)["message"]


def script_with_requirements(
    tmp_path: Path, requirements: str, script: str = WEIGHTS_SCRIPT
) -> Path:
    model = model_dir(tmp_path)
    (model / "code").mkdir()
    (model / "code" / "inference.py").write_text(script)
    (model / "code" / "requirements.txt").write_text(requirements)
    return model


def test_requirements_already_installed_start_without_pip(tmp_path: Path) -> None:
    pinned = "# pinned as in the image\nnumpy>=1.20\nscikit-learn\n"
    model = script_with_requirements(tmp_path, pinned)
    assert answer(stage_for(model)) == b"[0.0, 5.0]"


def test_unmet_requirements_are_refused_by_name_unless_installing_is_allowed(
    tmp_path: Path,
) -> None:
    model = script_with_requirements(tmp_path, "numpy<1.0\nnot-installed-here==1.0\n")
    with pytest.raises(ModelLoadError) as refused:
        stage_for(model)
    message = str(refused.value)
    assert "numpy<1.0 (installed: " in message and "not-installed-here==1.0" in message
    assert "INFERLINE_SKLEARN_INSTALL_REQUIREMENTS=true" in message


def test_a_refused_requirement_stops_the_server_with_the_message(tmp_path: Path) -> None:
    model = script_with_requirements(tmp_path, "not-installed-here==1.0\n")
    with pytest.raises(StartupError):
        ServerProcess.start(model, tmp_path / "server.log")
    log = (tmp_path / "server.log").read_text()
    assert "not-installed-here==1.0" in log and "INFERLINE_SKLEARN_INSTALL_REQUIREMENTS" in log


def test_installing_offline_fails_with_pips_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip's offline mode: no index at all
    model = script_with_requirements(tmp_path, "not-installed-here==1.0\n")
    with pytest.raises(ModelLoadError, match=r"pip could not install .*requirements.txt"):
        stage_for(model, INFERLINE_SKLEARN_INSTALL_REQUIREMENTS="true")


def tiny_wheel(folder: Path) -> Path:
    """A one-module wheel, written by hand so that no index or build backend is needed."""
    wheel = folder / "tinydep-0.1-py3-none-any.whl"
    files = {
        "tinydep.py": "SCALE = 10.0\n",
        "tinydep-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinydep\nVersion: 0.1\n",
        "tinydep-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "tinydep-0.1.dist-info/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive_file:
        for name, text in {**files, "tinydep-0.1.dist-info/RECORD": record}.items():
            archive_file.writestr(name, text)
    return wheel


def test_allowed_requirements_are_installed_before_the_script_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = WEIGHTS_SCRIPT + (
        "\nimport tinydep\n\ndef predict_fn(data, model):\n"
        "    return model.predict(data) * tinydep.SCALE\n"
    )
    model = script_with_requirements(tmp_path, "./tinydep-0.1-py3-none-any.whl\n", script)
    tiny_wheel(model / "code")
    target = tmp_path / "site"
    target.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_TARGET", str(target))  # not the shared venv
    monkeypatch.syspath_prepend(str(target))
    stage = stage_for(model, INFERLINE_SKLEARN_INSTALL_REQUIREMENTS="true")
    assert (target / "tinydep.py").is_file()
    assert answer(stage) == b"[0.0, 50.0]"
