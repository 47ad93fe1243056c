"""Data capture: SageMaker's capture files, written off the request path.

An endpoint whose config has DataCaptureConfig samples its invocations
(InitialSamplingPercentage) and writes each as one JSON line, SageMaker's format::

    {"captureData": {"endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                                        "data": "1,2", "encoding": "CSV"},
                     "endpointOutput": {... "mode": "OUTPUT" ...}},
     "eventMetadata": {"eventId": uuid, "inferenceId": ..., "inferenceTime": "...Z"},
     "eventVersion": "0"}

into ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm-uuid>.jsonl``.
Bodies whose type is listed in CaptureContentTypeHeader's CsvContentTypes or
JsonContentTypes are kept as text (encoding CSV / JSON); anything else is base64.
The request thread only appends to a queue; one writer thread per endpoint
encodes and writes a file every FLUSH_SECONDS, and `close` writes what is left.
The destination is an s3:// URI (boto3, honouring AWS_ENDPOINT_URL_S3), file:// or a path.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

log = logging.getLogger("inferline.controlplane")

FLUSH_SECONDS = 1.0
TEXT_ENCODINGS = (("CsvContentTypes", "CSV"), ("JsonContentTypes", "JSON"))


@dataclass(frozen=True)
class Event:
    """One sampled invocation, as the request thread saw it."""

    variant: str
    time: datetime
    input_type: str | None
    input_body: bytes
    output_type: str | None
    output_body: bytes
    inference_id: str | None


class Capture:
    """Samples one endpoint's invocations and writes them, per DataCaptureConfig."""

    def __init__(self, endpoint: str, config: dict[str, Any]) -> None:
        self.endpoint = endpoint
        self.percentage = float(config.get("InitialSamplingPercentage", 100))
        modes = {option["CaptureMode"] for option in config.get("CaptureOptions", [])}
        self.modes = modes or {"Input", "Output"}
        self.destination = str(config["DestinationS3Uri"]).rstrip("/")
        headers = config.get("CaptureContentTypeHeader", {})
        self.text_types = {
            media.split(";")[0].strip().lower(): encoding
            for key, encoding in TEXT_ENCODINGS
            for media in headers.get(key, [])
        }
        self.flush_seconds = FLUSH_SECONDS
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._writer = threading.Thread(
            target=self._write_loop, name=f"capture-{endpoint}", daemon=True
        )
        self._writer.start()

    def offer(
        self,
        variant: str,
        input_type: str | None,
        input_body: bytes,
        output_type: str | None,
        output_body: bytes,
        inference_id: str | None,
    ) -> None:
        """Queue the invocation if it falls in the sample; costs the request nothing more."""
        if random.uniform(0, 100) >= self.percentage:  # noqa: S311  # sampling a share of requests, not a secret
            return
        self._queue.put(
            Event(
                variant,
                datetime.now(UTC),
                input_type,
                input_body,
                output_type,
                output_body,
                inference_id,
            )
        )

    def close(self) -> None:
        """Write everything queued, then stop the writer."""
        self._queue.put(None)
        self._writer.join()

    def _write_loop(self) -> None:
        pending: list[Event] = []
        deadline = time.monotonic() + self.flush_seconds
        done = False
        while not done:
            try:
                event = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
                if event is None:
                    done = True
                else:
                    pending.append(event)
            except queue.Empty:
                pass
            if done or time.monotonic() >= deadline:
                if pending:
                    self._flush(pending)
                    pending = []
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self, events: list[Event]) -> None:
        """One file per variant and hour, named after its first event, as SageMaker does."""
        files: dict[str, list[str]] = {}
        for event in events:
            folder = f"{self.endpoint}/{event.variant}/{event.time:%Y/%m/%d/%H}"
            if folder not in files:
                when = event.time
                name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
                files[folder] = [f"{folder}/{name}"]
            files[folder].append(json.dumps(self.line(event)))
        for key, *lines in files.values():
            try:
                _write(self.destination, key, ("\n".join(lines) + "\n").encode())
            except Exception as error:  # noqa: BLE001 - a capture write must not stop serving
                log.error("data capture of %s: cannot write %s: %s", self.endpoint, key, error)

    def line(self, event: Event) -> dict[str, Any]:
        """The capture record of one event, in SageMaker's format."""
        data: dict[str, Any] = {}
        if "Input" in self.modes:
            data["endpointInput"] = self._body(event.input_type, event.input_body, "INPUT")
        if "Output" in self.modes:
            data["endpointOutput"] = self._body(event.output_type, event.output_body, "OUTPUT")
        metadata = {
            "eventId": str(uuid.uuid4()),
            "inferenceTime": event.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if event.inference_id is not None:
            metadata["inferenceId"] = event.inference_id
        return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}

    def _body(self, content_type: str | None, body: bytes, mode: str) -> dict[str, str]:
        media = (content_type or "").split(";")[0].strip().lower()
        encoding = self.text_types.get(media)
        if encoding is not None:
            try:
                text = body.decode()
            except UnicodeDecodeError:
                encoding = None
        if encoding is None:
            encoding, text = "BASE64", base64.b64encode(body).decode()
        return {
            "observedContentType": content_type or "",
            "mode": mode,
            "data": text,
            "encoding": encoding,
        }


def _write(destination: str, key: str, data: bytes) -> None:
    parsed = urlparse(destination)
    if parsed.scheme == "s3":
        import boto3

        prefix = parsed.path.strip("/")
        boto3.client("s3").put_object(
            Bucket=parsed.netloc, Key=f"{prefix}/{key}" if prefix else key, Body=data
        )
        return
    root = Path(unquote(parsed.path) if parsed.scheme == "file" else destination)
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
