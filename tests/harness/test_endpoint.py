"""Endpoints beyond one pipeline: 15 containers, Direct mode, variants, updates, metrics, S3."""

from __future__ import annotations

import re
import tarfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from inferline.containers.core import definition
from inferline.containers.core.errors import ModelDataError
from inferline.containers.harness import LocalEndpoint, StartupError
from tests.harness.conftest import ONE_WORKER, chain_of
from tests.s3 import s3_on_moto

LOAD_SECONDS = 120.0  # bound on the load loop and each of its requests: a hang fails


def value(answer: bytes) -> float:
    return float(answer.decode().strip())


def test_fifteen_containers_start_and_chain(plus: dict[int, Path]) -> None:
    with LocalEndpoint(definition.parse(chain_of(plus[1], 15))) as endpoint:
        answer = endpoint.invoke("0.5", content_type="text/csv", accept="text/csv")
        assert value(answer.body) == pytest.approx(15.5)
        assert list(answer.latencies) == [f"container-{index}" for index in range(1, 16)]
        containers = endpoint.endpoint.deployment.containers
        ports = {container.url for container in containers}
        assert len(ports) == 15
        log = endpoint.log_path("container-15").read_text()
        assert f"Listening at: {containers[-1].url}" in log
        assert all(line.startswith("container-15 | ") for line in log.splitlines())


def test_direct_mode_invokes_the_named_container(plus: dict[int, Path]) -> None:
    document = {
        "ModelName": "direct",
        "InferenceExecutionConfig": {"Mode": "Direct"},
        "Containers": [
            {
                "ContainerHostname": "one",
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(plus[1]),
                "Environment": dict(ONE_WORKER),
            },
            {
                "ContainerHostname": "two",
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(plus[2]),
                "Environment": dict(ONE_WORKER),
            },
        ],
    }
    with LocalEndpoint(definition.parse(document)) as endpoint:
        url = f"{endpoint.url}/endpoints/direct/invocations"
        for hostname, expected in (("one", 1.0), ("two", 2.0)):
            response = requests.post(
                url,
                data="0",
                headers={
                    "Content-Type": "text/csv",
                    "Accept": "text/csv",
                    "X-Amzn-SageMaker-Target-Container-Hostname": hostname,
                },
            )
            assert value(response.content) == expected
        missing = requests.post(url, data="0", headers={"Content-Type": "text/csv"})
        assert missing.status_code == 400
        assert "set TargetContainerHostname" in missing.json()["message"]


def test_metrics_after_a_known_sequence(plus: dict[int, Path]) -> None:
    with LocalEndpoint(definition.parse(chain_of(plus[1], 2, name="counted"))) as endpoint:
        for _ in range(3):
            endpoint.invoke("1", content_type="text/csv")
        response = requests.post(
            f"{endpoint.url}/invocations", data="1", headers={"Content-Type": "image/png"}
        )
        assert response.status_code == 424  # container-1 answers 415
        crashed = endpoint.endpoint.deployment.containers[1]
        crashed.stop()  # container-2 is gone: a 5xx
        assert (
            requests.post(
                f"{endpoint.url}/invocations", data="1", headers={"Content-Type": "text/csv"}
            ).status_code
            == 424
        )
        text = requests.get(f"{endpoint.url}/metrics").text

    labels = '{endpoint="counted",variant="AllTraffic"}'
    assert _metric(text, "Invocations_total" + labels) == 5
    assert _metric(text, "Invocation4XXErrors_total" + labels) == 1
    assert _metric(text, "Invocation5XXErrors_total" + labels) == 1
    assert _metric(text, "ModelLatency_count" + labels) == 5
    one = '{container="container-1",endpoint="counted",variant="AllTraffic"}'
    two = '{container="container-2",endpoint="counted",variant="AllTraffic"}'
    assert _metric(text, "ContainerLatency_count" + one) == 5
    assert _metric(text, "ContainerLatency_count" + two) == 4  # not reached after the 415
    summed = _metric(text, "ContainerLatency_sum" + one) + _metric(
        text, "ContainerLatency_sum" + two
    )
    assert _metric(text, "ModelLatency_sum" + labels) == pytest.approx(summed)
    assert _metric(text, "OverheadLatency_count" + labels) == 5


