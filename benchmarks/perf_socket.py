"""What the socket itself costs a hop: loopback TCP against a Unix socket, no HTTP.

Two processes ping-pong a request-sized and an answer-sized message (300 and 200 bytes,
about a one-row hop's) over a connected socket, sequentially, as a hop's client and a
container do; each side's CPU per round trip comes from getrusage (the server's from
wait4, so it is its own). docs/benchmarks.md cites it where it weighs Unix sockets
between the harness and its containers.

    .venv/bin/python benchmarks/perf_socket.py [--trips 20000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import tempfile
import time
from pathlib import Path

REQUEST = b"y" * 300
ANSWER = b"x" * 200


def _answer_until_closed(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    if listener.family == socket.AF_INET:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while connection.recv(65536):
        connection.sendall(ANSWER)


def round_trips(family: socket.AddressFamily, address: str | tuple[str, int], trips: int) -> str:
    """One measurement: `trips` round trips, the wall time and each side's CPU per trip."""
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen()
    server = os.fork()
    if server == 0:
        _answer_until_closed(listener)
        os._exit(0)
    client = socket.socket(family, socket.SOCK_STREAM)
    client.connect(listener.getsockname())
    if family == socket.AF_INET:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for _ in range(trips):
        client.sendall(REQUEST)
        client.recv(65536)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    client.close()
    _, _, usage = os.wait4(server, 0)
    listener.close()
    client_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    server_cpu = usage.ru_utime + usage.ru_stime  # includes its accept: negligible
    name = "loopback TCP" if family == socket.AF_INET else "Unix socket"
    return (
        f"| {name} | {wall / trips * 1e6:.1f} | {client_cpu / trips * 1e6:.1f} "
        f"| {server_cpu / trips * 1e6:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    print("| socket | round trip µs | client CPU µs | server CPU µs |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(options.rounds):  # alternating, TCP first each round
            print(round_trips(socket.AF_INET, ("127.0.0.1", 0), options.trips))
            path = str(Path(folder) / f"round-{round_number}.sock")
            print(round_trips(socket.AF_UNIX, path, options.trips))


if __name__ == "__main__":
    main()
