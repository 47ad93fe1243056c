"""The Spark engine's unit of work: a piece of one input file, made of whole batches.

The driver reads each file once with the local engine's own splitter and batcher
(`records.split`, `batching.batches`, the job's InputFilter) and cuts it where a
batch ends, into pieces of about `target_bytes`; a piece is only a byte range, so the
data itself is read by the executors. Because MultiRecord packs greedily from a batch
boundary, an executor batching its piece alone makes exactly the batches the local
engine makes for that stretch of the file, so answers (a JSON document per request,
say) come out the same bytes. A Gzip file cannot be cut without reading it all, and
SplitType None makes a file one record: either is one piece.

On an executor, `transform_piece` runs the local engine's `Transform` over the piece
(written to a scratch file) with the fused in-process pipeline, which each Python
worker loads once and keeps (`_ENGINES`, keyed by the model and its settings).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import pickle
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.batch.batching import RecordTooLarge, batches
from inferline.containers.batch.dataprocessing import Processor, RecordError
from inferline.containers.batch.engine import Engine, start_engine
from inferline.containers.batch.job import Settings, TransformJob
from inferline.containers.batch.output import SUFFIX, Destination, Manifest
from inferline.containers.batch.progress import Progress, Tally
from inferline.containers.batch.records import SplitError, split
from inferline.containers.batch.sources import InputFile, is_s3, open_input, s3_client, split_s3
from inferline.containers.core.definition import ModelSpec

log = logging.getLogger("inferline.batch")

PLAN_ERRORS = (RecordTooLarge, SplitError, RecordError, OSError, EOFError, UnicodeDecodeError)
"""What fails a file while it is read (the local runner's list)."""
SCRATCH_NAME = "piece"


@dataclass(frozen=True)
class Piece:
    """A record-aligned byte range of one input file: whole batches, in file order."""

    file: int
    """The file's position among the job's files to do."""
    ordinal: int
    """The piece's position among its file's pieces (output order)."""
    name: str
    location: str
    start: int
    end: int | None
    """Past the last byte; None: to the end of the file (read whole, decompressed)."""
    first_record: int
    """The file's record number (1-based) of the piece's first record."""
    input_bytes: int


@dataclass(frozen=True)
class Work:
    """What every executor needs to transform a piece (pickled with the task)."""

    job: TransformJob
    settings: Settings
    model: ModelSpec


@dataclass
class PieceResult:
    """A piece's output, or why it has none, and what it cost."""

    file: int
    ordinal: int
    output: bytes | None
    failure: tuple[str, int | None, int | None] | None
    """(message, first record, last record), record numbers of the whole file."""
    records: int = 0
    input_bytes: int = 0
    requests: int = 0
    latencies: dict[str, list[int]] = field(default_factory=dict)


def plan(
    file: int,
    item: InputFile,
    job: TransformJob,
    settings: Settings,
    target_bytes: int,
    workdir: Path,
) -> list[Piece]:
    """Cut `item` into pieces of whole batches, each about `target_bytes` of input.

    Raises:
        RecordTooLarge, SplitError, RecordError, OSError, ...: the file cannot be read,
        split or filtered; the local engine would fail it the same way.
    """
    multi = settings.strategy == "MultiRecord" and job.split_type != "None"
    if job.compression == "Gzip" or job.split_type == "None":
        return [Piece(file, 0, item.name, item.location, 0, None, 1, item.size)]
    processor = Processor(job)
    pieces: list[Piece] = []
    with open_input(item, "None", workdir) as stream:
        ends: dict[int, int] = {}

        def tracked() -> Iterator[bytes]:
            # A binary file's tell() is exact while it is iterated: where each record ends.
            for number, record in enumerate(split(stream, job.split_type, keep_padding=multi), 1):
                ends[number] = stream.tell()
                yield record

        start, first, size = 0, 1, 0
        for batch in batches(
            tracked(),
            multi_record=multi,
            max_bytes=settings.max_payload_bytes,
            separator=b"" if job.split_type == "RecordIO" else b"\n",
            prepare=processor.prepare,
        ):
            end = ends[batch.last]
            for number in [number for number in ends if number < batch.last]:
                del ends[number]
            size += batch.input_bytes
            if end - start >= target_bytes:
                pieces.append(
                    Piece(file, len(pieces), item.name, item.location, start, end, first, size)
                )
                start, first, size = end, batch.last + 1, 0
        if size:
            pieces.append(
                Piece(file, len(pieces), item.name, item.location, start, item.size, first, size)
            )
    return pieces


_ENGINES: dict[str, tuple[Engine, Path]] = {}
_ENGINES_LOCK = threading.Lock()


def cached_engine(work: Work) -> Engine:
    """This worker's fused pipeline for `work`'s model, loaded on first use."""
    key = hashlib.sha256(pickle.dumps((work.model, work.job.timeout_seconds))).hexdigest()
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            root = Path(tempfile.mkdtemp(prefix="inferline-spark-worker-"))
            try:
                engine = start_engine(
                    work.model, "inprocess", root, timeout=work.job.timeout_seconds
                )
            except BaseException:
                shutil.rmtree(root, ignore_errors=True)
                raise
            engine.allow_payload(work.settings.max_payload_bytes)
            _ENGINES[key] = (engine, root)
        return _ENGINES[key][0]


@atexit.register
def _close_engines() -> None:
    for engine, root in _ENGINES.values():
        engine.close()
        shutil.rmtree(root, ignore_errors=True)
    _ENGINES.clear()


def transform_partition(work: Work, pieces: Iterator[Piece]) -> Iterator[PieceResult]:
    """Spark's partition function: each piece through the fused pipeline."""
    for piece in pieces:
        yield transform_piece(work, piece)


def transform_piece(work: Work, piece: Piece) -> PieceResult:
    """Run the local engine's Transform over one piece; its output or its failure."""
    from inferline.containers.batch.runner import Summary, Transform

    try:
        engine = cached_engine(work)
    except Exception as error:  # a model that does not load fails the file, named
        message = f"the pipeline did not load on a Spark worker: {type(error).__name__}: {error}"
        return PieceResult(piece.file, piece.ordinal, None, (message, None, None))
    with tempfile.TemporaryDirectory(prefix="inferline-spark-piece-") as scratch:
        root = Path(scratch)
        try:
            item = _materialize(piece, root)
        except OSError as error:
            return PieceResult(
                piece.file, piece.ordinal, None, (f"{type(error).__name__}: {error}", None, None)
            )
        destination = Destination(str(root / "out"), root)
        summary = Summary(Tally(files_total=1), work.settings)
        progress = Progress(summary.tally, None, terminal=False)
        manifest = Manifest(destination, "spark-piece")
        Transform(work.job, summary, engine, destination, manifest, progress, root).run([item])
        tally = summary.tally
        result = PieceResult(
            piece.file,
            piece.ordinal,
            None,
            None,
            tally.records,
            tally.input_bytes,
            tally.requests,
            {name: list(values) for name, values in tally.latencies.items()},
        )
        if summary.failures:
            failure = summary.failures[0]
            shift = piece.first_record - 1  # the piece's record numbers -> the file's
            result.failure = (
                failure.message,
                None if failure.first is None else failure.first + shift,
                None if failure.last is None else failure.last + shift,
            )
        else:
            result.output = (root / "out" / f"{SCRATCH_NAME}{SUFFIX}").read_bytes()
        return result


def _materialize(piece: Piece, root: Path) -> InputFile:
    """The piece as a file Transform can read: the whole input, or its byte range copied."""
    if piece.end is None:
        return InputFile(SCRATCH_NAME, piece.input_bytes, piece.location)
    path = root / SCRATCH_NAME
    if is_s3(piece.location):
        bucket, key = split_s3(piece.location)
        if piece.end > piece.start:
            answer = s3_client().get_object(
                Bucket=bucket, Key=key, Range=f"bytes={piece.start}-{piece.end - 1}"
            )
            path.write_bytes(answer["Body"].read())
        else:
            path.write_bytes(b"")
    else:
        with open(piece.location, "rb") as source:
            source.seek(piece.start)
            path.write_bytes(source.read(piece.end - piece.start))
    return InputFile(SCRATCH_NAME, piece.end - piece.start, str(path))
