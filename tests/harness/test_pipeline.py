"""A three-container pipeline of real sklearn stages, called the ways users call SageMaker."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pytest
import requests
from botocore.config import Config

from inferline.containers.harness import LocalEndpoint, ModelError
from tests.harness.conftest import CRASH, WRONG_TYPE, expected, pipeline, write

ROWS = [("M", 0.45, 0.35), ("F", 0.6, 0.5), ("I", 0.2, 0.15)]
CSV = "\n".join(f"{sex},{length},{diameter}" for sex, length, diameter in ROWS)


@pytest.fixture(scope="module")
def endpoint(
    models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalEndpoint]:
    path = write(tmp_path_factory.mktemp("pipeline") / "pipeline.json", pipeline(models))
    with LocalEndpoint.from_file(path, timeout=20) as running:
        yield running


@pytest.fixture(scope="module")
def runtime(endpoint: LocalEndpoint):  # type: ignore[no-untyped-def]
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_invoke_endpoint_chains_three_containers(runtime, models) -> None:  # type: ignore[no-untyped-def]
    response = runtime.invoke_endpoint(
        EndpointName="abalone", Body=CSV, ContentType="text/csv", Accept="text/csv"
    )
    answer = np.loadtxt(response["Body"].read().decode().splitlines(), delimiter=",")
    np.testing.assert_allclose(answer, expected(ROWS, models), rtol=1e-6)
    assert response["ContentType"] == "text/csv"
    assert response["InvokedProductionVariant"] == "AllTraffic"


def test_inference_id_reaches_every_container(runtime, endpoint: LocalEndpoint) -> None:  # type: ignore[no-untyped-def]
    runtime.invoke_endpoint(
        EndpointName="abalone", Body=CSV, ContentType="text/csv", InferenceId="trace-4242"
    )
    for hostname in ("container-1", "container-2", "container-3"):
        # Each container's access log names the inference id (bounded wait for the line).
        assert _wait_for(endpoint.log_path(hostname), "inference-id=trace-4242")


def _wait_for(log: Path, text: str, seconds: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_client_accept_reaches_only_the_last_container(endpoint: LocalEndpoint, models) -> None:  # type: ignore[no-untyped-def]
    # The featurizer answers CSV (its own default accept) although the client asks for JSON;
    # were the client's Accept sent to it, the script would get JSON and fail.
    answer = endpoint.invoke(CSV, content_type="text/csv", accept="application/json")
    predictions = [row["prediction"] for row in json.loads(answer.body)["predictions"]]
    np.testing.assert_allclose(predictions, expected(ROWS, models), rtol=1e-6)
    assert answer.content_type == "application/json"
    assert list(answer.latencies) == ["container-1", "container-2", "container-3"]
    assert all(micros > 0 for micros in answer.latencies.values())


def test_sagemaker_sdk_predictor(endpoint: LocalEndpoint, runtime, models, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # v2 is what the brief targets
    from sagemaker.deserializers import CSVDeserializer, JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer, JSONSerializer
    from sagemaker.session import Session

    session = Session(
        boto_session=boto3.Session(
            region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        ),
        sagemaker_runtime_client=runtime,
        sagemaker_client=object(),
    )
    csv_predictor = Predictor(
        "abalone", session, serializer=CSVSerializer(), deserializer=CSVDeserializer()
    )
    rows = csv_predictor.predict([list(row) for row in ROWS])
    np.testing.assert_allclose([float(row[0]) for row in rows], expected(ROWS, models), rtol=1e-6)

    # JSON in: the featurizer reads {"instances": [...]} rows as well.
    json_predictor = Predictor(
        "abalone", session, serializer=JSONSerializer(), deserializer=JSONDeserializer()
    )
    document = json_predictor.predict({"instances": [list(row) for row in ROWS]})
    np.testing.assert_allclose(
        [row["prediction"] for row in document["predictions"]], expected(ROWS, models), rtol=1e-6
    )


def test_a_415_mid_chain_is_a_model_error(runtime, endpoint: LocalEndpoint) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(
            EndpointName="abalone", Body=f"M,0.4,{WRONG_TYPE}", ContentType="text/csv"
        )
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 415
    assert "application/x-unknown" in error["OriginalMessage"]
    message = error["Error"]["Message"]
    assert message.startswith('Received client error (415) from container-3 with message "')
    assert str(endpoint.log_path("container-3")) in message
    assert error["LogStreamArn"] == str(endpoint.log_path("container-3"))


def test_an_unreadable_request_fails_in_container_1(runtime) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(
            EndpointName="abalone", Body=b"\x00\x01", ContentType="application/x-nope"
        )
    assert raised.value.response["OriginalStatusCode"] == 415
    assert "from container-1" in raised.value.response["Error"]["Message"]


def test_unknown_endpoint_and_bad_headers_are_validation_errors(
    runtime, endpoint: LocalEndpoint
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(runtime.exceptions.ValidationError, match="Endpoint nope not found"):
        runtime.invoke_endpoint(EndpointName="nope", Body=CSV, ContentType="text/csv")
    with pytest.raises(runtime.exceptions.ValidationError, match="TargetVariant 'B'"):
        runtime.invoke_endpoint(
            EndpointName="abalone", Body=CSV, ContentType="text/csv", TargetVariant="B"
        )
    with pytest.raises(runtime.exceptions.ValidationError, match="only valid for Direct mode"):
        runtime.invoke_endpoint(
            EndpointName="abalone",
            Body=CSV,
            ContentType="text/csv",
            TargetContainerHostname="container-1",
        )
    response = requests.post(
        f"{endpoint.url}/endpoints/abalone/invocations",
        data=CSV,
        headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "x" * 1025},
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationError"
    assert "X-Amzn-SageMaker-Custom-Attributes" in response.json()["message"]


def test_payload_over_6_mb_is_refused_before_any_container(endpoint: LocalEndpoint) -> None:
    log = endpoint.log_path("container-1")
    before = _posts_through(endpoint, log, "marker-before-413")
    response = requests.post(
        f"{endpoint.url}/invocations",
        data=b"1" * (6 * 1024 * 1024 + 1),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert "6291457 bytes" in response.json()["message"]
    after = _posts_through(endpoint, log, "marker-after-413")
    assert after == before + 1  # the second marker only: the refused request never arrived


def _posts_through(endpoint: LocalEndpoint, log: Path, marker: str) -> int:
    """Invoke with inference id `marker`; once its access line is in `log`, the number of
    POST /invocations lines up to and including it."""
    endpoint.invoke(CSV, content_type="text/csv", inference_id=marker)
    assert _wait_for(log, f"inference-id={marker}"), f"{marker} never reached {log.name}"
    lines = log.read_text().splitlines()
    (index,) = [i for i, line in enumerate(lines) if f"inference-id={marker}" in line]
    return sum("POST /invocations" in line for line in lines[: index + 1])


def test_a_crashed_container_is_named_then_restarted(endpoint: LocalEndpoint, models) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelError) as raised:
        endpoint.invoke(f"M,0.4,{CRASH}", content_type="text/csv")
    assert raised.value.original_status == 500
    assert "from container-2" in raised.value.message
    # Its worker died and gunicorn respawns it; now crash the whole container (every process
    # of it, as when a Docker container dies) to exercise the harness's own restart.
    container = endpoint.endpoint.deployment.chains["AllTraffic"].containers[1]
    os.killpg(container._process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
    container._process.wait()  # type: ignore[attr-defined]
    with pytest.raises(ModelError, match="from container-2"):
        endpoint.invoke(CSV, content_type="text/csv")
    answer = _eventually(lambda: endpoint.invoke(CSV, content_type="text/csv", accept="text/csv"))
    np.testing.assert_allclose(
        np.loadtxt(answer.body.decode().splitlines()), expected(ROWS, models), rtol=1e-6
    )
    assert "container-2 | " in endpoint.log_path("container-2").read_text()


def _eventually(call, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    """Retry while the restarted container comes back (bounded; readiness, not timing)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except ModelError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_an_intermediate_payload_over_the_limit_names_both_containers(
    endpoint: LocalEndpoint,
) -> None:
    # 2 MB of CSV in; the featurizer's one-hot output is about four times as large.
    body = "\n".join(["M,0.45,0.35"] * 180_000)
    with pytest.raises(ModelError) as raised:
        endpoint.invoke(body, content_type="text/csv")
    assert raised.value.message.startswith(
        "Received response from container-1 with status code 200. However, the request payload "
        "from container-1 to container-2 is "
    )
    assert "which has exceeded the maximum limit of 6 MB." in raised.value.message
