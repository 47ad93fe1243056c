"""What docs/harness.md promises, each checked through the public face a user has.

LocalEndpoint, HTTP on loopback, boto3 and `inferline` subprocesses only. Most tests
run chains of the echo model (tests/fixtures/echo): each container appends what it
received to the body, and on command holds its answer or kills its whole container.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config

from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint, ModelError, StartupError
from tests.echo import WAIT_SECONDS, echo_chain, until
from tests.harness.conftest import chain_of, write

CLI_SECONDS = 300


def post(endpoint: LocalEndpoint, body: str, **headers: str) -> requests.Response:
    return requests.post(
        f"{endpoint.url}/endpoints/{endpoint.name}/invocations",
        data=body,
        headers={"Content-Type": "text/plain", **headers},
        timeout=WAIT_SECONDS,
    )


def metric(endpoint: LocalEndpoint, name: str, default: float | None = None) -> float:
    """One sample of /metrics for this endpoint's AllTraffic variant (`default` if absent:
    a labelled counter shows once first counted)."""
    text = requests.get(f"{endpoint.url}/metrics", timeout=10).text
    labels = f'{{endpoint="{endpoint.name}",variant="AllTraffic"}}'
    match = re.search(f"^{re.escape(name + labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    if match is None and default is not None:
        return default
    assert match, f"{name}{labels} not in /metrics:\n{text}"
    return float(match.group(1))


PROBES = {"SAGEMAKER_ECHO_PROBE": "leak", "SM_ECHO_PROBE": "leak", "INFERLINE_ECHO_PROBE": "leak"}


@pytest.fixture
def three(echo_model: Path, tmp_path: Path) -> Iterator[LocalEndpoint]:
    """Three echo containers, started while the harness's own environment holds a
    SAGEMAKER_, an SM_ and an INFERLINE_ variable; container two's Environment sets one."""
    document = echo_chain(echo_model, tmp_path / "state", ("one", "two", "three"))
    document["Containers"][1]["Environment"]["SM_ECHO_PROBE_GIVEN"] = "yes"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in PROBES.items():
            patch.setenv(key, value)
        with LocalEndpoint(definition.parse(document)) as endpoint:
            yield endpoint


def lines(answer: bytes) -> list[str]:
    return answer.decode().splitlines()[1:]  # after the request's own first line


def test_the_harness_environment_does_not_reach_containers(three: LocalEndpoint) -> None:
    answer = three.invoke("hello", content_type="text/plain")
    assert lines(answer.body) == [
        "one attributes=None private=",
        "two attributes=None private=SM_ECHO_PROBE_GIVEN",  # its own Environment does
        "three attributes=None private=",
    ]


