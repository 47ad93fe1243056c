"""The front door's socket files: cheroot's reading and writing without `_pyio`.

cheroot reads each request line and header line through `_pyio`, the pure-Python io
module (its makefile prefers it, for its buffer's introspection), and writes through
`_pyio`'s BufferedWriter: a few dozen Python calls per line, per request. These two
classes do what cheroot asks of a makefile (`read`, `readline`, `has_data`, `write`,
`close` and the byte counters), reading with one `recv` into a buffer searched by
`bytes.find`, and writing with `sendall`, a response's head held to leave with its
body. docs/benchmarks.md ("The front door's socket files") has the figures. Timeouts,
resets and an orderly close reach cheroot as the socket raises or returns them, as
through `socket.SocketIO`.
"""

from __future__ import annotations

import socket

RECEIVE_BYTES = 64 * 1024
COALESCE_BYTES = 64 * 1024  # a larger body is sent apart from the head, not copied onto it


class SocketReader:
    """Buffered reads from a blocking socket (with cheroot's timeout)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.bytes_read = 0

    def has_data(self) -> bool:
        """Whether bytes already received wait here (a pipelined request)."""
        return bool(self._buffer)

    def readline(self, size: int | None = -1) -> bytes:
        """Up to and including the next b"\\n", at most `size` bytes, or what is left."""
        limit = -1 if size is None else size
        searched = 0
        while True:
            end = self._buffer.find(b"\n", searched)
            if end >= 0:
                take = end + 1 if limit < 0 else min(end + 1, limit)
                break
            if 0 <= limit <= len(self._buffer):
                take = limit
                break
            searched = len(self._buffer)
            if not self._receive():
                take = len(self._buffer)
                break
        return self._take(take)

    def read(self, size: int | None = -1) -> bytes:
        """`size` bytes (fewer only at the end of the stream); all of it for -1."""
        if size is None or size < 0:
            while self._receive():
                pass
            return self._take(len(self._buffer))
        while len(self._buffer) < size and self._receive():
            pass
        return self._take(min(size, len(self._buffer)))

    def close(self) -> None:
        self._buffer.clear()

    def _receive(self) -> bool:
        data = self._sock.recv(RECEIVE_BYTES)
        self._buffer += data
        return bool(data)

    def _take(self, count: int) -> bytes:
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        self.bytes_read += count
        return data


class SocketWriter:
    """Unbuffered writes (cheroot hands over whole heads and body chunks), except that a
    response's head can be held (`hold_next`) to leave with its body's first bytes: one
    send and one segment, so the client does not read the head alone and wait again."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._holding = False
        self._held = b""
        self.bytes_written = 0

    def hold_next(self) -> None:
        """Keep the next write until the one after it, or until `flush`."""
        self._holding = True

    def write(self, data: bytes) -> int:
        if self._holding:
            self._holding = False
            self._held = bytes(data)
            return len(data)
        if self._held:
            held, self._held = self._held, b""
            if len(data) <= COALESCE_BYTES:
                data = held + data
            else:  # a large body is not copied onto the head
                self._send(held)
        self._send(data)
        return len(data)

    def flush(self) -> None:
        """Send what is held (the head of an answer without a body)."""
        self._holding = False
        if self._held:
            held, self._held = self._held, b""
            self._send(held)

    def close(self) -> None:
        """The connection closes the socket; nothing held is sent any more."""
        self._holding = False
        self._held = b""

    def _send(self, data: bytes) -> None:
        self._sock.sendall(data)
        self.bytes_written += len(data)


def socket_file(
    sock: socket.socket, mode: str = "r", bufsize: int = 0
) -> SocketReader | SocketWriter:
    """cheroot's `MakeFile` signature: a reader for "rb", a writer for "wb"."""
    return SocketReader(sock) if "r" in mode else SocketWriter(sock)
