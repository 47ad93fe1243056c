"""Transform jobs: CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

Each job runs in a thread through the batch transform engine (`containers.batch`:
`TransformJob.from_request` validates the request as SageMaker does, `run` starts
the model's containers, splits, batches, invokes and assembles)::

    InProgress -> Completed | Failed (FailureReason: each failed file and why)
    InProgress -> Stopping -> Stopped

StopTransformJob answers at once (Stopping) and sets the engine's stop event: no
further batch is sent, the batches in flight finish, and the job ends as Stopped;
files it had not finished keep no output. DescribeTransformJob adds ``Progress``
(files total/done/failed, records, requests: what the engine's progress callback last
said) beside AWS's members; botocore's parser keeps only the modelled members, so a
boto3 client reads it from the raw answer (docs/control-plane.md shows how), and the
page shows it. A job that was InProgress when the control plane stopped runs again
on the next start; the engine's manifest skips the files it already completed.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferline.containers.controlplane import listing, service
from inferline.containers.controlplane.endpoints import Endpoints, model_document
from inferline.containers.controlplane.errors import (
    ResourceInUse,
    ResourceNotFound,
    ValidationException,
)
from inferline.containers.controlplane.operations import Handler
from inferline.containers.controlplane.store import Record, Store, arn, now
from inferline.containers.core.errors import ConfigurationError, InferlineError

if TYPE_CHECKING:
    from inferline.containers.batch.runner import JobProgress

log = logging.getLogger("inferline.controlplane")

MAX_FAILURE_REASON = 1024
FIELDS = (
    "TransformJobName",
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "DataCaptureConfig",
    "TransformResources",
    "DataProcessing",
    "ExperimentConfig",
)


class TransformJobs:
    """The transform jobs a `Store` records, run with the batch engine."""

    def __init__(self, store: Store, endpoints: Endpoints, workdir: Path, runtime: str) -> None:
        self.store = store
        self.endpoints = endpoints
        self.workdir = workdir
        self.runtime = runtime
        self.progress: dict[str, dict[str, Any]] = {}
        """Job name -> what the engine reported (files and records), for the page."""
        self.reported: dict[str, dict[str, int]] = {}
        """Job name -> DescribeTransformJob's ``Progress``."""
        self._threads: dict[str, threading.Thread] = {}
        self._stops: dict[str, threading.Event] = {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateTransformJob": self.create,
            "DescribeTransformJob": self.describe,
            "ListTransformJobs": self.list,
            "StopTransformJob": self.stop,
        }

    def create(self, request: dict[str, Any]) -> dict[str, Any]:
        from inferline.containers.batch.job import TransformJob

        name = request["TransformJobName"]
        job_arn = arn("transformJobs", name)
        model = self.store.get("models", request["ModelName"])
        if model is None:
            raise ValidationException(
                f'Could not find model "{arn("models", request["ModelName"])}".'
            )
        try:
            TransformJob.from_request(request)
        except ConfigurationError as error:
            raise ValidationException(str(error)) from None
        created = now()
        record = {key: request[key] for key in FIELDS if key in request}
        record.update(
            TransformJobArn=job_arn,
            TransformJobStatus="InProgress",
            CreationTime=created,
            LastModifiedTime=created,
        )
        with self.store.lock:
            if self.store.get("transformJobs", name) is not None:
                raise ResourceInUse(
                    "Job name must be unique within an AWS account and region, and a job "
                    f"with this name already exists ({job_arn})"
                )
            self.store.put("transformJobs", name, record)
        self._start(name, model)
        return {"TransformJobArn": job_arn}

    def describe(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["TransformJobName"]
        job = dict(self._job(name))
        reported = self.reported.get(name)
        if reported is not None:
            job["Progress"] = reported
        return job

    def list(self, request: dict[str, Any]) -> dict[str, Any]:
        return listing.page(
            service.model().operation_model("ListTransformJobs"),
            request,
            self.store.all("transformJobs"),
            "TransformJobName",
            "TransformJobStatus",
        )

    def stop(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["TransformJobName"]
        with self.store.lock:
            job = self._job(name)
            status = job["TransformJobStatus"]
            if status == "InProgress":
                self.store.update(
                    "transformJobs", name, TransformJobStatus="Stopping", LastModifiedTime=now()
                )
                stop = self._stops.get(name)
                if stop is not None:
                    stop.set()
            elif status != "Stopping":
                raise ValidationException(
                    f"The transform job {name} is {status}; only an InProgress job can be stopped."
                )
        return {}

    def restore(self) -> None:
        """After a restart: run again the jobs that were in progress; stopping ones stop."""
        for job in self.store.all("transformJobs"):
            name, status = job["TransformJobName"], job["TransformJobStatus"]
            if status == "Stopping":
                self._finish(name, "Stopped")
            elif status == "InProgress":
                model = self.store.get("models", job["ModelName"])
                if model is None:
                    self._finish(name, "Failed", f"model {job['ModelName']} no longer exists")
                else:
                    self._start(name, model)

    def close(self, seconds: float = 5.0) -> None:
        """Jobs still running are left InProgress, to run again on the next start."""
        for thread in list(self._threads.values()):
            thread.join(seconds)

    def _job(self, name: str) -> Record:
        job = self.store.get("transformJobs", name)
        if job is None:
            raise ResourceNotFound(f"Could not find requested job with name {name}")
        return job

    def _start(self, name: str, model: Record) -> None:
        self._stops[name] = threading.Event()
        thread = threading.Thread(
            target=self._run, args=(name, model), name=f"transform-{name}", daemon=True
        )
        self._threads[name] = thread
        thread.start()

    def _run(self, name: str, model: Record) -> None:
        from inferline.containers.batch.job import TransformJob
        from inferline.containers.batch.runner import JobProgress, run

        folder = self.workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        pipeline = folder / "pipeline.json"
        pipeline.write_text(json.dumps(model_document(model)))
        request = self._job(name)
        self.store.update("transformJobs", name, TransformStartTime=now())
        self.progress[name] = {"state": "starting containers"}

        def heard(progress: JobProgress) -> None:
            self.progress[name], self.reported[name] = cells(progress), member(progress)

        try:
            job = TransformJob.from_request({k: request[k] for k in FIELDS if k in request})
            summary = run(
                job,
                pipeline,
                runtime=self.runtime,
                workdir=folder / "work",
                terminal=False,
                stop=self._stops[name],
                on_progress=heard,
            )
        except (InferlineError, OSError) as error:
            self.progress[name] = {"state": "failed"}
            self._finish(name, "Failed", str(error) or type(error).__name__)
            return
        except Exception as error:  # noqa: BLE001 - reported as FailureReason, never lost
            log.exception("transform job %s failed", name)
            self._finish(name, "Failed", f"{type(error).__name__}: {error}")
            return
        tally = summary.tally
        heard(JobProgress.of(tally))
        if summary.stopped:
            self._finish(name, "Stopped")
        elif not summary.ok:
            reasons = "; ".join(failure.describe() for failure in summary.failures)
            self._finish(name, "Failed", f"{tally.files_failed} file(s) failed: {reasons}")
        else:
            self._finish(name, "Completed")

    def _finish(self, name: str, status: str, reason: str | None = None) -> None:
        self._stops.pop(name, None)
        with self.store.lock:
            job = self.store.get("transformJobs", name)
            if job is None:
                return
            if job["TransformJobStatus"] == "Stopping":
                status = "Stopped"
            if reason is not None and len(reason) > MAX_FAILURE_REASON:
                reason = reason[: MAX_FAILURE_REASON - 3] + "..."
            ended = now()
            self.store.update(
                "transformJobs",
                name,
                TransformJobStatus=status,
                FailureReason=reason if status == "Failed" else None,
                TransformEndTime=ended,
                LastModifiedTime=ended,
            )


def cells(progress: JobProgress) -> dict[str, Any]:
    """A `JobProgress` as the page's Progress cell."""
    return {
        "files": f"{progress.files_done + progress.files_skipped}/{progress.files_total}",
        "failed files": progress.files_failed,
        "records": progress.records,
    }


def member(progress: JobProgress) -> dict[str, int]:
    """A `JobProgress` as DescribeTransformJob's ``Progress``."""
    return {
        "FilesTotal": progress.files_total,
        "FilesDone": progress.files_done + progress.files_skipped,
        "FilesFailed": progress.files_failed,
        "Records": progress.records,
        "Requests": progress.requests,
    }
