"""Batch transform with SageMaker's semantics, on this machine.

`inferline transform PIPELINE.json --input PATH --output DIR` (or ``--job JOB.json``,
a CreateTransformJob request as is) runs every input file through the pipeline and
writes one ``<name>.out`` per file, as a SageMaker batch transform job does::

    from inferline.containers.batch import TransformJob, run
    job = TransformJob.from_request(json.load(open("job.json")))
    summary = run(job, Path("pipeline.json"), runtime="process")

Modules, in the order a job flows through them: `job` (the request, validated
against botocore's shapes), `sources` (files, directories, manifests, s3:// prefixes),
`records` (SplitType), `batching` (BatchStrategy, MaxPayloadInMB), `dataprocessing`
(InputFilter / JoinSource / OutputFilter), `engine` (HTTP containers or in-process
stages), `output` (``.out`` files, the resume manifest), `progress`, `runner`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inferline.containers.batch.job import TransformJob
    from inferline.containers.batch.runner import Summary, run

__all__ = ["Summary", "TransformJob", "run"]


def __getattr__(name: str) -> Any:
    # Lazy, so `inferline --help` does not import boto3 or jsonpath-ng.
    if name == "TransformJob":
        from inferline.containers.batch.job import TransformJob

        return TransformJob
    if name in ("Summary", "run"):
        from inferline.containers.batch import runner

        return getattr(runner, name)
    raise AttributeError(name)
