"""Run a batch transform job: every file split, batched, invoked and assembled in order.

Files are read one after another; each file's batches go to a pool of
MaxConcurrentTransforms threads (that many requests in flight, as SageMaker sends
them), and the next file's batches start while the last ones of the previous file
are still answered. Batches of one file are never mixed with another's. A failed
batch (after ModelClientConfig's retries) fails its file: its remaining batches are
not sent, its partial output is removed, and the job goes on with the other files.

Stopping: a `stop` event set while the job runs (StopTransformJob) sends no further
batch; batches already in flight finish, and a file that still had batches to send
is neither published nor marked complete, so running the job again resumes it.
`on_progress` is called with a `JobProgress` after every batch and every file.

Retries: a batch is sent again (up to InvocationsMaxRetries times) only when the
container failed on its side (5xx, a crash, a timeout); a 4xx says the data is
wrong, and sending the same bytes again would get the same answer.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.batch import dataprocessing
from inferline.containers.batch.batching import Batch, RecordTooLarge, batches
from inferline.containers.batch.dataprocessing import Processor, RecordError
from inferline.containers.batch.engine import Engine, start_engine
from inferline.containers.batch.job import Settings, TransformJob, container_environment, resolve
from inferline.containers.batch.output import Destination, Manifest, OrderedWriter, assembler
from inferline.containers.batch.progress import Progress, Tally
from inferline.containers.batch.records import SplitError, split
from inferline.containers.batch.sources import InputFile, check_apart, list_inputs, open_input
from inferline.containers.core import definition
from inferline.containers.core.definition import ModelSpec
from inferline.containers.core.errors import ConfigurationError, InvocationError, ModelError
from inferline.containers.pipeline import Request

log = logging.getLogger("inferline.batch")

RETRY_PAUSE_SECONDS = 1.0  # doubled per retry: a crashed container is restarted meanwhile
MAX_RETRY_PAUSE_SECONDS = 8.0


@dataclass(frozen=True)
class Failure:
    """Why one input file has no output."""

    name: str
    message: str
    first: int | None = None
    last: int | None = None

    def describe(self) -> str:
        where = f" (records {self.first}-{self.last})" if self.first is not None else ""
        return f"{self.name}{where}: {self.message}"


@dataclass(frozen=True)
class JobProgress:
    """How far a running job is, as `run`'s `on_progress` callback sees it."""

    files_total: int
    files_done: int
    files_skipped: int
    files_failed: int
    records: int
    requests: int

    @classmethod
    def of(cls, tally: Tally) -> JobProgress:
        with tally.lock:
            return cls(
                tally.files_total,
                tally.files_done,
                tally.files_skipped,
                tally.files_failed,
                tally.records,
                tally.requests,
            )


ProgressCallback = Callable[[JobProgress], None]


@dataclass
class Summary:
    """What a job did; `ok` when every file has its output (a stopped job is not ok)."""

    tally: Tally
    settings: Settings | None
    failures: list[Failure] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    """Files left without output because the job was stopped (a later run does them)."""

    @property
    def stopped(self) -> bool:
        return bool(self.unfinished)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unfinished

    def lines(self) -> list[str]:
        tally = self.tally
        outcome = "STOPPED" if self.stopped else "complete" if self.ok else "FAILED"
        lines = [
            f"transform {outcome}: {tally.files_done} file(s) written, "
            f"{tally.files_skipped} already complete, {tally.files_failed} failed; "
            f"{tally.records} records, {tally.input_bytes / (1024 * 1024):.1f} MB in "
            f"{tally.requests} requests, {tally.seconds:.1f} s ({tally.rate():.0f} records/s)"
        ]
        if self.settings is not None:
            lines.append(f"settings: {self.settings.log_line()}")
        if tally.latencies:
            lines.append("latency per container:")
            lines += tally.latency_lines()
        lines += [f"failed: {failure.describe()}" for failure in self.failures]
        if self.unfinished:
            lines.append(f"stopped before finishing: {', '.join(sorted(self.unfinished))}")
        return lines


