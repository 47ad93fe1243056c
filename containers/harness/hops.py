"""The HTTP transport of a chain: each hop POSTs to a running container over keep-alive.

Each container has its own keep-alive connection pool (urllib3: the fewest layers
between two hops; docs/benchmarks.md has the per-hop cost). A container that cannot
be reached because its process died is handed to `on_crash` (the deployment restarts
it in the background) and the request fails with a ModelError naming it::

    chain = HttpChain(model, containers, endpoint="abalone", on_crash=restart_later)
    chain.invoke(Request(body, "text/csv"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import urllib3
from urllib3.exceptions import HTTPError as TransportError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as TimeoutError_

from inferline.containers.core.definition import ModelSpec
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES
from inferline.containers.harness.runtime import Container
from inferline.containers.pipeline.chain import (
    DEFAULT_TIMEOUT_SECONDS,
    Chain,
    HopFailed,
    HopReply,
    HopTimedOut,
)

POOL_SIZE = 32
CONNECT_SECONDS = 2.0


class HttpHop:
    """One running container and its keep-alive pool."""

    def __init__(
        self, container: Container, on_crash: Callable[[Container], None] = lambda _: None
    ) -> None:
        self.container = container
        self.on_crash = on_crash
        host, _, port = container.url.removeprefix("http://").partition(":")
        self.pool = urllib3.HTTPConnectionPool(
            host, int(port or 80), maxsize=POOL_SIZE, block=False, retries=False
        )

    @property
    def hostname(self) -> str:
        return self.container.hostname

    @property
    def log_stream(self) -> str:
        return str(self.container.log_path)

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HopReply:
        try:
            response = self.pool.urlopen(
                "POST",
                "/invocations",
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=min(timeout, CONNECT_SECONDS), read=timeout),
                preload_content=True,
            )
        except TransportError as error:
            # NOTE: urllib3's NewConnectionError (refused) subclasses its ConnectTimeoutError.
            if isinstance(error, TimeoutError_) and not isinstance(error, NewConnectionError):
                raise HopTimedOut() from None
            raise HopFailed(self._lost(error)) from None
        return HopReply(response.status, response.headers, response.data)

    def _lost(self, error: Exception) -> str:
        """Why a container could not be reached; a dead one is restarted in the background."""
        if self.container.alive():
            return f"connection to {self.hostname} failed: {_reason(error)}"
        self.on_crash(self.container)
        return (
            f"{self.hostname} is not running (it crashed or is restarting); the harness restarts it"
        )

    def close(self) -> None:
        self.pool.close()


class HttpChain(Chain):
    """A chain over running containers, keeping them at hand for health and restarts."""

    def __init__(
        self,
        model: ModelSpec,
        containers: Sequence[Container],
        *,
        endpoint: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_payload: int = MAX_PAYLOAD_BYTES,
        on_crash: Callable[[Container], None] = lambda _: None,
    ) -> None:
        self.http_hops = [HttpHop(container, on_crash) for container in containers]
        super().__init__(
            model, self.http_hops, endpoint=endpoint, timeout=timeout, max_payload=max_payload
        )

    @property
    def containers(self) -> list[Container]:
        return [hop.container for hop in self.http_hops]


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return str(reason).rpartition("): ")[2] or str(reason)
