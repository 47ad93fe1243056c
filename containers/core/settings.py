"""The serving settings: one frozen object, built once from the environment.

This module is the only reader of environment variables in inferline. Each field
names its variable in its metadata (`variable`), so `docs/environment.md` and the
settings stay in step (a test compares them)::

    settings = Settings.from_env(os.environ)
    settings.port  # SAGEMAKER_BIND_TO_PORT, else 8080

A stage kind's own variables (INFERLINE_SKLEARN_METHOD, SAGEMAKER_SPARKML_SCHEMA) are
fields of the kind's settings dataclass in `stages/<kind>/kind.py`, declared the same
way and read with the same parsers and errors: ``read(SklearnSettings, settings.environ)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from inferline.containers.core.archive import MAX_ARCHIVE_MEMBERS
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES

DEFAULT_MODEL_DIR = Path("/opt/ml/model")
DEFAULT_PORT = 8080
DEFAULT_MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES
BATCH_STRATEGIES = ("MULTI_RECORD", "SINGLE_RECORD")


T = TypeVar("T")
Parser = Callable[[str, str], Any]


def variable(name: str, parse: Parser) -> dict[str, Any]:
    """The metadata of a settings field read from the environment variable `name`.

    `parse(name, raw)` turns the raw text into the field's value, raising a
    ConfigurationError that names the variable when it cannot.
    """
    return {"env": name, "parse": parse}


def read(cls: type[T], environ: Mapping[str, str], /, **overrides: Any) -> T:
    """An instance of the settings dataclass `cls`, its variables read from `environ`.

    Keyword overrides that are not None win (command-line flags).

    Raises:
        ConfigurationError: a variable does not parse; the message names it.
    """
    values: dict[str, Any] = {}
    for spec in fields(cls):  # type: ignore[arg-type]  # settings classes are dataclasses
        name = spec.metadata.get("env")
        if name is not None and name in environ:
            values[spec.name] = spec.metadata["parse"](name, environ[name])
    values.update({key: value for key, value in overrides.items() if value is not None})
    return cls(**values)


def variables_of(cls: type[Any]) -> dict[str, str]:
    """Every variable the settings dataclass `cls` reads, mapped to its field name."""
    return {spec.metadata["env"]: spec.name for spec in fields(cls) if "env" in spec.metadata}


def _int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None


def _positive_int(name: str, raw: str) -> int:
    value = _int(name, raw)
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


def _port(name: str, raw: str) -> int:
    value = _int(name, raw)
    if not 0 <= value <= 65535:
        raise ConfigurationError(f"{name} must be a TCP port (0-65535), got {value}")
    return value


def _port_range(name: str, raw: str) -> tuple[int, int]:
    low, sep, high = raw.partition("-")
    if not sep:
        raise ConfigurationError(f"{name} must look like 'LOW-HIGH', got {raw!r}")
    first, last = _port(name, low), _port(name, high)
    if first > last:
        raise ConfigurationError(f"{name} must have LOW <= HIGH, got {raw!r}")
    return first, last


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no", ""):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _log_level(name: str, raw: str) -> int:
    """SageMaker's SDK passes a Python level number (20); names like INFO work too."""
    text = raw.strip().upper()
    if text.isdigit():
        return int(text)
    levels = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40, "CRITICAL": 50}
    if text not in levels:
        raise ConfigurationError(f"{name} must be a log level (20 or INFO), got {raw!r}")
    return levels[text]


def _batch_strategy(name: str, raw: str) -> str:
    value = raw.strip().upper().replace("RECORD", "_RECORD").replace("__", "_")
    if value not in BATCH_STRATEGIES:
        raise ConfigurationError(f"{name} must be MULTI_RECORD or SINGLE_RECORD, got {raw!r}")
    return value


