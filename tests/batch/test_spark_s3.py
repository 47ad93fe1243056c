"""`--engine spark` with s3:// input and output, against moto's S3 server on 127.0.0.1.

On a cluster the executors read their byte ranges of the input from S3 themselves and
the driver uploads the outputs (containers/batch/spark.py), so this runs the real
command line in a fresh process: its SparkSession, and the Python workers it forks,
start with the environment that points boto3 at moto (a session already running in the
test process would keep the environment it started with).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.output import MANIFEST
from inferline.containers.batch.runner import run
from tests.s3 import s3_on_moto

LINE = b"1,2\n"
LARGE_LINES = 800_000  # 3.2 MB: cut into several pieces (at least 1 MB each) on local[2]


@pytest.fixture
def s3(moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return s3_on_moto(moto_s3_url, monkeypatch, buckets=("spark-data",))


def job_options(output: str) -> list[str]:
    return [
        "--input",
        "s3://spark-data/in/",
        "--output",
        output,
        "--content-type",
        "text/csv",
        "--accept",
        "text/csv",
        "--split-type",
        "Line",
        "--assemble-with",
        "Line",
        "--strategy",
        "MultiRecord",
    ]


def test_spark_reads_and_writes_s3_as_the_local_engine_does(
    s3: Any, pipeline_file: Path, tmp_path: Path
) -> None:
    s3.put_object(Bucket="spark-data", Key="in/large.csv", Body=LINE * LARGE_LINES)
    s3.put_object(Bucket="spark-data", Key="in/sub/small.csv", Body=b"3,4\n5,5\n")
    local = run(
        TransformJob.from_request(
            request_from_options(
                model_name="summer",
                input_uri="s3://spark-data/in/",
                output_uri="s3://spark-data/local",
                name="local",
                content_type="text/csv",
                accept="text/csv",
                split_type="Line",
                assemble_with="Line",
                strategy="MultiRecord",
            )
        ),
        pipeline_file,
        runtime="inprocess",
        terminal=False,
    )
    assert local.ok, local.lines()

    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferline.containers",
            "transform",
            str(pipeline_file),
            *job_options("s3://spark-data/spark"),
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--workdir",
            str(tmp_path / "work"),
        ],
        env=dict(os.environ),  # the monkeypatched AWS_* variables, moto's endpoint among them
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    assert "transform complete: 2 file(s) written" in answer.stderr

    def objects(prefix: str) -> dict[str, bytes]:
        listing = s3.list_objects_v2(Bucket="spark-data", Prefix=f"{prefix}/")["Contents"]
        return {
            item["Key"].removeprefix(f"{prefix}/"): bytes(
                s3.get_object(Bucket="spark-data", Key=item["Key"])["Body"].read()
            )
            for item in listing
        }

    spark_outputs, local_outputs = objects("spark"), objects("local")
    assert sorted(spark_outputs) == sorted(["large.csv.out", MANIFEST, "sub/small.csv.out"])
    assert spark_outputs["sub/small.csv.out"] == b"7.0\n10.0\n"
    assert spark_outputs["large.csv.out"] == b"3.0\n" * LARGE_LINES
    del spark_outputs[MANIFEST], local_outputs[MANIFEST]  # each names its own output prefix
    assert spark_outputs == local_outputs
