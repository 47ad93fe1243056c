"""Sending the hostile corpus: over HTTP with exact headers, or raw bytes on a socket.

http.client, not requests: a missing Content-Type must stay missing, and a server
that answers 413 before reading a 6 MB body may close while the body is still going
out, which is a normal ending here (the answer is read if it came).
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from pathlib import Path

from tests.hostile.corpus import Hostile

TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Outcome:
    """What a hostile request got: a status and JSON error (None: no answer expected)."""

    status: int | None
    error: str | None = None
    message: str | None = None
    content_type: str | None = None


def send(port: int, hostile: Hostile, path_prefix: str = "") -> Outcome:
    if hostile.raw is not None:
        return _send_raw(port, hostile)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        connection.putrequest(hostile.method, path_prefix + hostile.path, skip_accept_encoding=True)
        headers = dict(hostile.headers)
        if hostile.content_type is not None:
            headers["Content-Type"] = hostile.content_type
        headers["Content-Length"] = str(len(hostile.body))
        for name, value in headers.items():
            connection.putheader(name, value)
        try:
            connection.endheaders(hostile.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (413) and closed before the body was all sent
        response = connection.getresponse()
        return _outcome(response.status, response.getheader("Content-Type"), response.read())
    finally:
        connection.close()


def _send_raw(port: int, hostile: Hostile) -> Outcome:
    assert hostile.raw is not None
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS) as sock:
        sock.sendall(hostile.raw)
        if hostile.expect is None:
            return Outcome(None)  # cut off: the client goes away without an answer
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return _outcome(status, headers.get("Content-Type"), body)


def _outcome(status: int, content_type: str | None, body: bytes) -> Outcome:
    try:
        document = json.loads(body)
    except ValueError:
        return Outcome(status, content_type=content_type)
    if not isinstance(document, dict):
        return Outcome(status, content_type=content_type)
    error, message = document.get("error"), document.get("message") or document.get("Message")
    return Outcome(status, error, message, content_type)


def rss_bytes(master: int) -> int:
    """Resident memory of a gunicorn master and its workers, from /proc."""
    pids = [master] + [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(int(entry.name)) == master
    ]
    return sum(_rss(pid) for pid in pids)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) * 1024
