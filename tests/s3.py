"""moto's S3 server on 127.0.0.1, shared by every suite that reads or writes s3:// URLs.

One server runs for the whole test session (`moto_s3_url`, registered in tests/conftest.py):
moto keeps its buckets in this process whichever server answers, so one per suite bought
nothing but start-up time. A suite's own `s3` fixture calls `s3_on_moto` for a client with
the buckets it needs; that also points the test's environment at moto, so the code under
test (and any process it starts with that environment) finds the same server through
AWS_ENDPOINT_URL_S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def moto_s3_url() -> Iterator[str]:
    """The URL of moto's server on loopback, on a free port."""
    # imported here, not at the top: tests/conftest.py imports this module for every run,
    # and moto with boto3 costs half a second to import that most runs do not need
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_on_moto(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    region: str = "us-east-1",
    buckets: tuple[str, ...] = (),
) -> Any:
    """A boto3 S3 client on moto at `url`, with `buckets` there; this test's environment
    (credentials, region, AWS_ENDPOINT_URL_S3) points at the same server."""
    import boto3  # here for the same reason as moto above

    for name, setting in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_ENDPOINT_URL_S3": url,
    }.items():
        monkeypatch.setenv(name, setting)
    client = boto3.client("s3")
    # us-east-1 takes no LocationConstraint; every other region needs its own
    where: dict[str, Any] = {}
    if region != "us-east-1":
        where["CreateBucketConfiguration"] = {"LocationConstraint": region}
    for bucket in buckets:
        try:
            client.create_bucket(Bucket=bucket, **where)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass  # made by an earlier test: the server lives for the whole session
    return client
