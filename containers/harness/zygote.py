"""Warm zygotes: one process per image that imports the heavy modules once and forks containers.

A cold `inferline serve` spends nearly all of its start importing numpy, pandas,
scikit-learn, flask and gunicorn (docs/harness.md, "Cold start and restart"). A zygote
is started once per image by the harness, imports them (and the image's stage loaders),
then forks a container on request: the fork runs `inferline serve` in-process with the
container's own session, environment, log pipe and command line, tied to the zygote
by the parent-death signal as the zygote is tied to the harness. So a pipeline's three
containers share one import, and a crash restart costs a fork and a model load::

    zygote = zygote.for_container("sklearn", (), base, environment)  # None: spawn it
    server = zygote.start(argv, url=..., log_path=..., env=environment, hostname="model")
    server.process.pid, server.alive(), server.stop()

The zygote reaps its children and reports each exit code back on its control socket
(a SOCK_SEQPACKET pair; the log pipe travels with SCM_RIGHTS). A container whose
Environment sets a variable that changes what an import does (`IMPORT_SENSITIVE`:
thread pools, allocators, the interpreter's own) is not forked: the modules it would
import differently are already imported here.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

from inferline.containers.harness import lifecycle

log = logging.getLogger("inferline.harness")

# Variables read when a module is imported (BLAS/OpenMP thread pools, allocators, the
# interpreter's start-up, locale and temp folder): a container setting one to another
# value than the zygote's is spawned, since the zygote imported under its own.
IMPORT_SENSITIVE = (
    "PYTHON",
    "OMP_",
    "OPENBLAS_",
    "GOTO",
    "MKL_",
    "BLIS_",
    "VECLIB_",
    "NUMEXPR_",
    "KMP_",
    "NPY_",
    "NUMPY_",
    "SCIPY_",
    "SKLEARN_",
    "JOBLIB_",
    "XGBOOST_",
    "LD_",
    "MALLOC_",
    "LC_",
    "LANG",
    "TMPDIR",
    "TEMP",
    "TMP",
)
# Imported by every image's `inferline serve`, whatever the stage.
COMMON_IMPORTS = (
    "numpy",
    "pandas",
    "flask",
    "gunicorn.app.base",
    "gunicorn.arbiter",
    "gunicorn.workers.gthread",
    "inferline.containers.app",
    "inferline.containers.server",
)
# Beyond each stage kind's loader and `requires`: what the image's models and scripts
# import when they load (a scikit-learn script's pipeline pieces bring in scipy.stats,
# most of a cold sklearn container's start).
IMAGE_IMPORTS = {
    "sklearn": (
        "sklearn.pipeline",
        "sklearn.compose",
        "sklearn.preprocessing",
        "sklearn.impute",
        "sklearn.linear_model",
        "inferline.stages.sklearn.script",
        "inferline.stages.sklearn.compiled",
    ),
}
# A fork's command line is written over the zygote's own (for ps, and for finding a
# container by its model folder), so the zygote reserves this many bytes for it.
TITLE_BYTES = 4096
MESSAGE_BYTES = 1 << 20
SWITCH = "INFERLINE_ZYGOTE"  # "off": every container is spawned as a fresh interpreter
# For the zygote to answer a fork request; the first waits for its imports, which a
# container would spend anyway (SageMaker gives a container 4 minutes to start).
START_SECONDS = 240.0
ORPHAN_POLL_SECONDS = 0.05

# `python -c BOOT <control fd> <image> <hidden,packages> <title reserve>`.
BOOT = """
import sys
from inferline.containers.harness.zygote import serve_forks
serve_forks(int(sys.argv[1]), sys.argv[2], sys.argv[3])
"""


class NotInThisImage(MetaPathFinder):
    """Hides packages the harness's venv holds but an image does not ship."""

    def __init__(self, absent: set[str]) -> None:
        self.absent = absent

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] in self.absent:
            raise ModuleNotFoundError(f"No module named {name!r} (not in this image)", name=name)
        return None


def hide_modules(absent: set[str]) -> None:
    if absent:
        sys.meta_path.insert(0, NotInThisImage(absent))


def supported() -> bool:
    """Zygotes need fork and Linux's parent-death signal; elsewhere containers are spawned."""
    return sys.platform.startswith("linux")


def import_sensitive(environment: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environment.items() if k.startswith(IMPORT_SENSITIVE)}


# ---------------------------------------------------------------- the harness's side


