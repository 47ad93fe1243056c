"""The serving settings: one frozen object, built once from the environment.

This module is the only reader of environment variables in inferline. Each field
names its variable in its metadata, so `docs/environment.md` and the settings stay
in step (a test compares them)::

    settings = Settings.from_env(os.environ)
    settings.port  # SAGEMAKER_BIND_TO_PORT, else 8080
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES

DEFAULT_MODEL_DIR = Path("/opt/ml/model")
DEFAULT_PORT = 8080
DEFAULT_MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES
BATCH_STRATEGIES = ("MULTI_RECORD", "SINGLE_RECORD")


def _env(name: str, parse: Callable[[str, str], Any] | None = None) -> dict[str, Any]:
    return {"env": name, "parse": parse}


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
    if value not in ("gthread", "sync"):
        raise ConfigurationError(f"{name} must be gthread or sync, got {raw!r}")
    return value


def _path(name: str, raw: str) -> Path:
    return Path(raw)


def _text(name: str, raw: str) -> str | None:
    return raw.strip() or None


def _cpu_count() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    """Everything a serving container reads from its environment."""

    model_dir: Path = field(default=DEFAULT_MODEL_DIR, metadata=_env("SM_MODEL_DIR", _path))
    """Model directory, or a model.tar.gz to extract first."""
    port: int = field(default=DEFAULT_PORT, metadata=_env("SAGEMAKER_BIND_TO_PORT", _port))
    """Port to listen on; SageMaker sets it for every container of a pipeline."""
    host: str = field(default="0.0.0.0", metadata=_env("INFERLINE_BIND_HOST", _text))
    """Address to listen on; 0.0.0.0 inside containers, 127.0.0.1 for local runs."""
    safe_port_range: tuple[int, int] | None = field(
        default=None, metadata=_env("SAGEMAKER_SAFE_PORT_RANGE", _port_range)
    )
    """Inclusive range for any second port a container needs."""
    program: str | None = field(default=None, metadata=_env("SAGEMAKER_PROGRAM", _text))
    """The user's inference script (e.g. inference.py)."""
    submit_directory: Path | None = field(
        default=None, metadata=_env("SAGEMAKER_SUBMIT_DIRECTORY", _path)
    )
    """Where the inference script lives when not in <model_dir>/code."""
    workers: int = field(
        default_factory=_cpu_count, metadata=_env("SAGEMAKER_MODEL_SERVER_WORKERS", _positive_int)
    )
    """Gunicorn worker processes."""
    worker_class: str = field(
        default="gthread", metadata=_env("INFERLINE_WORKER_CLASS", _worker_class)
    )
    """Gunicorn worker class: gthread (keep-alive, pings beside inferences) or sync."""
    threads: int = field(default=4, metadata=_env("INFERLINE_WORKER_THREADS", _positive_int))
    """Threads per worker (gthread): keep-alive hops and pings served beside inferences."""
    timeout: int = field(default=60, metadata=_env("SAGEMAKER_MODEL_SERVER_TIMEOUT", _positive_int))
    """Seconds a request may take before its worker is restarted."""
    default_accept: str | None = field(
        default=None, metadata=_env("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", _text)
    )
    """Accept used when a request sends none or */*; else the stage's own default."""
    log_level: int = field(default=20, metadata=_env("SAGEMAKER_CONTAINER_LOG_LEVEL", _log_level))
    """Python log level of the server (20 = INFO)."""
    batch: bool = field(default=False, metadata=_env("SAGEMAKER_BATCH", _bool))
    """True inside a batch transform job."""
    batch_strategy: str | None = field(
        default=None, metadata=_env("SAGEMAKER_BATCH_STRATEGY", _batch_strategy)
    )
    """MULTI_RECORD or SINGLE_RECORD, when the batch job sets it."""
    max_concurrent_transforms: int | None = field(
        default=None, metadata=_env("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS", _positive_int)
    )
    """Concurrent /invocations a batch job sends, when it sets it."""
    max_payload_in_mb: int | None = field(
        default=None, metadata=_env("SAGEMAKER_MAX_PAYLOAD_IN_MB", _positive_int)
    )
    """Largest batch payload, when the batch job sets it; raises the request limit to match."""
    max_request_bytes: int = field(
        default=DEFAULT_MAX_REQUEST_BYTES,
        metadata=_env("SAGEMAKER_MAX_REQUEST_SIZE", _positive_int),
    )
    """Largest request body in bytes (6 MB, as InvokeEndpoint)."""
    stage: str | None = field(default=None, metadata=_env("INFERLINE_STAGE", _text))
    """Stage kind (sklearn, sparkml, ...); detected from the model directory when unset."""
    sklearn_method: str | None = field(
        default=None, metadata=_env("INFERLINE_SKLEARN_METHOD", _text)
    )
    """Estimator method the sklearn stage calls (transform, predict, predict_proba, ...)."""
    sparkml_schema: str | None = field(
        default=None, metadata=_env("SAGEMAKER_SPARKML_SCHEMA", _text)
    )
    """SparkML input/output schema (JSON), as the AWS SparkML container reads it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from an environment mapping; keyword overrides win (CLI flags).

        Raises:
            ConfigurationError: a variable does not parse; the message names it.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name, parse = spec.metadata["env"], spec.metadata["parse"]
            if name in environ:
                values[spec.name] = parse(name, environ[name])
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    @property
    def request_limit(self) -> int:
        """Bytes accepted in one request: the 6 MB default, or the batch job's payload size."""
        batch_limit = (self.max_payload_in_mb or 0) * 1024 * 1024
        return max(self.max_request_bytes, batch_limit)


def environment_variables() -> dict[str, str]:
    """Every variable the settings read, mapped to its field name."""
    return {spec.metadata["env"]: spec.name for spec in fields(Settings)}
