"""`--engine spark` on local[2]: the local engine's bytes, failures and manifest.

Every test runs the same job on both engines (the local one in-process, itself proven
byte-identical to the HTTP chain by tests/training/test_inprocess.py and
tests/batch/test_examples.py; the example pipelines are also run over HTTP here) and
compares the outputs byte for byte. Pieces are
made small (`piece_bytes`) so that each file is cut into several Spark partitions.
One SparkSession serves the whole test session (the training fixture's, when it ran
first: `spark.session` takes the running one).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inferline.containers.batch import spark
from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.output import MANIFEST
from inferline.containers.batch.pieces import plan
from inferline.containers.batch.runner import Summary, run
from inferline.containers.batch.sources import InputFile
from inferline.training import data
from inferline.training.examples import Trained

MASTER = "local[2]"


def make_job(source: Path, output: Path, **options: Any) -> TransformJob:
    model_name = options.pop("model_name", "summer")
    settings: dict[str, Any] = {
        "content_type": "text/csv",
        "accept": "text/csv",
        "split_type": "Line",
        "assemble_with": "Line",
        "strategy": "MultiRecord",
        **options,
    }
    request = request_from_options(
        model_name=model_name,
        input_uri=str(source),
        output_uri=str(output),
        name="spark",
        **settings,
    )
    return TransformJob.from_request(request)


def both_engines(
    pipeline: Path, source: Path, tmp_path: Path, piece_bytes: int, **options: Any
) -> tuple[Summary, Summary]:
    """The job on the local engine (in-process) and on Spark; their summaries."""
    local = run(
        make_job(source, tmp_path / "local", **options),
        pipeline,
        runtime="inprocess",
        terminal=False,
    )
    distributed = spark.run(
        make_job(source, tmp_path / "spark", **options),
        pipeline,
        master=MASTER,
        terminal=False,
        piece_bytes=piece_bytes,
    )
    return local, distributed


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*.out"))
    }


def test_pieces_end_where_batches_end(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_bytes(b"".join(b"%d,1\n" % number for number in range(1000)) + b"\n\n")
    job = make_job(source, tmp_path / "out", strategy="SingleRecord")
    from inferline.containers.batch.job import resolve

    settings = resolve(job, {})
    item = InputFile("rows.csv", source.stat().st_size, str(source))
    pieces = plan(0, item, job, settings, 500, tmp_path)
    assert len(pieces) > 5
    assert pieces[0].start == 0 and pieces[-1].end == source.stat().st_size
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert before.end == after.start  # contiguous: no byte lost or read twice
    body = source.read_bytes()
    for piece in pieces:
        assert piece.end is not None
        chunk = body[piece.start : piece.end]
        assert chunk.startswith(b"%d," % (piece.first_record - 1))  # record-aligned
        assert chunk.endswith(b"\n")


def test_spark_writes_the_local_engines_bytes(pipeline_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    shuffle = random.Random(7)
    rows = [",".join(str(shuffle.randint(0, 99)) for _ in range(4)) for _ in range(3000)]
    (source / "a.csv").write_text("\n".join(rows) + "\n")
    (source / "sub" / "b.csv").write_text("\n".join(reversed(rows[:700])) + "\n")
    (source / "empty.csv").write_text("")
    local, distributed = both_engines(
        pipeline_file, source, tmp_path, 2000, strategy="SingleRecord"
    )
    assert local.ok and distributed.ok, distributed.lines()
    written = outputs(tmp_path / "spark")
    assert written == outputs(tmp_path / "local")
    assert set(written) == {"a.csv.out", "sub/b.csv.out", "empty.csv.out"}
    assert len(written["a.csv.out"].splitlines()) == 3000
    assert distributed.tally.records == 3700
    assert distributed.tally.requests == local.tally.requests == 3700
    manifest = json.loads((tmp_path / "spark" / MANIFEST).read_text())
    assert sorted(manifest["complete"]) == ["a.csv", "empty.csv", "sub/b.csv"]


def test_dataprocessing_through_spark(pipeline_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("".join(f"id{number},{number},{number % 7}\n" for number in range(2000)))
    local, distributed = both_engines(
        pipeline_file,
        source,
        tmp_path,
        3000,
        strategy="SingleRecord",
        input_filter="$[1:]",
        join_source="Input",
        output_filter="$[0,-1]",
    )
    assert local.ok and distributed.ok, distributed.lines()
    answer = (tmp_path / "spark" / "rows.csv.out").read_bytes()
    assert answer == (tmp_path / "local" / "rows.csv.out").read_bytes()
    assert answer.splitlines()[3] == b"id3,6.0"  # the id joined back, the sum of 3 and 3


def test_a_failed_record_fails_its_file_only(pipeline_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "good.csv").write_text("".join(f"{number},1\n" for number in range(500)))
    (source / "bad.csv").write_text(
        "".join(f"{number},1\n" if number != 321 else "bad,1\n" for number in range(500))
    )
    local, distributed = both_engines(pipeline_file, source, tmp_path, 600, strategy="SingleRecord")
    assert not distributed.ok
    assert [failure.name for failure in distributed.failures] == ["bad.csv"]
    failure = distributed.failures[0]
    assert (failure.first, failure.last) == (322, 322)  # the file's record number
    assert failure.describe() == local.failures[0].describe()
    assert outputs(tmp_path / "spark") == outputs(tmp_path / "local")
    assert set(outputs(tmp_path / "spark")) == {"good.csv.out"}
    assert not list((tmp_path / "spark").rglob("*.partial"))


def test_a_second_run_skips_what_is_complete(pipeline_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("1,2\n3,4\n")
    job = make_job(source, tmp_path / "out")
    first = spark.run(job, pipeline_file, master=MASTER, terminal=False)
    assert first.ok and first.tally.files_done == 1
    again = spark.run(job, pipeline_file, master=MASTER, terminal=False)
    assert again.tally.files_skipped == 1 and again.tally.records == 0
    assert (tmp_path / "out" / "rows.csv.out").read_bytes() == b"3.0\n7.0\n"


@pytest.mark.parametrize(
    "name", ["abalone-sklearn", "abalone-sparkml", "car-evaluation", "dbpedia"]
)
def test_example_pipelines_give_the_local_engines_bytes(
    name: str, trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    example = trained(name)
    samples = [sample for sample in example.samples if sample.content_type == "text/csv"]
    rows = [line for sample in samples for line in sample.body.splitlines() if line.strip()]
    source = tmp_path / "rows.csv"
    source.write_text("\n".join(rows * 30) + "\n")
    local, distributed = both_engines(
        example.out / "pipeline.json",
        source,
        tmp_path,
        source.stat().st_size // 5,
        model_name=example.name,
        accept=samples[0].accept,
        strategy="SingleRecord",
    )
    assert local.ok and distributed.ok, distributed.lines()
    assert outputs(tmp_path / "spark") == outputs(tmp_path / "local")
    assert distributed.tally.records == len(rows) * 30
    # ... and the HTTP chain's (the local engine's default runtime), the same job.
    http = run(
        make_job(
            source,
            tmp_path / "http",
            model_name=example.name,
            accept=samples[0].accept,
            strategy="SingleRecord",
        ),
        example.out / "pipeline.json",
        runtime="process",
        terminal=False,
    )
    assert http.ok, http.lines()
    assert outputs(tmp_path / "spark") == outputs(tmp_path / "http")


def test_abalone_multirecord_batches_survive_the_cut(
    trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    """MaxPayloadInMB=1 over a 2.6 MB file: three batches, each one Spark piece."""
    example = trained("abalone-sklearn")
    rows = [line.rsplit(",", 1)[0] for line in data.ABALONE.read_text().splitlines() if line]
    source = tmp_path / "abalone.csv"
    source.write_text("\n".join(rows * 24) + "\n")
    local, distributed = both_engines(
        example.out / "pipeline.json",
        source,
        tmp_path,
        1,
        model_name=example.name,
        max_payload=1,
    )
    assert local.ok and distributed.ok, distributed.lines()
    assert distributed.tally.requests == local.tally.requests >= 3
    assert outputs(tmp_path / "spark") == outputs(tmp_path / "local")


def test_the_command_line_runs_on_spark(pipeline_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("1,2\n3,4\n")
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferline.containers",
            "transform",
            str(pipeline_file),
            "--input",
            str(source),
            "--output",
            str(tmp_path / "out"),
            "--content-type",
            "text/csv",
            "--accept",
            "text/csv",
            "--split-type",
            "Line",
            "--engine",
            "spark",
            "--master",
            MASTER,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert (tmp_path / "out" / "rows.csv.out").read_bytes() == b"3.0\n7.0"  # AssembleWith None
    assert "transform complete: 1 file(s) written" in answer.stderr
