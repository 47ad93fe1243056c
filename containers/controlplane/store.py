"""What the control plane created, kept in one state file that survives a restart.

Each resource is kept as the JSON its Describe operation answers (ARN, times as epoch
seconds, status), so describing is reading and restarting is loading::

    <home>/controlplane/resources.json   {"models": {name: {...}}, "endpointConfigs": ...,
                                          "endpoints": ..., "transformJobs": ...}

Writes are atomic (a temporary file renamed over the old one): a reader, or a crash,
never sees half a file. One lock guards every change; callers hold `store.lock`
around read-modify-save sequences.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import StateError

STATE_FILE = "resources.json"  # state.json beside it is the running server's (harness format)
KINDS = ("models", "endpointConfigs", "endpoints", "transformJobs")
ACCOUNT = "123456789012"  # the account id every local ARN carries (moto's, too)
# The resource type each kind has in an ARN: arn:aws:sagemaker:<region>:<account>:<type>/<name>
ARN_TYPES = {
    "models": "model",
    "endpointConfigs": "endpoint-config",
    "endpoints": "endpoint",
    "transformJobs": "transform-job",
}

Record = dict[str, Any]


# The region of the request being answered: the one its SigV4 credential scope names.
REGION: ContextVar[str] = ContextVar("region", default="us-east-1")


def arn(kind: str, name: str) -> str:
    """The resource's ARN in the caller's region; SageMaker writes names lower-case in ARNs."""
    return f"arn:aws:sagemaker:{REGION.get()}:{ACCOUNT}:{ARN_TYPES[kind]}/{name.lower()}"


def now() -> float:
    return round(time.time(), 3)


@dataclass
class Store:
    """The resources of one control plane, by kind then name."""

    directory: Path
    resources: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def open(cls, directory: Path) -> Store:
        """The store in `directory`, loaded from its state file when there is one.

        Raises:
            StateError: the state file exists but cannot be read.
        """
        store = cls(directory)
        path = directory / STATE_FILE
        if path.exists():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                raise StateError(f"cannot read the control plane's state {path}: {error}") from None
            for kind in KINDS:
                store.resources[kind] = dict(loaded.get(kind, {}))
        return store

    def get(self, kind: str, name: str) -> Record | None:
        """A copy of the record: answering it while another thread changes it is safe."""
        with self.lock:
            record = self.resources[kind].get(name)
            return copy.deepcopy(record) if record is not None else None

    def all(self, kind: str) -> list[Record]:
        with self.lock:
            return copy.deepcopy(list(self.resources[kind].values()))

    def put(self, kind: str, name: str, record: Record) -> None:
        with self.lock:
            self.resources[kind][name] = record
            self.save()

    def update(self, kind: str, name: str, **changes: Any) -> Record | None:
        """Change some fields of a record (None removes a field); None if it is gone."""
        with self.lock:
            record = self.resources[kind].get(name)
            if record is None:
                return None
            for key, value in changes.items():
                if value is None:
                    record.pop(key, None)
                else:
                    record[key] = value
            self.save()
            return record

    def remove(self, kind: str, name: str) -> None:
        with self.lock:
            self.resources[kind].pop(name, None)
            self.save()

    def save(self) -> None:
        with self.lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            temporary = self.directory / (STATE_FILE + ".tmp")
            temporary.write_text(json.dumps(self.resources, indent=1, sort_keys=True))
            temporary.replace(self.directory / STATE_FILE)
