"""Output: one ``<name>.out`` per input file, complete or absent, and the resume manifest.

Each file's output is written to a temporary name and only renamed (locally) or
uploaded (s3://, with boto3's managed transfer, multipart past 8 MB) once every record
has its answer, so a failed or interrupted file never leaves a partial ``.out``. The
manifest (``.inferline-manifest.json`` beside the outputs) lists the files already
complete with the size and SHA-256 of each output: a job started again with the same
arguments skips them and finishes the rest, so the result is the same bytes as an
uninterrupted run. A manifest written for different work (another pipeline, input or
setting) is not trusted: the job starts over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from inferline.containers.batch.sources import is_s3, local_path, s3_client, split_s3
from inferline.containers.core.errors import ConfigurationError

log = logging.getLogger("inferline.batch")

MANIFEST = ".inferline-manifest.json"
SUFFIX = ".out"
PARTIAL = ".partial"
MULTIPART_BYTES = 8 * 1024 * 1024


class Destination:
    """Where outputs go: a local directory, or an s3:// prefix staged through `workdir`."""

    def __init__(self, uri: str, workdir: Path) -> None:
        self.uri = uri
        self.s3 = is_s3(uri)
        if self.s3:
            self.bucket, prefix = split_s3(uri)
            self.prefix = prefix.rstrip("/") + "/" if prefix else ""
            self.staging = workdir / "output"
        else:
            self.staging = local_path(uri)
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"cannot create output directory {self.staging}: {error}"
            ) from None

    def location(self, name: str) -> str:
        if self.s3:
            return f"s3://{self.bucket}/{self.prefix}{name}{SUFFIX}"
        return str(self.staging / f"{name}{SUFFIX}")

    def partial(self, name: str) -> Path:
        path = self.staging / f"{name}{SUFFIX}{PARTIAL}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def commit(self, name: str, partial: Path) -> None:
        """Publish a complete output under its final name."""
        if self.s3:
            from boto3.s3.transfer import TransferConfig

            config = TransferConfig(
                multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES
            )
            s3_client().upload_file(
                str(partial), self.bucket, f"{self.prefix}{name}{SUFFIX}", Config=config
            )
            partial.unlink()
        else:
            os.replace(partial, self.staging / f"{name}{SUFFIX}")

    def size_of(self, name: str) -> int | None:
        """The size of a published output, or None if there is none."""
        if self.s3:
            from botocore.exceptions import ClientError

            try:
                head = s3_client().head_object(
                    Bucket=self.bucket, Key=f"{self.prefix}{name}{SUFFIX}"
                )
            except ClientError:
                return None
            return int(head["ContentLength"])
        path = self.staging / f"{name}{SUFFIX}"
        return path.stat().st_size if path.is_file() else None

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            if self.s3:
                from botocore.exceptions import ClientError

                try:
                    body = (
                        s3_client()
                        .get_object(Bucket=self.bucket, Key=self.prefix + MANIFEST)["Body"]
                        .read()
                    )
                except ClientError:
                    return None
                text = body.decode()
            else:
                path = self.staging / MANIFEST
                if not path.is_file():
                    return None
                text = path.read_text()
            document = json.loads(text)
        except ValueError:
            log.warning("the manifest in %s is unreadable; starting over", self.uri)
            return None
        return document if isinstance(document, dict) else None

    def write_manifest(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=1, sort_keys=True)
        if self.s3:
            s3_client().put_object(
                Bucket=self.bucket, Key=self.prefix + MANIFEST, Body=text.encode()
            )
            return
        temporary = self.staging / f"{MANIFEST}{PARTIAL}"
        temporary.write_text(text)
        os.replace(temporary, self.staging / MANIFEST)


class Manifest:
    """Which files of this job are complete; saved after each one."""

    def __init__(self, destination: Destination, fingerprint: str) -> None:
        self.destination = destination
        self.fingerprint = fingerprint
        self._lock = threading.Lock()
        found = destination.read_manifest()
        self.complete: dict[str, dict[str, Any]] = {}
        if found is not None and found.get("fingerprint") == fingerprint:
            self.complete = dict(found.get("complete", {}))
        elif found is not None:
            log.warning(
                "the manifest in %s was written for a different job; starting over", destination.uri
            )

    def is_complete(self, name: str) -> bool:
        entry = self.complete.get(name)
        return entry is not None and self.destination.size_of(name) == entry.get("bytes")

    def mark_complete(self, name: str, records: int, size: int, digest: str) -> None:
        with self._lock:
            self.complete[name] = {
                "output": self.destination.location(name),
                "records": records,
                "bytes": size,
                "sha256": digest,
            }
            self.destination.write_manifest(
                {"version": 1, "fingerprint": self.fingerprint, "complete": self.complete}
            )


class OrderedWriter:
    """Writes a file's batch outputs in batch order, whatever order they arrive in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[bytes] = path.open("wb")
        self._digest = hashlib.sha256()
        self._pending: dict[int, bytes] = {}
        self._next = 0
        self.size = 0

    def put(self, index: int, data: bytes) -> None:
        """Keep batch `index`'s output; write every output now in order (not thread-safe)."""
        self._pending[index] = data
        while self._next in self._pending:
            chunk = self._pending.pop(self._next)
            self._stream.write(chunk)
            self._digest.update(chunk)
            self.size += len(chunk)
            self._next += 1

    @property
    def written(self) -> int:
        """How many batches are on disk."""
        return self._next

    def close(self) -> str:
        """Close the file; its SHA-256."""
        self._stream.close()
        return self._digest.hexdigest()

    def discard(self) -> None:
        try:
            self._stream.close()
        except OSError:
            pass  # flushing what it buffered failed (a full disk): the file goes anyway
        self.path.unlink(missing_ok=True)


def assembler(assemble_with: str) -> Callable[[list[bytes]], bytes]:
    """How answers are laid end to end (AssembleWith).

    Line ends every answer with a newline unless it already ends with one (an answer of
    many lines, as XGBoost's under SAGEMAKER_BATCH, is not given blank lines); None
    concatenates the bytes as they are.
    """
    if assemble_with == "Line":
        return lambda answers: b"".join(
            answer if answer.endswith(b"\n") else answer + b"\n" for answer in answers
        )
    return b"".join
