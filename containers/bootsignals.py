"""Signals sent to a gunicorn worker while it boots: kept for it, not lost.

gunicorn forks a worker with the arbiter's signal handlers in place, and the worker
installs its own only in `init_signals`, after its logging and pipe are set up. A SIGTERM
that reaches it in between runs the arbiter's handler in the child, which queues the
signal on the child's copy of the arbiter, never read: the worker serves on, and a
server stopped just then waits out the graceful timeout (25 s) before the arbiter
SIGKILLs the worker (CI saw it: `inferline serve` with 2 workers, stopped as the second
booted). So the arbiter blocks the signals it and a terminal send its workers around
each fork, the child inherits the mask, and the worker unblocks them once its handlers
are in: the kernel holds a signal sent meanwhile pending and delivers it to them.
"""

from __future__ import annotations

import signal
from typing import Any

from gunicorn.arbiter import Arbiter

# What the arbiter sends a worker (stop, fast stop, reopen the logs, timed out) and what
# a terminal's Ctrl-C sends the whole group.
WORKER_SIGNALS = frozenset(
    {signal.SIGTERM, signal.SIGQUIT, signal.SIGINT, signal.SIGUSR1, signal.SIGABRT}
)


class BootSafeArbiter(Arbiter):
    """gunicorn's arbiter, forking each worker with `WORKER_SIGNALS` blocked (a worker
    class without `UnblocksAfterBoot` is forked as gunicorn does)."""

    def spawn_worker(self) -> Any:
        if not issubclass(self.worker_class, UnblocksAfterBoot):
            return super().spawn_worker()  # it would never unblock them
        before = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
        try:
            return super().spawn_worker()  # the child leaves it only by SystemExit
        finally:
            # In the arbiter, a signal it got during the fork is delivered now (and a
            # stop reaches the new worker too: it is in WORKERS already).
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


class UnblocksAfterBoot:
    """A gunicorn worker mixin: `WORKER_SIGNALS` unblocked once its handlers are in."""

    def init_signals(self) -> None:
        super().init_signals()  # type: ignore[misc]  # the worker's
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)