def load_model(pipeline: Path) -> ModelSpec:
    """The one model a transform job runs (a CreateModel file, or an endpoint with one variant)."""
    spec = definition.load(pipeline)
    if len(spec.variants) != 1:
        raise ConfigurationError(
            f"{pipeline} has {len(spec.variants)} variants; a transform job runs one model"
        )
    model = spec.variants[0].model
    if model.is_direct:
        raise ConfigurationError(
            f"model {model.name} is Direct (multi-container); a transform job needs a "
            "Serial pipeline"
        )
    return model


def with_batch_environment(model: ModelSpec, job: TransformJob) -> ModelSpec:
    """The model with the batch job's variables added to every container's Environment."""
    extra = container_environment(job)
    containers = tuple(
        dataclasses.replace(container, environment={**container.environment, **extra})
        for container in model.containers
    )
    return dataclasses.replace(model, containers=containers)


def prepare(pipeline: Path, job: TransformJob) -> tuple[ModelSpec, list[InputFile]]:
    """The job's model (with the batch environment) and its input files, checked.

    Shared by the local and the Spark engine, so both refuse the same jobs.
    """
    model = with_batch_environment(load_model(pipeline), job)
    if job.model_name != model.name:
        log.warning(
            "the job names ModelName %s; running %s from %s", job.model_name, model.name, pipeline
        )
    if job.data_type == "S3Prefix":
        check_apart(job.input_uri, job.output_uri)
    return model, list_inputs(job.input_uri, job.data_type)


def plan_output(
    pipeline: Path, job: TransformJob, inputs: list[InputFile], root: Path
) -> tuple[Destination, Manifest, Summary, list[InputFile]]:
    """Where the output goes, what the manifest says is done, and the files still to do."""
    destination = Destination(job.output_uri, root)
    manifest = Manifest(destination, job.fingerprint(pipeline.read_bytes()))
    tally = Tally(files_total=len(inputs))
    todo = [item for item in inputs if not manifest.is_complete(item.name)]
    tally.files_skipped = len(inputs) - len(todo)
    return destination, manifest, Summary(tally, None), todo


def run(
    job: TransformJob,
    pipeline: Path,
    *,
    runtime: str = "process",
    workdir: Path | None = None,
    terminal: bool | None = None,
    stop: threading.Event | None = None,
    on_progress: ProgressCallback | None = None,
) -> Summary:
    """Run `job` with the model in `pipeline`; files already complete are skipped.

    Setting `stop` ends the job early (see the module docstring); `on_progress` hears
    how far it is after every batch and file.

    Raises:
        ConfigurationError: bad input or output locations, or settings SageMaker refuses.
        StartupError, ModelLoadError: the pipeline did not come up.
    """
    model, inputs = prepare(pipeline, job)
    with tempfile.TemporaryDirectory(prefix="inferline-transform-") as scratch:
        root = workdir or Path(scratch)
        destination, manifest, summary, todo = plan_output(pipeline, job, inputs, root)
        tally = summary.tally
        if tally.files_skipped:
            log.info(
                "%d of %d files are already complete (manifest)", tally.files_skipped, len(inputs)
            )
        stop = stop or threading.Event()
        if not todo:
            return summary
        if stop.is_set():
            summary.unfinished = [item.name for item in todo]
            return summary
        with closing(start_engine(model, runtime, root, timeout=job.timeout_seconds)) as engine:
            if stop.is_set():  # stopped while its containers were starting
                summary.unfinished = [item.name for item in todo]
                return summary
            summary.settings = resolve(job, engine.execution_parameters())
            log.info("[inferline batch]: %s", summary.settings.log_line())
            engine.allow_payload(summary.settings.max_payload_bytes)
            tally.started = time.monotonic()  # the rate counts transforming, not starting
            total = None if job.compression == "Gzip" else sum(item.size for item in todo)
            progress = Progress(tally, total, terminal=terminal)
            transform = Transform(job, summary, engine, destination, manifest, progress, root)
            transform.stop, transform.on_progress = stop, on_progress
            try:
                transform.run(todo)
            finally:
                tally.stop()
                progress.close()
        summary.failures.sort(key=lambda failure: failure.name)
        summary.unfinished.sort()
        return summary


