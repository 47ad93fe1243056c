"""Each example is trained once per test run, into a session temp folder, on first use.

Training shares the process's one SparkSession; the examples use their full
settings (about a minute for all four on two cores), so the quality floors tested
are those of the pipelines `inferline train` writes.
"""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from inferline.training import examples
from inferline.training.examples import Trained


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Trained]:
    cache: dict[str, Trained] = {}

    def get(name: str) -> Trained:
        if name not in cache:
            cache[name] = examples.train(name, tmp_path_factory.mktemp(name))
        return cache[name]

    return get


def runtime_client(url: str) -> object:
    """boto3's sagemaker-runtime client aimed at a local harness (dummy credentials)."""
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