def _worker_class(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("gthread", "gunicorn-gthread", "sync"):
        raise ConfigurationError(f"{name} must be gthread, gunicorn-gthread or sync, got {raw!r}")
    return value


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def text(name: str, raw: str) -> str | None:
    return raw.strip() or None


def _cpu_count() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    """Everything a serving container reads from its environment."""

    model_dir: Path = field(default=DEFAULT_MODEL_DIR, metadata=variable("SM_MODEL_DIR", _path))
    """Model directory, or a model.tar.gz to extract first."""
    port: int = field(default=DEFAULT_PORT, metadata=variable("SAGEMAKER_BIND_TO_PORT", _port))
    """Port to listen on; SageMaker sets it for every container of a pipeline."""
    # SageMaker requires every interface inside a container; `inferline serve --help` says so.
    host: str = field(default="0.0.0.0", metadata=variable("INFERLINE_BIND_HOST", text))  # noqa: S104
    """Address to listen on; 0.0.0.0 inside containers, 127.0.0.1 for local runs."""
    safe_port_range: tuple[int, int] | None = field(
        default=None, metadata=variable("SAGEMAKER_SAFE_PORT_RANGE", _port_range)
    )
    """Inclusive range for any second port a container needs."""
    program: str | None = field(default=None, metadata=variable("SAGEMAKER_PROGRAM", text))
    """The user's inference script (e.g. inference.py)."""
    submit_directory: Path | None = field(
        default=None, metadata=variable("SAGEMAKER_SUBMIT_DIRECTORY", _path)
    )
    """Where the inference script lives when not in <model_dir>/code."""
    workers: int = field(
        default_factory=_cpu_count,
        metadata=variable("SAGEMAKER_MODEL_SERVER_WORKERS", _positive_int),
    )
    """Gunicorn worker processes."""
    worker_class: str = field(
        default="gthread", metadata=variable("INFERLINE_WORKER_CLASS", _worker_class)
    )
    """Gunicorn worker class: gthread (keep-alive, pings beside inferences; each thread waits
    for its own requests, containers/worker.py), gunicorn-gthread (gunicorn's own, which
    hands each request from its main thread to a pool) or sync."""
    threads: int = field(default=4, metadata=variable("INFERLINE_WORKER_THREADS", _positive_int))
    """Threads per worker (gthread): keep-alive hops and pings served beside inferences."""
    timeout: int = field(
        default=60, metadata=variable("SAGEMAKER_MODEL_SERVER_TIMEOUT", _positive_int)
    )
    """Seconds a request may take before its worker is restarted."""
    default_accept: str | None = field(
        default=None, metadata=variable("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", text)
    )
    """Accept used when a request sends none or */*; else the stage's own default."""
    log_level: int = field(
        default=20, metadata=variable("SAGEMAKER_CONTAINER_LOG_LEVEL", _log_level)
    )
    """Python log level of the server (20 = INFO)."""
    batch: bool = field(default=False, metadata=variable("SAGEMAKER_BATCH", _bool))
    """True inside a batch transform job."""
    batch_strategy: str | None = field(
        default=None, metadata=variable("SAGEMAKER_BATCH_STRATEGY", _batch_strategy)
    )
    """MULTI_RECORD or SINGLE_RECORD, when the batch job sets it."""
    max_concurrent_transforms: int | None = field(
        default=None, metadata=variable("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", _positive_int)
    )
    """Concurrent /invocations a batch job sends, when it sets it."""
    max_payload_in_mb: int | None = field(
        default=None, metadata=variable("SAGEMAKER_MAX_PAYLOAD_IN_MB", _positive_int)
    )
    """Largest batch payload, when the batch job sets it; raises the request limit to match."""
    max_request_bytes: int = field(
        default=DEFAULT_MAX_REQUEST_BYTES,
        metadata=variable("SAGEMAKER_MAX_REQUEST_SIZE", _positive_int),
    )
    """Largest request body in bytes (6 MB, as InvokeEndpoint)."""
    max_extracted_bytes: int | None = field(
        default=None, metadata=variable("INFERLINE_MAX_EXTRACTED_BYTES", _positive_int)
    )
    """Most bytes a model.tar.gz may expand to; unset: the smaller of 256 GiB and half the
    free disk (`archive.default_limit`). A bigger archive is refused before extraction."""
    max_archive_members: int = field(
        default=MAX_ARCHIVE_MEMBERS,
        metadata=variable("INFERLINE_MAX_ARCHIVE_MEMBERS", _positive_int),
    )
    """Most members (files, folders, links) a model.tar.gz or MLeap zip bundle may hold
    (100,000). One holding more is refused while its headers are read, before extraction."""
    stage: str | None = field(default=None, metadata=variable("INFERLINE_STAGE", text))
    """Stage kind (sklearn, sparkml, ...); detected from the model directory when unset."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment these were read from, where a stage kind reads its own variables
    (left out of repr: an environment may hold credentials)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from an environment mapping; keyword overrides win (CLI flags).

        Raises:
            ConfigurationError: a variable does not parse; the message names it.
        """
        environ = dict(os.environ if environ is None else environ)
        return read(cls, environ, environ=environ, **overrides)

    @property
    def request_limit(self) -> int:
        """Bytes accepted in one request: the 6 MB default, or the batch job's payload size."""
        batch_limit = (self.max_payload_in_mb or 0) * 1024 * 1024
        return max(self.max_request_bytes, batch_limit)


def environment_variables() -> dict[str, str]:
    """Every variable the serving settings read, mapped to its field name.

    Each stage kind's own variables: `inferline.stages.environment_variables()`.
    """
    return variables_of(Settings)
