"""The state file of a running `inferline up`, read by invoke, update, down and logs.

Each harness keeps ``<home>/<name>/`` (``home`` is ``./.inferline`` by default):
``state.json`` (pid, url, definition, container logs, update generation and answer),
``logs/<container>.log``, ``harness.log`` when detached, and ``update.json`` holding
the definition an `inferline update` asked for.

`harness_id` names this harness process (pid and start time, so a reused pid is not
taken for it); the state file records it, and every container it starts carries it
(`HARNESS_VARIABLE` in a process container's environment, `HARNESS_LABEL` on a docker
container), so `inferline up` can find what a harness that died left running.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from inferline.containers.core.errors import StateError

DEFAULT_HOME = Path(".inferline")
STATE_FILE = "state.json"
UPDATE_FILE = "update.json"
HARNESS_VARIABLE = "INFERLINE_HARNESS"
HARNESS_LABEL = "inferline.harness.id"


@dataclass
class State:
    """What another command needs to know about a running harness."""

    name: str
    pid: int
    url: str
    definition: str
    logs: dict[str, str] = field(default_factory=dict)
    generation: int = 0
    update_error: str | None = None
    answered: str | None = None
    """The request id of the last ``update.json`` handled: whose update_error it is."""
    harness: str = ""
    """`harness_id` of the harness process: what its containers are marked with."""

    def save(self, directory: Path) -> None:
        """Write atomically: readers never see half a file."""
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / (STATE_FILE + ".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2))
        temporary.replace(directory / STATE_FILE)

    @classmethod
    def read(cls, directory: Path) -> State:
        try:
            return cls(**json.loads((directory / STATE_FILE).read_text()))
        except (OSError, ValueError, TypeError) as error:
            raise StateError(f"no running harness in {directory} ({error})") from None


def directory(home: Path, name: str) -> Path:
    return home / name


def find(home: Path, name: str | None) -> tuple[Path, State]:
    """The state of harness `name`, or of the only one running when `name` is None.

    Raises:
        StateError: none, or several and no name given.
    """
    if name is not None:
        folder = directory(home, name)
        return folder, State.read(folder)
    running = sorted(path.parent for path in home.glob(f"*/{STATE_FILE}"))
    if len(running) != 1:
        names = ", ".join(path.name for path in running) or "none"
        raise StateError(f"name the harness: {len(running)} running in {home} ({names})")
    return running[0], State.read(running[0])


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def harness_id(pid: int | None = None) -> str:
    """``<pid>-<start time in clock ticks>`` of a process (this one by default): unique
    on this machine while it runs and after (just the pid where /proc is absent)."""
    pid = os.getpid() if pid is None else pid
    try:
        # The start time is field 22 of /proc/<pid>/stat, counted after the ")" that ends
        # the command name (which may itself hold spaces).
        stat = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return f"{pid}-{stat[19]}"
    except (OSError, IndexError):
        return str(pid)
