"""`inferline transform --engine spark`: the same batch transform job, run by pyspark.

The driver lists the inputs, skips what the manifest says is complete, resolves the
settings exactly as the local engine does (job, then the first container's
/execution-parameters, then the defaults) and cuts every file into record-aligned
pieces of whole batches (`pieces.plan`; files are never mixed). Each piece is one
Spark partition; an executor runs the local engine's `Transform` over it with the
fused in-process pipeline, loaded once per Python worker. Pieces are run in waves of
a few per core (`sc.runJob`), and the driver writes their outputs into the same
``<name>.out`` files in the same order, with the same temporary names, failures,
manifest and summary as the local engine, so the bytes are the local engine's::

    summary = run(job, Path("pipeline.json"), master="local[2]")

On a cluster, the executors read the input (byte ranges) and the model data
themselves, so both must be where every node can reach them (s3://, or a shared
file system); see docs/batch.md.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.batch import sparkenv
from inferline.containers.batch.engine import start_engine
from inferline.containers.batch.job import TransformJob, resolve
from inferline.containers.batch.output import Destination, Manifest, OrderedWriter
from inferline.containers.batch.pieces import (
    PLAN_ERRORS,
    Piece,
    PieceResult,
    Work,
    plan,
    transform_partition,
)
from inferline.containers.batch.progress import Progress
from inferline.containers.batch.runner import Failure, Summary, plan_output, prepare
from inferline.containers.batch.sources import InputFile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("inferline.batch")

DEFAULT_MASTER = "local[*]"
PIECES_PER_CORE = 2
"""Pieces per core and file: enough to keep every core busy, few enough to stay large."""
WAVE_PER_CORE = 4
"""Pieces per core in one wave: bounds what the driver holds of the outputs at once."""
MIN_PIECE_BYTES = 1024 * 1024
MAX_PIECE_BYTES = 256 * 1024 * 1024


def session(master: str | None = None) -> SparkSession:
    """The process's SparkSession: the running one if any, else one on `master`.

    Under spark-submit the master comes from spark-submit; otherwise `master`, or all
    local cores.
    """
    from pyspark.sql import SparkSession

    sparkenv.prepare()
    builder = SparkSession.builder.appName("inferline-transform").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if "PYSPARK_GATEWAY_PORT" not in os.environ:  # not started by spark-submit
        builder = builder.master(master or DEFAULT_MASTER)
    spark = builder.getOrCreate()
    running = spark.sparkContext.master
    if master and running != master:
        log.warning("Spark already runs on %s in this process; using it, not %s", running, master)
    return spark


@dataclass
class FileState:
    """One file's pieces coming back in order to the driver."""

    item: InputFile
    writer: OrderedWriter
    pieces: int
    received: int = 0
    records: int = 0
    failure: Failure | None = None


def run(
    job: TransformJob,
    pipeline: Path,
    *,
    master: str | None = None,
    workdir: Path | None = None,
    terminal: bool | None = None,
    piece_bytes: int | None = None,
) -> Summary:
    """Run `job` on Spark with the model in `pipeline`; files already complete are skipped.

    `piece_bytes` is the input a piece (partition) aims at; by default a file is cut
    into two pieces per core, each 1 MB to 256 MB (a piece is never less than a batch).

    Raises:
        ConfigurationError: bad input or output locations, or settings SageMaker refuses.
        StartupError, ModelLoadError: the pipeline does not load (tried on the driver).
    """
    model, inputs = prepare(pipeline, job)
    with tempfile.TemporaryDirectory(prefix="inferline-transform-") as scratch:
        root = workdir or Path(scratch)
        destination, manifest, summary, todo = plan_output(pipeline, job, inputs, root)
        tally = summary.tally
        if not todo:
            return summary
        # The settings as the local engine resolves them; loading here also reports a
        # pipeline that cannot start before any Spark work is sent.
        with closing(start_engine(model, "inprocess", root, timeout=job.timeout_seconds)) as first:
            summary.settings = resolve(job, first.execution_parameters())
        log.info("[inferline batch]: %s (on Spark)", summary.settings.log_line())
        spark = session(master)
        cores = max(1, spark.sparkContext.defaultParallelism)
        tally.started = time.monotonic()
        total = None if job.compression == "Gzip" else sum(item.size for item in todo)
        progress = Progress(tally, total, terminal=terminal)
        try:
            work = Work(job, summary.settings, model)
            SparkTransform(spark, work, summary, cores, piece_bytes).run(
                todo, destination, manifest, progress, root
            )
        finally:
            tally.stop()
            progress.close()
        summary.failures.sort(key=lambda failure: failure.name)
        return summary


