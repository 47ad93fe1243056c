"""s3:// input and output through boto3, against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.output import MANIFEST
from inferline.containers.batch.runner import run
from tests.s3 import s3_on_moto


@pytest.fixture
def s3(moto_s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return s3_on_moto(moto_s3_url, monkeypatch, buckets=("data",))


def test_an_s3_prefix_in_and_out_with_multipart_for_large_outputs(
    s3: Any, pipeline_file: Path, tmp_path: Path
) -> None:
    s3.put_object(Bucket="data", Key="batch/small.csv", Body=b"1,2\n3,4\n")
    s3.put_object(Bucket="data", Key="batch/sub/other.csv", Body=b"5,5\n")
    s3.put_object(Bucket="data", Key="elsewhere/ignored.csv", Body=b"bad\n")
    wide = ",".join(["1"] * 240)  # 479 bytes; 20,000 rows joined with their answer: over 9 MB
    s3.put_object(Bucket="data", Key="batch/sub/large.csv", Body=((wide + "\n") * 20000).encode())
    request = request_from_options(
        model_name="summer",
        input_uri="s3://data/batch/",
        output_uri="s3://data/results",
        name="s3-job",
        content_type="text/csv",
        split_type="Line",
        accept="text/csv",
        assemble_with="Line",
        strategy="MultiRecord",
        join_source="Input",
    )
    summary = run(
        TransformJob.from_request(request), pipeline_file, runtime="inprocess", terminal=False
    )
    assert summary.ok, summary.lines()
    keys = sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket="data", Prefix="results/")["Contents"]
    )
    assert keys == [
        f"results/{MANIFEST}",
        "results/small.csv.out",
        "results/sub/large.csv.out",
        "results/sub/other.csv.out",
    ]

    def body(key: str) -> bytes:
        return bytes(s3.get_object(Bucket="data", Key=key)["Body"].read())

    assert body("results/small.csv.out") == b"1,2,3.0\n3,4,7.0\n"
    assert body("results/sub/other.csv.out") == b"5,5,10.0\n"
    assert body("results/sub/large.csv.out") == f"{wide},240.0\n".encode() * 20000
    head = s3.head_object(Bucket="data", Key="results/sub/large.csv.out")
    assert "-" in head["ETag"]  # a multipart upload's ETag is "<md5 of parts>-<count>"


def test_a_prefix_without_a_slash_names_outputs_after_the_key_past_the_prefix(
    s3: Any, pipeline_file: Path
) -> None:
    s3.put_object(Bucket="data", Key="plain/in/rows.csv", Body=b"1,2\n")
    s3.put_object(Bucket="data", Key="plain/in/day=2/more.csv", Body=b"3,4\n")
    s3.put_object(Bucket="data", Key="plain/other.csv", Body=b"bad\n")
    request = request_from_options(
        model_name="summer",
        input_uri="s3://data/plain/in",
        output_uri="s3://data/named",
        name="no-slash",
        content_type="text/csv",
        split_type="Line",
        accept="text/csv",
        assemble_with="Line",
    )
    summary = run(
        TransformJob.from_request(request), pipeline_file, runtime="inprocess", terminal=False
    )
    assert summary.ok, summary.lines()
    keys = sorted(
        item["Key"] for item in s3.list_objects_v2(Bucket="data", Prefix="named/")["Contents"]
    )
    assert keys == [f"named/{MANIFEST}", "named/day=2/more.csv.out", "named/rows.csv.out"]


def test_a_prefix_naming_one_object_names_the_output_after_its_last_segment(
    s3: Any, pipeline_file: Path
) -> None:
    from inferline.containers.batch.sources import list_inputs

    s3.put_object(Bucket="data", Key="single/in/rows.csv", Body=b"1,2\n")
    names = [item.name for item in list_inputs("s3://data/single/in/rows.csv", "S3Prefix")]
    assert names == ["rows.csv"]
