"""A model server's lifecycle: start it, wait until /ping answers 200, stop it, read its log.

One helper for every place that runs a server: the process runtime's containers, the
docker runtime's log files, a deployment's health check, the tests and benchmarks::

    server = lifecycle.start(command, url="http://127.0.0.1:8080", log_path=log, env=env)
    lifecycle.wait_ready([server], seconds=60)   # StartupError, with the log tail, if not
    server.log_tail()
    server.stop()                                # SIGTERM, grace, SIGKILL of the group

A server runs in its own session (its own process group), so a Ctrl-C meant for its
parent does not reach it, and stopping the group also stops workers a crashed master
left behind (they would hold the port). Its life is still tied to its parent's: on
Linux it gets SIGTERM (a graceful gunicorn stop) the moment the process that started
it dies, even by SIGKILL, so no server outlives a crashed harness (`tie_to_parent`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

import urllib3

from inferline.containers.core.errors import StartupError

PING_TIMEOUT_SECONDS = 2.0  # SageMaker's timeout for one /ping
POLL_SECONDS = 0.05
STOP_SECONDS = 20.0
LOG_TAIL_LINES = 20
LOG_JOIN_SECONDS = 5.0
COPY_EVERY_SECONDS = 0.02  # a log line's delay at most; fewer wake-ups of the harness
COPY_READ_BYTES = 64 * 1024
COPY_CATCH_UP_SECONDS = 5 * COPY_EVERY_SECONDS
COPY_PIPE_BYTES = 1024 * 1024  # Linux's default pipe-max-size: 50 MB/s of log lines
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_DEATH_SIGNAL = signal.SIGTERM  # gunicorn's graceful stop: workers go too


class Process(Protocol):
    """A running server process: a `subprocess.Popen`, or a container a zygote forked."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...


class Pingable(Protocol):
    """Anything whose readiness is a 200 from GET <url>/ping while it runs."""

    @property
    def hostname(self) -> str:
        """The name errors show."""
        ...

    @property
    def url(self) -> str: ...

    @property
    def log_path(self) -> Path: ...

    def alive(self) -> bool: ...


@dataclass
class ServerProcess:
    """A started server process, its log file and (when its lines are prefixed) the copier."""

    process: Process
    url: str
    log_path: Path
    hostname: str = "server"
    _copier: threading.Thread | None = field(default=None, repr=False)
    _caught_up: bool = field(default=False, repr=False)  # the copier, after the exit

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        """Whether the process runs. The first time it is seen to have exited, this waits
        for the copier to catch up (its end, or a few of its pauses while workers left
        behind still hold the pipe), so that its last lines are in the file to be read."""
        if self.process.poll() is None:
            return True
        if self._copier is not None and not self._caught_up:
            self._copier.join(COPY_CATCH_UP_SECONDS)
            self._caught_up = True
        return False

    def wait_ready(self, seconds: float) -> None:
        """Wait until /ping answers 200; `StartupError` with the log tail if it never does."""
        wait_ready([self], seconds, noun="server")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, grace: float = STOP_SECONDS) -> int:
        """Stop the server and its process group; its exit code (negative: killed by a signal)."""
        code = stop(self.process, grace)
        if self._copier is not None:
            self._copier.join(LOG_JOIN_SECONDS)  # the log is complete once the pipe closes
        return code


def start(
    command: Sequence[str],
    *,
    url: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    hostname: str = "server",
    prefix_lines: bool = False,
) -> ServerProcess:
    """Start `command` in its own session, its output appended to `log_path`.

    With `prefix_lines`, each line of output is written as ``<hostname> | <line>`` (so
    the logs of a pipeline's containers can be read together); otherwise the process
    writes the file itself. The server is tied to this process (`tie_to_parent`).
    Returns at once: readiness is `wait_ready`'s.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    environment = dict(env) if env is not None else None
    if not prefix_lines:
        with log_path.open("ab") as log:  # the child keeps its own descriptor
            process = spawn(command, stdout=log, env=environment)
        return ServerProcess(process, url, log_path, hostname)
    process = spawn(command, stdout=subprocess.PIPE, env=environment)
    assert process.stdout is not None
    copier = copy_lines(process.stdout, log_path, hostname)
    return ServerProcess(process, url, log_path, hostname, copier)


# Linux sends the parent-death signal when the *thread* that forked the child exits, not
# the process: a container restarted from a short-lived restart thread would be killed as
# that thread ends. So every server is forked by this one thread, which lives as long as
# the process does.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inferline-spawner")


def spawn(
    command: Sequence[str],
    *,
    stdout: int | IO[bytes],
    env: dict[str, str] | None,
    blocked: Sequence[signal.Signals] = (),
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Popen `command` in a session of its own, stdin closed, stderr into stdout, tied to
    this process: the spawner thread forks it with `tie_to_parent` as its preexec_fn.

    `blocked` signals start blocked in the child (for one that `sigwait`s for them);
    `pass_fds` stay open in it (a zygote's control socket).
    """
    parent = os.getpid()

    def popen() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            pass_fds=pass_fds,
            preexec_fn=tie_to_parent(parent, blocked),  # noqa: PLW1509 - see tie_to_parent
        )

    return _SPAWNER.submit(popen).result()


