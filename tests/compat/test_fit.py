"""`inferline fit`: a training script run as a SageMaker training job runs it, then served.

The CLI runs for real (a child process, as a user runs it); the featurizer flow fits
the AWS-style abalone featurizer (tests/fixtures/aws_sklearn_featurizer), serves the
archive under gunicorn with the Environment fit printed, and chains it in front of a
Linear Learner stage through the local endpoint that `inferline up` runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.linear_model import RidgeCV

from inferline.containers.core import archive
from inferline.containers.harness.local import LocalEndpoint
from inferline.stages import linear_learner
from tests import abalone
from tests.compat.aws_reference import import_copy
from tests.servers import PRIVATE_PREFIXES, ServerProcess

FIXTURE = Path(__file__).parents[1] / "fixtures" / "aws_sklearn_featurizer"
FEATURIZER = FIXTURE / "sklearn_abalone_featurizer.py"

PROBE = """
import json, os, sys
from sagemaker_containers.beta.framework import encoders, env
from sagemaker_training import environment

training = environment.Environment()
seen = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "variables": {k: v for k, v in os.environ.items() if k.startswith("SM_")},
    "toolkit_hyperparameters": training.hyperparameters,
    "toolkit_channels": training.channel_input_dirs,
    "train_files": sorted(os.listdir(os.environ["SM_CHANNEL_TRAIN"])),
    "csv": encoders.encode([[1.0, 2.0]], "text/csv"),
}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "probe.json"), "w") as out:
    json.dump(seen, out)
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "report.txt"), "w") as out:
    out.write("trained")
print("probe trained", flush=True)
"""


def fit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE_PREFIXES)}
    command = [sys.executable, "-m", "inferline.containers", "fit", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=environ, check=False)


def members(path: Path) -> list[str]:
    with tarfile.open(path) as tar:
        return sorted(member.name for member in tar.getmembers() if member.isfile())


def read_member(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        extracted = tar.extractfile(name)
        assert extracted is not None
        return extracted.read()


@pytest.fixture
def channels(tmp_path: Path) -> tuple[Path, Path]:
    train, validation = tmp_path / "train", tmp_path / "validation"
    train.mkdir()
    validation.mkdir()
    (train / "part-1.csv").write_text("1,2\n")
    (train / "part-2.csv").write_text("3,4\n")
    (validation / "held-out.csv").write_text("5,6\n")
    return train, validation


def test_the_script_sees_a_training_jobs_environment(
    tmp_path: Path, channels: tuple[Path, Path]
) -> None:
    script = tmp_path / "src" / "probe.py"
    script.parent.mkdir()
    script.write_text(textwrap.dedent(PROBE))
    out = tmp_path / "out"
    train, validation = channels
    result = fit(script, "--train", train, "--validation", validation, "--out", out,
                 "--hyperparameters", "epochs=3", 'name="x"', "lr=0.5")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "probe trained" in result.stdout

    container = json.loads(result.stdout[result.stdout.index("{") :])
    assert container == {
        "Image": "inferline-sklearn",
        "ModelDataUrl": str((out / "model.tar.gz").resolve()),
        "Environment": {
            "SAGEMAKER_PROGRAM": "probe.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": "us-east-1",
        },
    }
    assert json.loads((out / "container.json").read_text()) == container
    assert members(out / "model.tar.gz") == ["code/probe.py", "probe.json"]
    assert members(out / "output.tar.gz") == ["report.txt"]

    seen: dict[str, Any] = json.loads(read_member(out / "model.tar.gz", "probe.json"))
    variables = seen["variables"]
    assert seen["argv"] == ["--epochs", "3", "--lr", "0.5", "--name", "x"]
    assert json.loads(variables["SM_HPS"]) == {"epochs": 3, "lr": 0.5, "name": "x"}
    assert (variables["SM_HP_EPOCHS"], variables["SM_HP_NAME"]) == ("3", "x")
    assert json.loads(variables["SM_CHANNELS"]) == ["train", "validation"]
    assert variables["SM_CHANNEL_TRAIN"].endswith("/input/data/train")
    assert variables["SM_CHANNEL_VALIDATION"].endswith("/input/data/validation")
    assert seen["train_files"] == ["part-1.csv", "part-2.csv"]
    assert variables["SM_MODEL_DIR"].endswith("/model")
    assert variables["SM_OUTPUT_DATA_DIR"].endswith("/output/data")
    assert seen["cwd"] == variables["SM_MODULE_DIR"]
    training_env = json.loads(variables["SM_TRAINING_ENV"])
    assert training_env["hyperparameters"] == {"epochs": 3, "lr": 0.5, "name": "x"}
    assert training_env["channel_input_dirs"]["validation"] == variables["SM_CHANNEL_VALIDATION"]
    assert training_env["user_entry_point"] == "probe.py"
    assert seen["toolkit_hyperparameters"] == {"epochs": 3, "lr": 0.5, "name": "x"}
    assert seen["toolkit_channels"] == training_env["channel_input_dirs"]
    assert seen["csv"] == "1.0,2.0\n"


def test_json_hyperparameters_and_a_source_dir(tmp_path: Path, channels: tuple[Path, Path]) -> None:
    source = tmp_path / "src"
    (source / "lib").mkdir(parents=True)
    (source / "lib" / "helper.py").write_text("VALUE = 7\n")
    (source / "train.py").write_text(
        "import json, os, sys\nfrom lib import helper\n"
        "json.dump({'argv': sys.argv[1:], 'value': helper.VALUE},"
        " open(os.path.join(os.environ['SM_MODEL_DIR'], 'seen.json'), 'w'))\n"
    )
    out = tmp_path / "out"
    hyperparameters = json.dumps({"layers": [1, 2], "mode": "fast"})
    result = fit(source / "train.py", "--train", channels[0], "--source-dir", source,
                 "--out", out, "--hyperparameters", hyperparameters)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert members(out / "model.tar.gz") == ["code/lib/helper.py", "code/train.py", "seen.json"]
    seen = json.loads(read_member(out / "model.tar.gz", "seen.json"))
    assert seen == {"argv": ["--layers", "[1, 2]", "--mode", "fast"], "value": 7}


def test_a_failing_script_passes_its_status_through(
    tmp_path: Path, channels: tuple[Path, Path]
) -> None:
    script = tmp_path / "fail.py"
    script.write_text("import sys\nprint('about to fail', file=sys.stderr)\nsys.exit(3)\n")
    out = tmp_path / "out"
    result = fit(script, "--train", channels[0], "--out", out)
    assert result.returncode == 3
    assert "about to fail" in result.stderr
    assert "fail.py exited with status 3" in result.stderr
    assert not (out / "model.tar.gz").exists()


def test_a_missing_channel_is_refused_by_name(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("pass\n")
    result = fit(script, "--train", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "channel train" in result.stderr and "nowhere" in result.stderr


@pytest.fixture(scope="module")
def featurizer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The AWS-style featurizer fitted by `inferline fit` on the abalone rows."""
    base = tmp_path_factory.mktemp("featurizer")
    (base / "train").mkdir()
    (base / "train" / "abalone.csv").write_bytes(abalone.DATA.read_bytes())
    result = fit(FEATURIZER, "--train", base / "train", "--out", base / "out")
    assert result.returncode == 0, result.stderr
    assert "saved model!" in result.stdout
    return base, json.loads((base / "out" / "container.json").read_text())


