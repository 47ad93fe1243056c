"""Stopping a job between batches, resuming it later, and the progress callback.

`run(stop=...)` is what StopTransformJob sets: the file under way keeps no output
and is not marked complete, so the same job run again finishes it and the result is
the bytes of an uninterrupted run. The stop is set from the progress callback once
the first file is done, so where the job stops never depends on timing.
"""

from __future__ import annotations

import threading
from pathlib import Path

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.output import MANIFEST, PARTIAL
from inferline.containers.batch.runner import JobProgress, run

FILES = 4
ROWS = 5


def job(source: Path, output: Path) -> TransformJob:
    return TransformJob.from_request(
        request_from_options(
            model_name="summer",
            input_uri=str(source),
            output_uri=str(output),
            name="stop-job",
            content_type="text/csv",
            split_type="Line",
            accept="text/csv",
            assemble_with="Line",
            strategy="SingleRecord",
        )
    )


def inputs(root: Path) -> Path:
    source = root / "in"
    source.mkdir()
    for number in range(FILES):
        (source / f"part-{number}.csv").write_text(
            "".join(f"{number},{row}\n" for row in range(ROWS))
        )
    return source


def test_a_stopped_job_keeps_finished_files_and_a_later_run_resumes_the_rest(
    pipeline_file: Path, tmp_path: Path
) -> None:
    source = inputs(tmp_path)
    stop = threading.Event()
    heard: list[JobProgress] = []

    def listen(progress: JobProgress) -> None:
        heard.append(progress)
        if progress.files_done >= 1:
            stop.set()

    output = tmp_path / "out"
    first = run(
        job(source, output),
        pipeline_file,
        runtime="inprocess",
        terminal=False,
        stop=stop,
        on_progress=listen,
    )
    assert first.stopped and not first.ok and not first.failures
    assert first.tally.files_done == 1 and len(first.unfinished) == FILES - 1
    assert "STOPPED" in first.lines()[0]
    assert sorted(path.name for path in output.glob("*.out")) == ["part-0.csv.out"]
    assert not list(output.glob(f"*{PARTIAL}"))  # the interrupted file left nothing behind
    assert (output / MANIFEST).exists()
    # records were reported as they were answered, before any file was done
    assert heard[0].records == 1 and heard[0].files_done == 0
    assert heard[-1].files_total == FILES

    second = run(job(source, output), pipeline_file, runtime="inprocess", terminal=False)
    assert second.ok and not second.stopped
    assert second.tally.files_skipped == 1 and second.tally.files_done == FILES - 1
    uninterrupted = tmp_path / "again"
    whole = run(job(source, uninterrupted), pipeline_file, runtime="inprocess", terminal=False)
    assert whole.ok
    for number in range(FILES):
        name = f"part-{number}.csv.out"
        assert (output / name).read_bytes() == (uninterrupted / name).read_bytes()


def test_a_stop_set_before_the_job_starts_sends_nothing(
    pipeline_file: Path, tmp_path: Path
) -> None:
    source = inputs(tmp_path)
    stop = threading.Event()
    stop.set()
    summary = run(
        job(source, tmp_path / "out"), pipeline_file, runtime="inprocess", terminal=False, stop=stop
    )
    assert summary.stopped and summary.tally.requests == 0
    assert len(summary.unfinished) == FILES
    assert not list((tmp_path / "out").glob("*.out"))