def tie_to_parent(parent: int, blocked: Sequence[signal.Signals] = ()) -> Callable[[], None] | None:
    """A preexec_fn asking Linux for `PARENT_DEATH_SIGNAL` when `parent` dies (None
    elsewhere: there the harness's stop, or `daemon.clean_up`, is all there is).

    Python's standard library has no call for prctl(PR_SET_PDEATHSIG), hence ctypes on
    libc; the function is looked up here, before the fork, so the child only makes two
    system calls (and blocks `blocked`) between fork and exec.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl

    def preexec() -> None:
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        prctl(PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the prctl: nobody would signal
            os._exit(1)

    return preexec


def copy_lines(stream: IO[bytes], log_path: Path, hostname: str) -> threading.Thread:
    """Copy `stream` to the end of `log_path` in a thread, each line prefixed with hostname.

    What has arrived is copied at most every COPY_EVERY_SECONDS, not line by line: a
    container writes an access line per request, and waking this process's copier for
    each one cost a pipeline hop about 50 µs (docs/benchmarks.md, "The log copier").
    The pipe is enlarged so that a container logging fast does not wait on it meanwhile.
    A line reaches the file at most that much later; the whole log is there once the
    stream ends, and a process seen to have exited has its last lines in (`ServerProcess`).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)

    def copy() -> None:
        prefix = f"{hostname} | ".encode()
        descriptor = stream.fileno()
        _enlarge_pipe(descriptor)
        pending = bytearray()  # whole lines are written; a line's start waits for its end
        with stream, log_path.open("ab", buffering=0) as log:
            while chunk := os.read(descriptor, COPY_READ_BYTES):
                pending += chunk
                end = pending.rfind(b"\n", len(pending) - len(chunk)) + 1
                if end:
                    lines = bytes(pending[: end - 1]).split(b"\n")
                    log.write(b"".join(prefix + line + b"\n" for line in lines))
                    del pending[:end]
                time.sleep(COPY_EVERY_SECONDS)
            if pending:
                log.write(prefix + pending)

    thread = threading.Thread(target=copy, name=f"log-{hostname}", daemon=True)
    thread.start()
    return thread


def _enlarge_pipe(descriptor: int) -> None:
    """Ask Linux for a pipe of COPY_PIPE_BYTES (a file, or another system: left as it is)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    try:
        fcntl.fcntl(descriptor, set_size, COPY_PIPE_BYTES)
    except OSError:
        pass  # not a pipe, or over /proc/sys/fs/pipe-max-size: the default 64 KB serves


def wait_ready(
    servers: Sequence[Pingable],
    seconds: float,
    *,
    noun: str = "container",
    ping_timeout: float = PING_TIMEOUT_SECONDS,
) -> None:
    """Poll every server's /ping until all answer 200, failing fast for those that exit.

    Raises:
        StartupError: a server exited, or did not answer in time; each is listed with
            its log tail.
    """
    deadline = time.monotonic() + seconds
    pending = list(servers)  # by identity: a pipeline's variants may reuse hostnames
    failed: list[tuple[Pingable, str]] = []
    pool = urllib3.PoolManager(retries=False, timeout=ping_timeout)
    try:
        while pending and time.monotonic() < deadline:
            for server in list(pending):
                if not server.alive():
                    failed.append((server, "exited"))
                    pending.remove(server)
                elif pings(pool, server.url):
                    pending.remove(server)
            if pending:
                time.sleep(POLL_SECONDS)
    finally:
        pool.clear()
    failed += [(server, f"no 200 from /ping within {seconds:g} s") for server in pending]
    if failed:
        report = "\n".join(
            f"- {s.hostname} ({s.log_path.name}): {why}\n{indented(log_tail(s.log_path))}"
            for s, why in failed
        )
        raise StartupError(f"{len(failed)} {noun}(s) did not pass the ping health check:\n{report}")


def pings(pool: urllib3.PoolManager, url: str) -> bool:
    """True if GET <url>/ping answers 200 now."""
    try:
        return pool.request("GET", url + "/ping").status == 200
    except urllib3.exceptions.HTTPError:
        return False


def stop(process: Process, grace: float = STOP_SECONDS) -> int:
    """SIGTERM, up to `grace` seconds to exit, then SIGKILL of its whole process group.

    The group is killed even after a graceful exit: workers a crashed master left
    behind would otherwise keep the port. Returns the exit code; idempotent.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone (PermissionError: macOS, for a group of zombies)
    return process.wait()


def pid_running(pid: int) -> bool:
    """True while `pid` runs (a zombie, exited but not reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file, or why there are none."""
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return "\n".join(tail) or "(empty log)"


def indented(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