class SparkTransform:
    """Plan the pieces, run them in waves, assemble each file in order."""

    def __init__(
        self, spark: SparkSession, work: Work, summary: Summary, cores: int, piece_bytes: int | None
    ) -> None:
        self.piece_bytes = piece_bytes
        self.spark = spark
        self.work = work
        self.summary = summary
        self.cores = cores

    def run(
        self,
        todo: list[InputFile],
        destination: Destination,
        manifest: Manifest,
        progress: Progress,
        workdir: Path,
    ) -> None:
        self.destination, self.manifest, self.progress = destination, manifest, progress
        pieces: list[Piece] = []
        files: dict[int, FileState] = {}
        for index, item in enumerate(todo):
            target = self.piece_bytes or min(
                max(item.size // (self.cores * PIECES_PER_CORE) + 1, MIN_PIECE_BYTES),
                MAX_PIECE_BYTES,
            )
            writer = OrderedWriter(destination.partial(item.name))
            try:
                planned = plan(index, item, self.work.job, self.work.settings, target, workdir)
            except PLAN_ERRORS as error:
                state = FileState(item, writer, 0)
                state.failure = Failure(item.name, f"{type(error).__name__}: {error}")
                self._settle(state)
                continue
            files[index] = FileState(item, writer, len(planned))
            if not planned:  # an empty file: an empty output, as the local engine writes
                self._settle(files[index])
            pieces += planned
        if not pieces:
            return
        rdd = self.spark.sparkContext.parallelize(pieces, len(pieces))
        function = functools.partial(transform_partition, self.work)
        wave = self.cores * WAVE_PER_CORE
        position = 0
        while position < len(pieces):
            chosen = [
                number
                for number in range(position, min(position + wave, len(pieces)))
                if files[pieces[number].file].failure is None  # a failed file's rest is not sent
            ]
            position += wave
            results: list[PieceResult] = (
                self.spark.sparkContext.runJob(rdd, function, chosen) if chosen else []
            )
            for result in results:
                self._receive(files[result.file], result)
            sent = set(chosen)
            for number in range(position - wave, min(position, len(pieces))):
                state = files[pieces[number].file]
                if number not in sent:
                    state.received += 1
                    self._settle(state)

    def _receive(self, state: FileState, result: PieceResult) -> None:
        tally = self.summary.tally
        with tally.lock:
            tally.records += result.records
            tally.input_bytes += result.input_bytes
            tally.requests += result.requests
            for container, values in result.latencies.items():
                tally.latencies[container].extend(values)
        state.received += 1
        if result.failure is not None:
            if state.failure is None:
                message, first, last = result.failure
                state.failure = Failure(state.item.name, message, first, last)
        elif state.failure is None and result.output is not None:
            state.writer.put(result.ordinal, result.output)
            state.records += result.records
        self.progress.advance(result.input_bytes)
        self._settle(state)

    def _settle(self, state: FileState) -> None:
        """Publish or discard a file once all its pieces are back."""
        if state.received < state.pieces:
            return
        tally = self.summary.tally
        if state.failure is not None:
            state.writer.discard()
            log.error("%s: no output: %s", state.item.location, state.failure.describe())
            tally.files_failed += 1
            self.summary.failures.append(state.failure)
        else:
            digest = state.writer.close()
            self.destination.commit(state.item.name, state.writer.path)
            self.manifest.mark_complete(state.item.name, state.records, state.writer.size, digest)
            tally.files_done += 1
            self.summary.outputs.append(self.destination.location(state.item.name))
        self.progress.file_finished()
