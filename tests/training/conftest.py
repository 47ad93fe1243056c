"""Helpers for the example-pipeline tests; the `trained` fixture is in tests/conftest.py.

Training shares the process's one SparkSession; the examples use their full
settings (about a minute for all four on two cores), so the quality floors tested
are those of the pipelines `inferline train` writes.
"""

from __future__ import annotations

import boto3


def runtime_client(url: str) -> object:
    """boto3's sagemaker-runtime client aimed at a local harness (dummy credentials)."""
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
