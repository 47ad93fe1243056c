"""Loopback ports for the containers of a pipeline, SageMaker style.

Each container gets a block of consecutive free ports: the first is its
SAGEMAKER_BIND_TO_PORT, the rest its SAGEMAKER_SAFE_PORT_RANGE for any second port
it needs. Blocks are checked free by binding them on 127.0.0.1, and are drawn from
below the kernel's ephemeral range: a port in that range can be taken, between the
check and the container's bind, as the source port of any outgoing connection
(the harness's own, to the other containers).
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass
from pathlib import Path

from inferline.containers.core.errors import InferlineError

BLOCK = 8
FIRST_PORT = 20000
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
ATTEMPTS = 200


def last_port() -> int:
    """The port before the kernel's ephemeral range (Linux's default starts at 32768)."""
    try:
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(low - 1, FIRST_PORT + 4 * BLOCK)


@dataclass(frozen=True)
class Allocation:
    """A container's port and its safe range for a second one."""

    port: int
    safe_range: tuple[int, int]

    @property
    def environment(self) -> dict[str, str]:
        low, high = self.safe_range
        return {
            "SAGEMAKER_BIND_TO_PORT": str(self.port),
            "SAGEMAKER_SAFE_PORT_RANGE": f"{low}-{high}",
        }


def allocate(taken: set[int] | None = None) -> Allocation:
    """A free block of BLOCK ports on loopback, avoiding `taken` (updated in place).

    Raises:
        InferlineError: no free block found after many tries.
    """
    taken = taken if taken is not None else set()
    last = last_port()
    for _ in range(ATTEMPTS):
        first = random.randrange(FIRST_PORT, last - BLOCK)  # noqa: S311  # spreads port blocks, not a secret
        block = range(first, first + BLOCK)
        if taken.isdisjoint(block) and all(is_free(port) for port in block):
            taken.update(block)
            return Allocation(first, (first + 1, first + BLOCK - 1))
    raise InferlineError(f"no block of {BLOCK} free loopback ports found in {FIRST_PORT}-{last}")


def is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