def in_process_features(base: Path, rows: str) -> np.ndarray:
    """What the script itself computes, with the model `inferline fit` saved."""
    model_dir = base / "unpacked"
    if not model_dir.exists():
        archive.extract(base / "out" / "model.tar.gz", model_dir)
    script = import_copy(model_dir / "code" / FEATURIZER.name, "reference_featurizer")
    model = script.model_fn(str(model_dir))
    features: np.ndarray = script.predict_fn(script.input_fn(rows, "text/csv"), model)
    return features


def test_the_fitted_featurizer_serves_as_on_aws(
    featurizer: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    base, container = featurizer
    assert members(base / "out" / "model.tar.gz") == [f"code/{FEATURIZER.name}", "model.joblib"]
    rows = abalone.SAMPLE + ", 10\nF,0.5,0.4,0.1,0.5,0.2,0.1,0.1,9"  # labelled: rings last
    expected = in_process_features(base, rows)
    with ServerProcess.start(
        Path(container["ModelDataUrl"]), tmp_path / "server.log", env=container["Environment"]
    ) as server:
        as_json = requests.post(
            server.url + "/invocations", data=rows, headers={"Content-Type": "text/csv"}, timeout=30
        )
        as_csv = requests.post(
            server.url + "/invocations",
            data=rows,
            headers={"Content-Type": "text/csv", "Accept": "text/csv"},
            timeout=30,
        )
    assert as_json.status_code == 200 and as_json.headers["Content-Type"] == "application/json"
    instances = json.loads(as_json.content)["instances"]
    assert [row["features"] for row in instances] == expected.tolist()
    assert as_csv.headers["Content-Type"] == "text/csv"
    lines = as_csv.text.splitlines()
    assert [line.split(",")[0] for line in lines] == ["10.0", "9.0"]  # the label goes first
    assert np.array([line.split(",") for line in lines], dtype=float).tolist() == expected.tolist()


def test_the_featurizer_chains_in_front_of_linear_learner(
    featurizer: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    base, container = featurizer
    frame = abalone.frame()
    rows = frame[abalone.FEATURES].to_csv(header=False, index=False)
    train_features = in_process_features(base, rows)
    regressor = RidgeCV().fit(train_features, frame["rings"])
    staging = tmp_path / "ll"
    linear_learner.save(regressor, staging)
    archive.write(staging, tmp_path / "linear-learner" / "model.tar.gz")
    pipeline = {
        "ModelName": "abalone-fit",
        "Containers": [
            {"ContainerHostname": "featurizer", **container},
            {
                "ContainerHostname": "linear-learner",
                "Image": "inferline-sklearn",
                "ModelDataUrl": "linear-learner/model.tar.gz",
                "Environment": {"INFERLINE_STAGE": "linear-learner"},
            },
        ],
    }
    (tmp_path / "pipeline.json").write_text(json.dumps(pipeline))
    expected = regressor.predict(in_process_features(base, abalone.SAMPLE))
    with LocalEndpoint.from_file(tmp_path / "pipeline.json", workdir=tmp_path / "work") as endpoint:
        answer = endpoint.invoke(abalone.SAMPLE, content_type="text/csv", accept="application/json")
    assert answer.content_type == "application/json"
    scores = [row["score"] for row in json.loads(answer.body)["predictions"]]
    assert scores == pytest.approx(expected.tolist(), rel=1e-9)
    assert pd.Series(scores).between(1, 30).all()