class ForkedProcess:
    """A container forked by a zygote, as `lifecycle.Process`: not our child, so its exit
    code comes from the zygote's report."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"forked container {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, number: int) -> None:
        # The zygote holds the exited child as a zombie until it reaps and reports it,
        # so the pid is not reused before `returncode` is set.
        if self.returncode is None:
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def exited(self, code: int) -> None:
        self.returncode = code
        self._exited.set()

    def orphaned(self) -> None:
        """The zygote died: the parent-death signal ends the container; wait until it is
        gone (its exit code is lost: reported as that signal's)."""

        def watch() -> None:
            while lifecycle.pid_running(self.pid):
                time.sleep(ORPHAN_POLL_SECONDS)
            self.exited(-int(lifecycle.PARENT_DEATH_SIGNAL))

        threading.Thread(target=watch, name=f"orphan-{self.pid}", daemon=True).start()


class Zygote:
    """A running zygote for one image, and the control socket to it."""

    def __init__(self, image: str, absent: Sequence[str], env: Mapping[str, str]) -> None:
        self.image = image
        self.environment = dict(env)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-c", BOOT, str(theirs.fileno()), image, ",".join(absent)]
        command.append("x" * TITLE_BYTES)
        try:
            # Its own output is nothing: what it has to say comes over the socket.
            self.process = lifecycle.spawn(
                command,
                stdout=subprocess.DEVNULL,
                env=self.environment,
                pass_fds=(theirs.fileno(),),
            )
        finally:
            theirs.close()
        self._socket = ours
        self._lock = threading.Lock()
        self._requests: dict[int, Future[ForkedProcess]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._next = 0
        self._closed = False
        self._shut = False
        self._reader = threading.Thread(target=self._read, name=f"zygote-{image}", daemon=True)
        self._reader.start()

    def alive(self) -> bool:
        return not self._closed and self.process.poll() is None

    def start(
        self,
        argv: Sequence[str],
        *,
        url: str,
        log_path: Path,
        env: Mapping[str, str],
        hostname: str,
    ) -> lifecycle.ServerProcess:
        """Fork `argv` (``inferline serve ...``) with `env`, each output line prefixed with
        `hostname` in `log_path`, as `lifecycle.start(prefix_lines=True)` does.

        Raises:
            OSError: the zygote is gone or did not answer; the caller spawns instead.
        """
        read_end, write_end = os.pipe()
        try:
            process = self._fork(argv, env, write_end)
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        copier = lifecycle.copy_lines(os.fdopen(read_end, "rb"), log_path, hostname)
        return lifecycle.ServerProcess(process, url, log_path, hostname, copier)

    def _fork(self, argv: Sequence[str], env: Mapping[str, str], stdout: int) -> ForkedProcess:
        answer: Future[ForkedProcess] = Future()
        with self._lock:
            if self._closed:
                raise OSError(f"the {self.image} zygote has exited")
            self._next += 1
            number = self._next
            self._requests[number] = answer
            message = json.dumps({"id": number, "argv": list(argv), "env": dict(env)}).encode()
            socket.send_fds(self._socket, [message], [stdout])
        try:
            return answer.result(START_SECONDS)
        except TimeoutError:
            # It may still fork this one later, onto the port a spawned one would take:
            # stopped, it never will (and any fork of it ends with it).
            self.close()
            raise OSError(
                f"the {self.image} zygote did not fork within {START_SECONDS:g} s"
            ) from None

    def _read(self) -> None:
        while True:
            try:
                data = self._socket.recv(MESSAGE_BYTES)
            except OSError:
                data = b""
            if not data:
                break
            message: dict[str, Any] = json.loads(data)
            with self._lock:
                if "started" in message:
                    child = ForkedProcess(message["started"])
                    self._children[child.pid] = child
                    self._requests.pop(message["id"]).set_result(child)
                elif "exited" in message:
                    exited = self._children.pop(message["exited"], None)
                    if exited is not None:  # else a process of the zygote's own
                        exited.exited(message["code"])
                else:
                    log.warning("zygote %s: %s", self.image, message.get("note"))
        self._socket.close()
        with self._lock:
            self._closed = True
            for request in self._requests.values():
                request.set_exception(OSError(f"the {self.image} zygote has exited"))
            self._requests.clear()
            orphans, self._children = list(self._children.values()), {}
        for child in orphans:
            child.orphaned()
        if not self._shut:
            code = self.process.wait()
            log.warning("the %s zygote exited (%s); a new one starts on demand", self.image, code)

    def close(self) -> None:
        """Stop the zygote; containers it forked get the parent-death signal."""
        self._shut = True
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already: the zygote has exited
        lifecycle.stop(self.process, grace=5.0)


_ZYGOTES: dict[tuple[str, tuple[str, ...], str], Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def for_container(
    image: str, absent: Sequence[str], base: Mapping[str, str], environment: Mapping[str, str]
) -> Zygote | None:
    """The zygote (started now if there is none yet) that may fork a container of `image`
    with `environment`; None if it must be spawned (`IMPORT_SENSITIVE`, another OS).

    `base` is what every container of the harness inherits (its shell's variables and
    the harness's mark), the zygote's own environment. One zygote per image, hidden
    packages and import-sensitive settings, for the life of this process; each fork
    then gets its container's whole environment.
    """
    if not supported() or os.environ.get(SWITCH, "on") == "off":
        return None
    sensitive = import_sensitive(base)
    if import_sensitive(environment) != sensitive:
        return None
    key = (image, tuple(absent), json.dumps(sensitive, sort_keys=True))
    with _ZYGOTES_LOCK:
        zygote = _ZYGOTES.get(key)
        if zygote is None or not zygote.alive():
            zygote = Zygote(image, absent, base)
            _ZYGOTES[key] = zygote
    return zygote


# ---------------------------------------------------------------- the zygote's side


def serve_forks(control_fd: int, image: str, absent: str) -> None:
    """The zygote's main loop: import, then fork a container per request until the
    harness closes the socket (or dies: the parent-death signal ends this process)."""
    hide_modules(set(filter(None, absent.split(","))))
    control = socket.socket(fileno=control_fd)
    # Imports allocate millions of objects and no garbage worth collecting: without the
    # collector's passes over them the import takes 20% less CPU (1.6 -> 1.3 s, sklearn).
    # Frozen, they stay out of every fork's collections too (and their pages unwritten),
    # as the gc docs advise for a process that forks workers.
    gc.disable()
    try:
        notes = warm(image)
    finally:
        gc.freeze()
        gc.enable()
    for note in notes:
        control.send(json.dumps({"note": note}).encode())
    set_command_line(["inferline-zygote", image])  # the reserve's padding, off ps
    wake_read, wake_write = socket.socketpair()
    wake_write.setblocking(False)
    signal.set_wakeup_fd(wake_write.fileno())
    signal.signal(signal.SIGCHLD, lambda number, frame: None)  # so the wakeup fd is written
    zygote = os.getpid()

    def report(message: dict[str, Any]) -> None:
        control.send(json.dumps(message).encode())

    while True:
        ready, _, _ = select.select([control, wake_read], [], [])
        if wake_read in ready:
            wake_read.recv(4096)
        for pid, code in reaped():
            report({"exited": pid, "code": code})
        if control in ready:
            data, fds, _, _ = socket.recv_fds(control, MESSAGE_BYTES, 1)
            if not data:
                return  # the harness closed the socket: its containers go with us
            request = json.loads(data)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                for inherited in (control, wake_read, wake_write):
                    inherited.close()
                become_container(request["argv"], request["env"], fds[0], zygote)
            os.close(fds[0])
            report({"started": pid, "id": request["id"]})


def warm(image: str) -> list[str]:
    """Import what every container of `image` imports: the common modules, the command
    line and each of the image's stage loaders. An import that fails is the container's
    to report, when it needs it: here it is only noted."""
    from inferline.containers.images import IMAGES
    from inferline.stages import kinds

    served = [kinds()[name] for name in (IMAGES[image].stages if image in IMAGES else ())]
    loaders = [kind.loader.partition(":")[0] for kind in served]
    required = [module for kind in served for module in kind.requires]
    names = (*COMMON_IMPORTS, "inferline.containers.cli", *required, *loaders)
    notes = []
    for name in dict.fromkeys((*names, *IMAGE_IMPORTS.get(image, ()))):
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - the fork imports it again and fails clearly
            notes.append(f"{name} not preloaded: {type(error).__name__}: {error}")
    from inferline.containers import cli

    cli.parser("serve")  # the one command a container runs (`cli.COMMANDS`)
    return notes


def reaped() -> list[tuple[int, int]]:
    """Every exited child as (pid, exit code: negative for a signal)."""
    found = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        found.append((pid, os.waitstatus_to_exitcode(status)))
    return found


def become_container(argv: list[str], env: dict[str, str], stdout: int, zygote: int) -> None:
    """In the fork: become the container, run `inferline serve`, exit; never returns."""
    code: int = 1
    try:
        os.setsid()
        tie = lifecycle.tie_to_parent(zygote)
        if tie is not None:
            tie()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.dup2(stdout, 1)
        os.dup2(stdout, 2)
        os.close(nothing)
        os.close(stdout)
        os.environ.clear()
        os.environ.update(env)
        set_command_line(argv)
        reseed()
        sys.argv = list(argv)
        from inferline.containers.cli import main

        code = main(argv[1:])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 - a fork must never return into the zygote's loop
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def reseed() -> None:
    """Give the fork its own numpy global random state, as a fresh process has (Python's
    `random` reseeds itself after a fork; numpy's legacy global generator does not)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def set_command_line(argv: Sequence[str]) -> None:
    """Write `argv` over this process's command line (/proc/<pid>/cmdline, ps).

    Written by hand because setproctitle, the library for it, uses the environment's
    memory too, and /proc/<pid>/environ must keep the harness's mark
    (`daemon.marked_processes`); the zygote's last argument reserves `TITLE_BYTES`.
    """
    if not sys.platform.startswith("linux"):
        return
    fields = Path("/proc/self/stat").read_text().rpartition(")")[2].split()
    start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end: fields 48 and 49
    size = end - start
    title = b"\0".join(os.fsencode(part) for part in argv)[: size - 1].ljust(size, b"\0")
    ctypes.memmove(start, title, size)
