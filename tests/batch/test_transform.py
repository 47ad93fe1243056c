"""Batch transform jobs end to end, on the scripted model (tests/batch/conftest.py).

Most jobs load the stage in this process (``inprocess``: no server start per test);
what needs real containers (their environment, /execution-parameters, a crashing
worker) runs with the process runtime, as SageMaker runs containers.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.runner import Summary, run
from inferline.containers.cli import main
from inferline.containers.core.errors import ConfigurationError
from tests.batch.conftest import model_document, write_json

CSV_LINES = {
    "content_type": "text/csv",
    "split_type": "Line",
    "accept": "text/csv",
    "assemble_with": "Line",
}


def transform(
    pipeline: Path,
    input_uri: Path | str,
    output: Path | str,
    runtime: str = "inprocess",
    **options: Any,
) -> Summary:
    request = request_from_options(
        model_name="summer",
        input_uri=str(input_uri),
        output_uri=str(output),
        name="test-job",
        **options,
    )
    return run(TransformJob.from_request(request), pipeline, runtime=runtime, terminal=False)


def test_a_directory_gives_one_out_per_file_with_sub_paths_and_order(
    pipeline_file: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    (source / "a.csv").write_text("1,2\n3,4\n")
    (source / "sub" / "b.csv").write_text("10,1\n20,2\n30,3\n")
    summary = transform(
        pipeline_file, source, tmp_path / "out", **CSV_LINES, strategy="MultiRecord"
    )
    assert summary.ok
    assert (tmp_path / "out" / "a.csv.out").read_bytes() == b"3.0\n7.0\n"
    assert (tmp_path / "out" / "sub" / "b.csv.out").read_bytes() == b"11.0\n22.0\n33.0\n"
    # MultiRecord: one request per file, as records of two files are never mixed.
    assert summary.tally.requests == 2
    manifest = json.loads((tmp_path / "out" / ".inferline-manifest.json").read_text())
    assert sorted(manifest["complete"]) == ["a.csv", "sub/b.csv"]
    assert manifest["complete"]["sub/b.csv"]["records"] == 3


def test_singlerecord_sends_one_request_per_record(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("".join(f"{i},1\n" for i in range(7)))
    summary = transform(
        pipeline_file, tmp_path / "rows.csv", tmp_path / "out", **CSV_LINES, strategy="SingleRecord"
    )
    assert summary.tally.requests == 7
    expected = "".join(f"{float(i + 1)}\n" for i in range(7)).encode()
    assert (tmp_path / "out" / "rows.csv.out").read_bytes() == expected


def test_multirecord_fills_max_payload_without_splitting_records(
    pipeline_file: Path, tmp_path: Path
) -> None:
    row = ",".join(["1"] * 250)  # 499 bytes: 2,400 rows are about 1.1 MB
    (tmp_path / "wide.csv").write_text((row + "\n") * 2400)
    summary = transform(
        pipeline_file,
        tmp_path / "wide.csv",
        tmp_path / "out",
        **CSV_LINES,
        strategy="MultiRecord",
        max_payload=1,
    )
    assert summary.tally.requests == 2
    assert (tmp_path / "out" / "wide.csv.out").read_bytes() == b"250.0\n" * 2400


def test_assemble_with_none_concatenates_answers(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,1\n2,2\n")
    transform(
        pipeline_file,
        tmp_path / "rows.csv",
        tmp_path / "out",
        content_type="text/csv",
        split_type="Line",
        strategy="SingleRecord",
        accept="text/csv",
        assemble_with="None",
    )
    assert (tmp_path / "out" / "rows.csv.out").read_bytes() == b"2.04.0"


def test_gzip_input_and_a_manifest_file(pipeline_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "day=1").mkdir(parents=True)
    with gzip.open(data / "day=1" / "part.csv.gz", "wb") as compressed:
        compressed.write(b"1,1\n2,2\n")
    manifest = write_json(
        tmp_path / "inputs.manifest", [{"prefix": f"file://{data}/"}, "day=1/part.csv.gz"]
    )
    summary = transform(
        pipeline_file,
        manifest,
        tmp_path / "out",
        data_type="ManifestFile",
        compression_type="Gzip",
        **CSV_LINES,
    )
    assert summary.ok
    assert (tmp_path / "out" / "day=1" / "part.csv.gz.out").read_bytes() == b"2.0\n4.0\n"


def test_csv_join_with_id_column_filtered_out_and_back(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text("id-1,1,2\nid-2,3,4\nid-3,5,6\n")
    summary = transform(
        pipeline_file,
        tmp_path / "ids.csv",
        tmp_path / "out",
        **CSV_LINES,
        strategy="MultiRecord",
        input_filter="$[1:]",
        join_source="Input",
        output_filter="$[0,-1]",
    )
    assert summary.ok
    assert (tmp_path / "out" / "ids.csv.out").read_bytes() == b"id-1,3.0\nid-2,7.0\nid-3,11.0\n"


def test_json_lines_join_adds_sagemaker_output(pipeline_file: Path, tmp_path: Path) -> None:
    records = [{"id": 1, "features": [1, 2]}, {"id": 2, "features": [3, 4]}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    summary = transform(
        pipeline_file,
        tmp_path / "rows.jsonl",
        tmp_path / "out",
        content_type="application/jsonlines",
        accept="application/jsonlines",
        split_type="Line",
        assemble_with="Line",
        input_filter="$.features",
        join_source="Input",
        output_filter="$['id','SageMakerOutput']",
    )
    assert summary.ok
    lines = (tmp_path / "out" / "rows.jsonl.out").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "SageMakerOutput": {"score": "3.0"}},
        {"id": 2, "SageMakerOutput": {"score": "7.0"}},
    ]


def test_a_failed_record_fails_only_its_file_and_the_exit_status(
    pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "good.csv").write_text("1,1\n")
    (source / "broken.csv").write_text("".join(f"{i},1\n" for i in range(4)) + "bad,1\n7,7\n")
    (source / "huge.csv").write_text("1," + "1" * (1024 * 1024 + 10) + "\n")
    status = main(
        [
            "transform",
            str(pipeline_file),
            "--input",
            str(source),
            "--output",
            str(tmp_path / "out"),
            "--content-type=text/csv",
            "--split-type=Line",
            "--strategy=MultiRecord",
            "--max-payload=1",
            "--accept=text/csv",
            "--runtime=inprocess",
        ]
    )
    assert status == 1
    outputs = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert outputs == [".inferline-manifest.json", "good.csv.out"]  # no partial files left
    err = capsys.readouterr().err
    assert "failed: broken.csv (records 1-6): Received client error (400) from primary" in err
    assert "bad value in row ['bad', '1']" in err
    assert (
        "failed: huge.csv: RecordTooLarge: record 1 is 1048588 bytes, over MaxPayloadInMB (1 MB"
        in err
    )


def test_a_bad_job_is_refused_before_anything_starts(
    pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_json(tmp_path / "job.json", {"TransformJobName": "x"})
    assert main(["transform", str(pipeline_file), "--job", str(job)]) == 2
    assert 'Missing required parameter in input: "ModelName"' in capsys.readouterr().err


def test_containers_get_the_batch_environment_and_execution_parameters_count(
    script_model: Path, tmp_path: Path
) -> None:
    answered = {"MaxConcurrentTransforms": 2, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": 1}
    pipeline = write_json(
        tmp_path / "model.json",
        model_document(
            script_model,
            EXECUTION_PARAMETERS=json.dumps(answered),
            CRASH_MARKER=str(tmp_path / "crashed"),
        ),
    )
    names = [
        "SAGEMAKER_BATCH",
        "SAGEMAKER_MAX_PAYLOAD_IN_MB",
        "SAGEMAKER_BATCH_STRATEGY",
        "FROM_JOB",
    ]
    (tmp_path / "rows.csv").write_text(
        "".join(f"env,{name}\n" for name in names) + "crash-once,1\n"
    )
    summary = transform(
        pipeline,
        tmp_path / "rows.csv",
        tmp_path / "out",
        runtime="process",
        **CSV_LINES,
        max_payload=3,
        environment={"FROM_JOB": "yes"},
    )
    assert summary.ok, summary.lines()
    # Set by the job: SAGEMAKER_BATCH always, the payload limit; the strategy was not set.
    assert (tmp_path / "out" / "rows.csv.out").read_text().splitlines() == [
        "true",
        "3",
        "unset",
        "yes",
        "recovered",  # the first attempt killed its worker; the retry succeeded
    ]
    assert (tmp_path / "crashed").exists()
    settings = summary.settings
    assert settings is not None
    assert (settings.max_concurrent, settings.strategy, settings.max_payload_mb) == (
        2,
        "SingleRecord",
        3,
    )
    assert settings.origin["MaxPayloadInMB"] == "job"
    assert settings.origin["BatchStrategy"] == "execution-parameters"
    assert summary.tally.requests == 5  # SINGLE_RECORD, as container 1 answered


@pytest.mark.parametrize(("strategy", "requests"), [("MultiRecord", 1), ("SingleRecord", 3)])
def test_recordio_records_are_sent_whole(
    pipeline_file: Path, tmp_path: Path, strategy: str, requests: int
) -> None:
    from inferline.containers.core.codecs.recordio import frame_record

    (tmp_path / "data.rec").write_bytes(b"".join(frame_record(b"x" * size) for size in (3, 8, 0)))
    summary = transform(
        pipeline_file,
        tmp_path / "data.rec",
        tmp_path / "out",
        content_type="application/x-recordio",
        split_type="RecordIO",
        strategy=strategy,
        accept="text/csv",
        assemble_with="Line",
    )
    assert summary.ok, summary.lines()
    assert summary.tally.requests == requests
    assert (tmp_path / "out" / "data.rec.out").read_bytes() == b"3.0\n8.0\n0.0\n"


def test_a_create_transform_job_request_as_is(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,1\n2,2\n")
    request = request_from_options(
        model_name="summer",
        input_uri=f"file://{tmp_path / 'rows.csv'}",
        output_uri=f"file://{tmp_path / 'out'}",
        name="as-is",
        **CSV_LINES,
    )
    job = write_json(tmp_path / "job.json", request)
    assert main(["transform", str(pipeline_file), "--job", str(job), "--runtime", "inprocess"]) == 0
    assert (tmp_path / "out" / "rows.csv.out").read_bytes() == b"2.0\n4.0\n"


def test_job_and_options_do_not_mix(
    pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = write_json(tmp_path / "job.json", {})
    status = main(["transform", str(pipeline_file), "--job", str(job), "--split-type", "Line"])
    assert status == 2
    assert "--job takes the whole request; drop --split-type" in capsys.readouterr().err


def test_the_invocation_timeout_fails_the_record(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,1\nslow,5,late\n")
    summary = transform(
        pipeline_file,
        tmp_path / "rows.csv",
        tmp_path / "out",
        runtime="process",
        **CSV_LINES,
        strategy="SingleRecord",
        invocations_timeout=1,
        invocations_max_retries=0,
    )
    assert not summary.ok
    [failure] = summary.failures
    assert (failure.first, failure.last) == (2, 2)
    assert "primary did not answer within the 1 s invocation timeout" in failure.message
    assert not (tmp_path / "out" / "rows.csv.out").exists()


def test_payloads_past_invoke_endpoints_6_mb_when_max_payload_allows(
    pipeline_file: Path, tmp_path: Path
) -> None:
    row = ",".join(["1"] * 100)  # 200 bytes with its newline: 35,000 rows are 7 MB
    (tmp_path / "big.csv").write_text((row + "\n") * 35000)
    summary = transform(
        pipeline_file,
        tmp_path / "big.csv",
        tmp_path / "out",
        runtime="process",
        **CSV_LINES,
        strategy="MultiRecord",
        max_payload=8,
    )
    assert summary.ok, summary.lines()
    assert summary.tally.requests == 1  # one 7 MB request through the HTTP chain
    assert (tmp_path / "out" / "big.csv.out").read_bytes() == b"100.0\n" * 35000


def test_an_output_inside_the_input_is_refused(pipeline_file: Path, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("1,1\n")
    with pytest.raises(ConfigurationError, match="is inside the input"):
        transform(pipeline_file, tmp_path, tmp_path / "out", **CSV_LINES)
