"""The four example pipelines as batch transforms: many rows per request, both runtimes agree.

Car-evaluation is the example that cannot take several rows per real-time request
(docs/examples.md): as a batch job, SAGEMAKER_BATCH=true makes its XGBoost stage
answer one line per row, so MultiRecord works through all three containers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.runner import Summary, run
from inferline.training import data
from inferline.training.examples import EXAMPLES, Trained
from inferline.training.samples import Sample, parse

REPEATS = 40


def batch_job(trained: Trained, source: Path, output: Path, accept: str) -> TransformJob:
    request = request_from_options(
        model_name=trained.name,
        input_uri=str(source),
        output_uri=str(output),
        name="examples",
        content_type="text/csv",
        accept=accept,
        split_type="Line",
        assemble_with="Line",
        strategy="MultiRecord",
    )
    return TransformJob.from_request(request)


def csv_samples(trained: Trained) -> list[Sample]:
    return [sample for sample in trained.samples if sample.content_type == "text/csv"]


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_both_runtimes_write_the_same_bytes(
    name: str, trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    example = trained(name)
    samples = csv_samples(example)
    assert samples, f"{name} has no CSV sample"
    rows = [line for sample in samples for line in sample.body.splitlines() if line.strip()]
    source = tmp_path / "rows.csv"
    source.write_text("\n".join(rows * REPEATS) + "\n")
    job_output: dict[str, bytes] = {}
    summaries: dict[str, Summary] = {}
    for runtime in ("process", "inprocess"):
        job = batch_job(example, source, tmp_path / runtime, samples[0].accept)
        summaries[runtime] = run(
            job, example.out / "pipeline.json", runtime=runtime, terminal=False
        )
        assert summaries[runtime].ok, summaries[runtime].lines()
        job_output[runtime] = (tmp_path / runtime / "rows.csv.out").read_bytes()
    assert job_output["process"] == job_output["inprocess"]
    answers = parse(job_output["process"], samples[0].accept)
    if isinstance(answers, dict):  # Linear Learner's JSON: one document per request
        answers = answers["predictions"]
    assert len(answers) == len(rows) * REPEATS  # one answer per row
    assert summaries["process"].tally.requests == 1  # MultiRecord: all rows in one request


def test_car_evaluation_over_the_whole_data_set(
    trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    example = trained("car-evaluation")
    rows = [line.rsplit(",", 1)[0] for line in data.CAR.read_text().splitlines() if line]
    source = tmp_path / "cars.csv"
    source.write_text(
        "".join(row + "\n" for row in rows)
        + "".join(sample.body + "\n" for sample in example.samples)
    )
    job = batch_job(example, source, tmp_path / "out", "text/csv")
    summary = run(job, example.out / "pipeline.json", runtime="process", terminal=False)
    assert summary.ok, summary.lines()
    labels = (tmp_path / "out" / "cars.csv.out").read_text().splitlines()
    assert len(labels) == len(rows) + len(example.samples)
    assert set(labels) <= {"unacc", "acc", "good", "vgood"}
    # The samples' answers at training time, now from the batch job.
    assert [[label] for label in labels[len(rows) :]] == [
        sample.expected[0] for sample in example.samples
    ]
    truth = [line.rsplit(",", 1)[1] for line in data.CAR.read_text().splitlines() if line]
    accuracy = sum(label == true for label, true in zip(labels, truth, strict=False)) / len(rows)
    assert accuracy > 0.95  # trained on 80% of these rows; 0.988 on the held-out 20%