def _metric(text: str, name: str) -> float:
    pattern = re.escape(name.replace('"', '"')) + r" ([0-9.e+-]+)"
    match = re.search("^" + pattern + "$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics:\n{text}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def variants(plus: dict[int, Path]):  # type: ignore[no-untyped-def]
    document = {
        "EndpointName": "split",
        "ProductionVariants": [
            {"VariantName": "Ninety", "ModelName": "one", "InitialVariantWeight": 9},
            {"VariantName": "Ten", "ModelName": "two", "InitialVariantWeight": 1},
        ],
        "Models": [chain_of(plus[1], 1, name="one"), chain_of(plus[2], 1, name="two")],
    }
    with LocalEndpoint(definition.parse(document)) as endpoint:
        yield endpoint


def test_variants_split_traffic_by_weight(variants: LocalEndpoint) -> None:
    url = f"{variants.url}/endpoints/split/invocations"
    seen: Counter[str] = Counter()
    with requests.Session() as session:
        for _ in range(1000):
            response = session.post(
                url, data="0", headers={"Content-Type": "text/csv", "Accept": "text/csv"}
            )
            assert response.status_code == 200, response.text
            variant = response.headers["X-Amzn-Invoked-Production-Variant"]
            assert value(response.content) == {"Ninety": 1.0, "Ten": 2.0}[variant]
            seen[variant] += 1
        # Binomial(1000, 0.1): sd 9.5, so 60..140 is over 4 sd either way.
        assert 60 <= seen["Ten"] <= 140, seen
        pinned = {
            session.post(
                url,
                data="0",
                headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Target-Variant": "Ten"},
            ).headers["X-Amzn-Invoked-Production-Variant"]
            for _ in range(20)
        }
        assert pinned == {"Ten"}


def test_update_under_load_fails_no_request(variants: LocalEndpoint, plus: dict[int, Path]) -> None:
    old = variants.endpoint.deployment.containers
    failures: list[str] = []
    answers: list[float] = []
    stop = threading.Event()

    def load() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                response = session.post(
                    f"{variants.url}/invocations",
                    data="0",
                    headers={"Content-Type": "text/csv", "Accept": "text/csv"},
                    timeout=LOAD_SECONDS,
                )
                if response.status_code != 200:
                    failures.append(response.text)
                else:
                    answers.append(value(response.content))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        variants.update(definition.parse(chain_of(plus[2], 2, name="two-twice"), name="split"))
        served_after = len(answers)
        deadline = time.monotonic() + LOAD_SECONDS
        while len(answers) < served_after + 50 and not failures:  # the new pipeline serves the load
            assert time.monotonic() < deadline, f"{len(answers) - served_after} answers after"
            stop.wait(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(LOAD_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a load thread hangs"
    assert failures == []
    assert answers[-1] == 4.0 and set(answers) <= {1.0, 2.0, 4.0}
    assert not any(container.alive() for container in old)


def test_unhealthy_containers_are_listed_with_their_log(
    plus: dict[int, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty-model"
    empty.mkdir()
    document = chain_of(plus[1], 2, name="broken")
    document["Containers"][1]["ModelDataUrl"] = str(empty)
    with pytest.raises(StartupError) as raised:
        LocalEndpoint(definition.parse(document), ready_seconds=60).start()
    message = str(raised.value)
    assert "1 container(s) did not pass the ping health check" in message
    assert "- container-2 (container-2.log): exited" in message
    assert "container-2 | " in message and "cannot tell which stage serves" in message


@pytest.fixture
def s3(moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 S3 client on moto; the harness's own boto3 finds moto the same way."""
    return s3_on_moto(moto_s3_url, monkeypatch)


def from_s3(url: str, name: str) -> dict[str, object]:
    return {
        "ModelName": name,
        "PrimaryContainer": {
            "Image": "inferline-sklearn",
            "ModelDataUrl": url,
            "Environment": dict(ONE_WORKER),
        },
    }


def test_s3_model_data_through_moto(plus: dict[int, Path], tmp_path: Path, s3: Any) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(plus[2] / "model.joblib", arcname="model.joblib")
    s3.create_bucket(Bucket="models")
    s3.upload_file(str(archive), "models", "plus-two/model.tar.gz")
    document = from_s3("s3://models/plus-two/model.tar.gz", "from-s3")
    with LocalEndpoint(definition.parse(document), workdir=tmp_path / "work") as endpoint:
        assert value(endpoint.invoke("1", content_type="text/csv", accept="text/csv").body) == 3.0
        assert list((tmp_path / "work").glob("from-s3-*/model-data/primary/model.tar.gz"))


@pytest.mark.parametrize("prefix", ["plus-two", "plus-two/"])
def test_an_s3_prefix_is_downloaded_as_a_directory(
    plus: dict[int, Path], tmp_path: Path, s3: Any, prefix: str
) -> None:
    bucket = "prefix-" + str(len(prefix))
    s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(plus[2] / "model.joblib"), bucket, "plus-two/model.joblib")
    s3.put_object(Bucket=bucket, Key="plus-two/notes/README.txt", Body=b"kept, nested")
    s3.put_object(Bucket=bucket, Key="plus-two-old/model.joblib", Body=b"a sibling prefix")
    document = from_s3(f"s3://{bucket}/{prefix}", "from-prefix")
    with LocalEndpoint(definition.parse(document), workdir=tmp_path / "work") as endpoint:
        assert value(endpoint.invoke("1", content_type="text/csv", accept="text/csv").body) == 3.0
        (folder,) = (tmp_path / "work").glob("from-prefix-*/model-data/primary")
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert files == ["model.joblib", "notes/README.txt"]
        assert (folder / "notes" / "README.txt").read_bytes() == b"kept, nested"


def test_an_empty_s3_prefix_is_refused_naming_the_url(tmp_path: Path, s3: Any) -> None:
    s3.create_bucket(Bucket="empty")
    document = from_s3("s3://empty/nothing-here", "from-nothing")
    with pytest.raises(ModelDataError, match="s3://empty/nothing-here: no objects under that"):
        LocalEndpoint(definition.parse(document), workdir=tmp_path / "work").start()