def test_custom_attributes_reach_every_container_and_the_last_ones_return(
    three: LocalEndpoint,
) -> None:
    runtime = boto3.client(
        "sagemaker-runtime",
        endpoint_url=three.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    response = runtime.invoke_endpoint(
        EndpointName="echo", Body="hello", ContentType="text/plain", CustomAttributes="trace=4242"
    )
    received = lines(response["Body"].read())
    assert [line.split(" private=")[0] for line in received] == [
        "one attributes=trace=4242",
        "two attributes=trace=4242",
        "three attributes=trace=4242",
    ]
    assert response["CustomAttributes"] == "seen-by=three"  # the last container's own
    answer = three.invoke("hello", content_type="text/plain", custom_attributes="trace=1")
    assert answer.custom_attributes == "seen-by=three"


def test_refused_requests_are_not_counted_in_metrics(three: LocalEndpoint) -> None:
    three.invoke("counted", content_type="text/plain")
    invocations = metric(three, "Invocations_total")
    client_errors = metric(three, "Invocation4XXErrors_total", default=0.0)
    refused = [
        requests.post(f"{three.url}/endpoints/nope/invocations", data="x", timeout=30),
        post(three, "x", **{"X-Amzn-SageMaker-Target-Variant": "Nope"}),
        post(three, "x", **{"X-Amzn-SageMaker-Custom-Attributes": "x" * 1025}),
        post(three, "x", **{"X-Amzn-SageMaker-Target-Container-Hostname": "container-1"}),
        post(three, "x" * (6 * 1024 * 1024 + 1)),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400, 400, 413]
    assert {response.headers["x-amzn-ErrorType"] for response in refused[:4]} == {"ValidationError"}
    assert metric(three, "Invocations_total") == invocations
    assert metric(three, "Invocation4XXErrors_total", default=0.0) == client_errors
    three.invoke("counted", content_type="text/plain")  # the metric is live: this one counts
    assert metric(three, "Invocations_total") == invocations + 1


def test_the_invocation_timeout_names_the_container_waited_for(
    echo_model: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    document = echo_chain(echo_model, state, ("one", "two"))
    with LocalEndpoint(definition.parse(document), timeout=5) as endpoint:
        try:
            response = post(endpoint, "hold two")  # container-2 answers only once released
        finally:
            (state / "release").touch()
        assert response.status_code == 424
        assert response.headers["x-amzn-ErrorType"] == "ModelError"
        error = response.json()
        assert error["ErrorCode"] == "ModelError"
        assert "from container-2" in error["Message"]
        assert "container-2 did not answer within the 5 s invocation timeout" in error["Message"]
        assert error["LogStreamArn"] == str(endpoint.log_path("container-2"))
        assert metric(endpoint, "Invocation5XXErrors_total") == 1  # a timeout is a 5xx
        answer = endpoint.invoke("after", content_type="text/plain")  # still serving
        assert lines(answer.body)[-1].startswith("two ")


def test_ping_answers_503_while_a_crashed_container_restarts(
    echo_model: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    document = echo_chain(echo_model, state, ("one", "two"))
    with LocalEndpoint(definition.parse(document)) as endpoint:
        ping = f"{endpoint.url}/ping"
        assert requests.get(ping, timeout=10).status_code == 200
        with pytest.raises(ModelError, match="from container-2"):
            endpoint.invoke("die two", content_type="text/plain")
        # Its second boot waits for the gate, so the restart is held open until released.
        until(lambda: _rebooting(endpoint, state / "boots-two"), "container-2 to reboot")
        down = requests.get(ping, timeout=10)
        assert down.status_code == 503
        assert f"{endpoint.name}/container-2" in down.json()["message"]
        (state / "gate").touch()
        until(lambda: requests.get(ping, timeout=10).status_code == 200 or None, "/ping 200")
        answer = endpoint.invoke("back", content_type="text/plain")
        assert [line.split()[0] for line in lines(answer.body)] == ["one", "two"]


def _rebooting(endpoint: LocalEndpoint, boots: Path) -> bool | None:
    """True once the second boot began; until then each call invokes, so the harness
    notices the dead container (a request that finds it gone starts the restart)."""
    if boots.read_text().count("boot") == 2:
        return True
    with pytest.raises(ModelError, match="from container-2"):
        endpoint.invoke("probe", content_type="text/plain")
    return None


def test_a_failed_update_keeps_the_old_pipeline_serving(echo_model: Path, tmp_path: Path) -> None:
    document = echo_chain(echo_model, tmp_path / "state", ("one",))
    broken = echo_chain(echo_model, tmp_path / "state", ("new", "broken"))
    empty = tmp_path / "empty-model"
    empty.mkdir()
    broken["Containers"][1]["ModelDataUrl"] = str(empty)
    with LocalEndpoint(definition.parse(document), ready_seconds=60) as endpoint:
        with pytest.raises(StartupError, match="container-2"):
            endpoint.update(definition.parse(broken, name="echo"))
        answer = endpoint.invoke("still", content_type="text/plain")
        assert lines(answer.body) == ["one attributes=None private="]
        assert requests.get(f"{endpoint.url}/ping", timeout=10).status_code == 200


def inferline(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferline.containers", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )


def _invoke_value(home: Path) -> float:
    invoked = inferline(
        "invoke", "hup", "--body", "1", "--content-type", "text/csv", "--accept", "text/csv",
        home=home,
    )  # fmt: skip
    assert invoked.returncode == 0, invoked.stderr
    return float(invoked.stdout)


def test_sighup_switches_to_the_edited_file_and_a_failed_update_keeps_serving(
    plus: dict[int, Path], tmp_path: Path
) -> None:
    home = tmp_path / ".inferline"
    path = write(tmp_path / "pipeline.json", chain_of(plus[1], 1, name="hup"))
    up = inferline("up", str(path), "--detach", "--port", "0", home=home)
    assert up.returncode == 0, up.stderr
    try:
        state = json.loads((home / "hup" / "state.json").read_text())
        assert _invoke_value(home) == 2.0
        # `kill -HUP <pid>` re-reads the definition file: now two containers adding 2 each.
        write(path, chain_of(plus[2], 2, name="hup"))
        os.kill(state["pid"], signal.SIGHUP)
        # Done once state.json lists the new deployment's two logs; meanwhile every
        # request is answered, by the old pipeline or the new.
        answers = []
        while len(json.loads((home / "hup" / "state.json").read_text())["logs"]) < 2:
            answers.append(_invoke_value(home))
            assert len(answers) < 200, "the harness did not switch to the edited file"
        assert set(answers) <= {2.0, 5.0}
        assert _invoke_value(home) == 5.0
        assert "endpoint hup now serves" in (home / "hup" / "harness.log").read_text()

        empty = tmp_path / "empty-model"
        empty.mkdir()
        broken = chain_of(plus[1], 2, name="hup")
        broken["Containers"][1]["ModelDataUrl"] = str(empty)
        # A plain SIGHUP's reload is still under way when this update starts: its answer
        # must not be taken for the update's.
        os.kill(state["pid"], signal.SIGHUP)
        updated = inferline("update", str(write(tmp_path / "broken.json", broken)), home=home)
        assert updated.returncode != 0
        assert "update failed; still serving the previous definition" in updated.stderr
        assert "container-2" in updated.stderr
        assert _invoke_value(home) == 5.0
    finally:
        down = inferline("down", home=home)
    assert down.returncode == 0, down.stderr
