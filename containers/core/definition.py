"""Pipeline and endpoint definitions: the CreateModel / CreateEndpoint JSON, validated.

`inferline up` reads the very request a user sends to SageMaker's CreateModel (or an
endpoint file bundling ProductionVariants with their Models), in JSON or YAML, and
checks it with SageMaker's own rules before anything starts::

    spec = load("pipeline.json")          # an EndpointSpec, one variant "AllTraffic"
    spec.variants[0].model.containers[1].hostname   # "container-2" unless named

A model file becomes an endpoint with one variant named AllTraffic (the SageMaker
Python SDK's default), so everything downstream handles one shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inferline.containers.core.errors import DefinitionError

MAX_CONTAINERS = 15
MAX_ENV_ENTRY_BYTES = 1024
MAX_ENV_TOTAL_BYTES = 32 * 1024
DEFAULT_VARIANT = "AllTraffic"
MODES = ("Serial", "Direct")
# ContainerHostname and EndpointName/VariantName/ModelName patterns from the API reference.
HOSTNAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


@dataclass(frozen=True)
class ContainerSpec:
    """One ContainerDefinition: what to run, its model data, and its environment."""

    hostname: str
    image: str
    model_data_url: str | None = None
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """One CreateModel request: 1 container, or a pipeline of 2-15."""

    name: str
    containers: tuple[ContainerSpec, ...]
    mode: str = "Serial"

    @property
    def is_direct(self) -> bool:
        return self.mode == "Direct"


@dataclass(frozen=True)
class VariantSpec:
    """A production variant: a model and its share of the traffic."""

    name: str
    model: ModelSpec
    weight: float = 1.0


@dataclass(frozen=True)
class EndpointSpec:
    """What one harness endpoint serves: its name and variants."""

    name: str
    variants: tuple[VariantSpec, ...]

    def variant(self, name: str) -> VariantSpec | None:
        return next((variant for variant in self.variants if variant.name == name), None)


def load(path: Path | str, name: str | None = None) -> EndpointSpec:
    """Read and validate a model or endpoint file (JSON or YAML).

    Args:
        path: the CreateModel request, or an endpoint file with ProductionVariants and Models.
        name: the endpoint name to use instead of the file's ModelName / EndpointName.

    Raises:
        DefinitionError: the file is unreadable or breaks a rule; the key is named.
    """
    path = Path(path)
    try:
        document = (
            yaml.safe_load(path.read_text())
            if path.suffix in (".yaml", ".yml")
            else json.loads(path.read_text())
        )
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise DefinitionError(f"cannot read {path}: {error}") from None
    return parse(document, name, base=path.parent)


def parse(document: Any, name: str | None = None, base: Path = Path(".")) -> EndpointSpec:
    """Validate a parsed document; relative local ModelDataUrls are resolved against `base`."""
    document = _mapping(document, "the file")
    if "ProductionVariants" in document:
        return _endpoint(document, name, base)
    model = _model(document, "", base)
    endpoint_name = name or model.name
    _check_name(endpoint_name, "EndpointName")
    return EndpointSpec(endpoint_name, (VariantSpec(DEFAULT_VARIANT, model),))


def _endpoint(document: dict[str, Any], name: str | None, base: Path) -> EndpointSpec:
    endpoint_name = name or _required(document, "EndpointName", "")
    _check_name(endpoint_name, "EndpointName")
    models = {}
    for index, raw in enumerate(_list(document.get("Models", []), "Models")):
        model = _model(raw, f"Models[{index}].", base)
        models[model.name] = model
    variants = []
    raw_variants = _list(document["ProductionVariants"], "ProductionVariants")
    if not raw_variants:
        raise DefinitionError("ProductionVariants must list at least one variant")
    for index, raw in enumerate(raw_variants):
        where = f"ProductionVariants[{index}]."
        raw = _mapping(raw, where[:-1])
        variant_name = _required(raw, "VariantName", where)
        _check_name(variant_name, where + "VariantName")
        model_name = _required(raw, "ModelName", where)
        if model_name not in models:
            raise DefinitionError(
                f"{where}ModelName {model_name!r} is not one of Models "
                f"({', '.join(models) or 'none'})"
            )
        weight = raw.get("InitialVariantWeight", 1.0)
        if not isinstance(weight, (int, float)) or weight < 0:
            raise DefinitionError(
                f"{where}InitialVariantWeight must be a number >= 0, got {weight!r}"
            )
        variants.append(VariantSpec(variant_name, models[model_name], float(weight)))
    names = [variant.name for variant in variants]
    if len(set(names)) != len(names):
        raise DefinitionError(f"ProductionVariants has duplicate VariantName values: {names}")
    if sum(variant.weight for variant in variants) <= 0:
        raise DefinitionError(
            "ProductionVariants: the InitialVariantWeight values must not all be 0"
        )
    return EndpointSpec(endpoint_name, tuple(variants))


def _model(raw: Any, where: str, base: Path) -> ModelSpec:
    raw = _mapping(raw, where[:-1] or "the model")
    name = _required(raw, "ModelName", where)
    _check_name(name, where + "ModelName")
    mode = raw.get("InferenceExecutionConfig", {}).get("Mode", "Serial")
    if mode not in MODES:
        raise DefinitionError(
            f"{where}InferenceExecutionConfig.Mode must be Serial or Direct, got {mode!r}"
        )
    if "PrimaryContainer" in raw and "Containers" in raw:
        raise DefinitionError(f"{where}: give PrimaryContainer or Containers, not both")
    if "PrimaryContainer" in raw:
        raws, key = [raw["PrimaryContainer"]], where + "PrimaryContainer"
    else:
        raws, key = (
            _list(_required(raw, "Containers", where), where + "Containers"),
            where + "Containers",
        )
        if not 1 <= len(raws) <= MAX_CONTAINERS:
            raise DefinitionError(
                f"{key} has {len(raws)} containers; "
                f"a model has 1, or a pipeline of 2 to {MAX_CONTAINERS}"
            )
    containers = _containers(raws, key, base, primary="PrimaryContainer" in raw)
    _check_environment_total(containers, key)
    return ModelSpec(name, containers, mode)


def _containers(raws: list[Any], key: str, base: Path, primary: bool) -> tuple[ContainerSpec, ...]:
    named = [isinstance(raw, dict) and "ContainerHostname" in raw for raw in raws]
    if any(named) and not all(named):
        missing = [f"{key}[{index}]" for index, has in enumerate(named) if not has]
        raise DefinitionError(
            "ContainerHostname must be set on all containers or on none; "
            f"missing on {', '.join(missing)}"
        )
    specs = []
    for index, raw in enumerate(raws):
        where = key if primary else f"{key}[{index}]"
        default = "primary" if primary else f"container-{index + 1}"
        specs.append(_container(_mapping(raw, where), where, default, base))
    hostnames = [spec.hostname for spec in specs]
    duplicates = sorted({host for host in hostnames if hostnames.count(host) > 1})
    if duplicates:
        raise DefinitionError(
            f"{key}: ContainerHostname values must be unique; repeated: {', '.join(duplicates)}"
        )
    return tuple(specs)


def _container(raw: dict[str, Any], where: str, default_hostname: str, base: Path) -> ContainerSpec:
    hostname = raw.get("ContainerHostname", default_hostname)
    if not isinstance(hostname, str) or not HOSTNAME.fullmatch(hostname):
        raise DefinitionError(
            f"{where}.ContainerHostname {hostname!r} must match [a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}"
        )
    image = _required(raw, "Image", where + ".")
    environment = _mapping(raw.get("Environment", {}), where + ".Environment")
    for env_key, value in environment.items():
        if not isinstance(value, str):
            raise DefinitionError(f"{where}.Environment.{env_key} must be a string, got {value!r}")
        if len(str(env_key).encode()) > MAX_ENV_ENTRY_BYTES:
            raise DefinitionError(
                f"{where}.Environment key {str(env_key)[:40]}... "
                f"is over {MAX_ENV_ENTRY_BYTES} bytes"
            )
        if len(value.encode()) > MAX_ENV_ENTRY_BYTES:
            raise DefinitionError(
                f"{where}.Environment.{env_key}: the value is {len(value.encode())} bytes; "
                f"the limit is {MAX_ENV_ENTRY_BYTES}"
            )
    url = raw.get("ModelDataUrl")
    if url is not None and not isinstance(url, str):
        raise DefinitionError(f"{where}.ModelDataUrl must be a string, got {url!r}")
    return ContainerSpec(hostname, image, _resolve_local(url, base), dict(environment))


def _resolve_local(url: str | None, base: Path) -> str | None:
    """Relative local paths are relative to the definition file, not the working directory."""
    if url is None or "://" in url or Path(url).is_absolute():
        return url
    return str((base / url).resolve())


def _check_environment_total(containers: tuple[ContainerSpec, ...], key: str) -> None:
    total = sum(
        len(k.encode()) + len(v.encode())
        for spec in containers
        for k, v in spec.environment.items()
    )
    if total > MAX_ENV_TOTAL_BYTES:
        raise DefinitionError(
            f"{key}: the Environment maps hold {total} bytes in all; "
            f"the limit is {MAX_ENV_TOTAL_BYTES} "
            "for all containers of a model together"
        )


def _check_name(value: Any, key: str) -> None:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise DefinitionError(f"{key} {value!r} must match [a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}")


def _required(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise DefinitionError(f"{where}{key} is required")
    return raw[key]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionError(
            f"{where} must be a mapping (JSON object), got {type(value).__name__}"
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DefinitionError(f"{where} must be a list, got {type(value).__name__}")
    return value
