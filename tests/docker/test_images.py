"""`docker run IMAGE serve` behaves as SageMaker expects, for every image and a model of its kind.

Each container runs as SageMaker runs a pipeline's containers: host networking, its
own SAGEMAKER_BIND_TO_PORT, the model mounted read-only at /opt/ml/model. Its answers
must equal those of the same stage in this process, byte for byte.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from inferline.containers.app import create_app
from inferline.containers.core.settings import Settings
from inferline.containers.images import IMAGES
from inferline.stages import load
from tests.docker.models import CASES, Case
from tests.docker.running import RunningContainer

MEGABYTE = 1_000_000
# docs/images.md: the size each image must stay within (docker's decimal megabytes).
SIZE_BUDGETS = {"sklearn": 350, "sparkml": 300, "xgboost": 350}
# What must not be inside an image: other stages' heavy dependencies and build tools.
ABSENT = {
    "sklearn": ["pyspark", "pyarrow", "xgboost", "pip", "setuptools"],
    "sparkml": ["pyspark", "pyarrow", "xgboost", "sklearn", "pip", "setuptools"],
    "xgboost": ["pyspark", "pyarrow", "sklearn", "pip", "setuptools"],
}


@pytest.fixture(scope="module", params=sorted(CASES))
def served(
    request: pytest.FixtureRequest,
    image: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Case, Path, RunningContainer]]:
    case = CASES[request.param]
    model_dir = tmp_path_factory.mktemp(f"model-{case.stage}")
    case.write_model(model_dir)
    model_dir.chmod(0o755)  # readable by the container whatever the umask
    with RunningContainer.start(image(case.image), model_dir, case.env) as container:
        yield case, model_dir, container


def post(url: str, body: str, content_type: str) -> requests.Response:
    return requests.post(
        url + "/invocations", data=body.encode(), headers={"Content-Type": content_type}, timeout=30
    )


def test_ping(served: tuple[Case, Path, RunningContainer]) -> None:
    _, _, container = served
    assert requests.get(container.url + "/ping", timeout=5).status_code == 200


def test_answers_equal_the_stage_in_process(served: tuple[Case, Path, RunningContainer]) -> None:
    case, model_dir, container = served
    settings = Settings.from_env(case.env)
    local = create_app(load(case.stage, model_dir, settings), settings).test_client()
    expected = local.post(
        "/invocations", data=case.body.encode(), headers={"Content-Type": case.content_type}
    )
    answer = post(container.url, case.body, case.content_type)
    assert answer.status_code == expected.status_code == 200
    assert answer.headers["Content-Type"] == expected.headers["Content-Type"]
    assert answer.content == expected.data


def test_bad_input_is_a_json_error_and_the_server_keeps_serving(
    served: tuple[Case, Path, RunningContainer],
) -> None:
    case, _, container = served
    answer = post(container.url, case.bad_body, case.content_type)
    assert 400 <= answer.status_code < 500
    assert set(answer.json()) == {"error", "message"}
    assert post(container.url, case.body, case.content_type).status_code == 200


def test_docker_stop_is_graceful(served: tuple[Case, Path, RunningContainer]) -> None:
    """SIGTERM reaches gunicorn, which exits 0 (137 would mean SIGKILL after 30 s)."""
    _, _, container = served
    assert container.stop() == 0, container.logs()
    assert "Shutting down" in container.logs() or "Handling signal: term" in container.logs()


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_holds_only_its_stages_dependencies(name: str, image: Callable[[str], str]) -> None:
    probe = (
        "import importlib.util, json, shutil; "
        f"print(json.dumps([m for m in {ABSENT[name]!r} if importlib.util.find_spec(m)] "
        "+ [t for t in ('java', 'gcc', 'cc') if shutil.which(t)]))"
    )
    result = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "host",
            "--entrypoint",
            "python",
            image(name),
            "-c",
            probe,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_size_within_budget(name: str, image: Callable[[str], str]) -> None:
    size = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", image(name)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(size) / MEGABYTE <= SIZE_BUDGETS[name]