class FileRun:
    """One input file in flight: its writer, its outstanding batches, its fate."""

    def __init__(self, item: InputFile, writer: OrderedWriter) -> None:
        self.item = item
        self.writer = writer
        self.lock = threading.Lock()
        self.submitted = 0
        self.finished = 0
        self.records = 0
        self.all_submitted = False
        self.failure: Failure | None = None
        self.stopped = False
        """A batch was left unsent by a stop: no output, not complete."""
        self.closed = False

    @property
    def failed(self) -> bool:
        return self.failure is not None


class Transform:
    """The job's loop over files and batches (see the module docstring)."""

    def __init__(
        self,
        job: TransformJob,
        summary: Summary,
        engine: Engine,
        destination: Destination,
        manifest: Manifest,
        progress: Progress,
        workdir: Path,
    ) -> None:
        self.job = job
        self.summary = summary
        self.settings = summary.settings
        assert self.settings is not None
        self.engine = engine
        self.destination = destination
        self.manifest = manifest
        self.progress = progress
        self.workdir = workdir
        self.processor = Processor(job)
        self.assemble = assembler(job.assemble_with)
        self.accept_type = dataprocessing.base_type(job.accept)
        concurrent = self.settings.max_concurrent
        self.slots = threading.BoundedSemaphore(concurrent * 2)
        self.pool = ThreadPoolExecutor(max_workers=concurrent, thread_name_prefix="inferline-batch")
        self.crashes: list[BaseException] = []
        """What broke in a worker outside a batch (publishing an output, say)."""
        self.stop = threading.Event()
        self.on_progress: ProgressCallback | None = None

    def run(self, files: list[InputFile]) -> None:
        try:
            for position, item in enumerate(files):
                if self.stop.is_set():
                    with self.summary.tally.lock:
                        self.summary.unfinished += [later.name for later in files[position:]]
                    break
                self._submit_file(item)
        finally:
            self.pool.shutdown(wait=True)
        if self.crashes:
            raise self.crashes[0]  # surfaces here, not silently in a thread

    def _submit_file(self, item: InputFile) -> None:
        assert self.settings is not None
        state = FileRun(item, OrderedWriter(self.destination.partial(item.name)))
        multi = self.settings.strategy == "MultiRecord" and self.job.split_type != "None"
        try:
            with open_input(item, self.job.compression, self.workdir) as stream:
                records = split(stream, self.job.split_type, keep_padding=multi)
                for batch in batches(
                    records,
                    multi_record=multi,
                    max_bytes=self.settings.max_payload_bytes,
                    separator=b"" if self.job.split_type == "RecordIO" else b"\n",
                    prepare=self.processor.prepare,
                    keep_records=self.processor.per_record_output,
                ):
                    if state.failed:
                        break
                    self.slots.acquire()
                    if self.stop.is_set():
                        self.slots.release()
                        with state.lock:
                            state.stopped = True
                        break
                    with state.lock:
                        state.submitted += 1
                    self.pool.submit(self._batch, state, batch)
        except (
            RecordTooLarge,
            SplitError,
            RecordError,
            OSError,
            EOFError,
            UnicodeDecodeError,
        ) as error:
            self._fail(state, Failure(item.name, f"{type(error).__name__}: {error}"))
        with state.lock:
            state.all_submitted = True
        self._settle(state)

    def _batch(self, state: FileRun, batch: Batch) -> None:
        try:
            if self.stop.is_set():  # queued, not yet sent: left for the next run
                with state.lock:
                    state.stopped = True
            elif not state.failed:
                self._deliver(state, batch)
        finally:
            with state.lock:
                state.finished += 1
            self.slots.release()
            try:
                self._settle(state)
            except BaseException as error:  # noqa: BLE001 - kept and raised by run()
                self.crashes.append(error)

    def _deliver(self, state: FileRun, batch: Batch) -> None:
        try:
            data = self._answer(batch)
        except (InvocationError, RecordError) as error:
            message = error.message if isinstance(error, InvocationError) else str(error)
            self._fail(state, Failure(state.item.name, message, batch.first, batch.last))
            return
        except Exception as error:  # a stage's bug in-process: fail the file, name it
            log.exception("batch of %s failed", state.item.name)
            message = f"{type(error).__name__}: {error}"
            self._fail(state, Failure(state.item.name, message, batch.first, batch.last))
            return
        with state.lock:
            if state.failed:
                return
            try:
                state.writer.put(batch.index, data)
            except OSError as error:  # the output disk is full (ENOSPC) or gone
                message = f"writing {state.writer.path.name} failed: {error}"
                state.failure = Failure(state.item.name, message, batch.first, batch.last)
                return
            state.records += batch.count
        self.progress.advance(batch.input_bytes)
        self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(JobProgress.of(self.summary.tally))
        except Exception:  # a listener's bug must not fail the batch it heard about
            log.exception("the progress callback failed")

    def _answer(self, batch: Batch) -> bytes:
        """Invoke (with retries) and turn the answer into the bytes written for the batch."""
        request = Request(batch.payload, self.job.content_type, self.job.accept)
        attempts = 1 + self.job.max_retries
        for attempt in range(attempts):
            try:
                result = self.engine.invoke(request)
                break
            except ModelError as error:
                if error.original_status < 500 or attempt == attempts - 1:
                    raise
                pause = min(RETRY_PAUSE_SECONDS * 2**attempt, MAX_RETRY_PAUSE_SECONDS)
                log.warning(
                    "records %d-%d: %s; retrying in %.0f s",
                    batch.first,
                    batch.last,
                    error.message,
                    pause,
                )
                time.sleep(pause)
        self.summary.tally.add_request(batch.count, batch.input_bytes, result.latencies)
        if not self.processor.per_record_output:
            return self.assemble([result.body])
        media = dataprocessing.base_type(result.content_type) or self.accept_type
        answers = dataprocessing.split_output(result.body, batch.count, media)
        return self.assemble(
            [
                self.processor.finish(record, answer)
                for record, answer in zip(batch.records, answers, strict=True)
            ]
        )

    def _fail(self, state: FileRun, failure: Failure) -> None:
        with state.lock:
            if state.failure is None:
                state.failure = failure

    def _settle(self, state: FileRun) -> None:
        """Publish or discard the file once none of its batches is outstanding (once)."""
        with state.lock:
            if state.closed or not state.all_submitted or state.finished < state.submitted:
                return
            state.closed = True
        tally = self.summary.tally
        if state.failure is None and state.stopped:
            state.writer.discard()
            log.info("%s: stopped before its last batch; a later run resumes it", state.item.name)
            with tally.lock:
                self.summary.unfinished.append(state.item.name)
            return
        if state.failure is not None:
            state.writer.discard()
            log.error("%s: no output: %s", state.item.location, state.failure.describe())
            with tally.lock:
                tally.files_failed += 1
                self.summary.failures.append(state.failure)
        else:
            try:
                digest = state.writer.close()
                self.destination.commit(state.item.name, state.writer.path)
                self.manifest.mark_complete(
                    state.item.name, state.records, state.writer.size, digest
                )
            except OSError as error:  # the output disk filled up as the file was finished
                state.failure = Failure(state.item.name, f"writing the output failed: {error}")
                state.writer.discard()
                log.error("%s: no output: %s", state.item.location, state.failure.describe())
                with tally.lock:
                    tally.files_failed += 1
                    self.summary.failures.append(state.failure)
                self.progress.file_finished()
                return
            with tally.lock:
                tally.files_done += 1
                self.summary.outputs.append(self.destination.location(state.item.name))
        self.progress.file_finished()
        self._report()
