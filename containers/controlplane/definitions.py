"""A pipeline or endpoint file, as `inferline up PIPELINE` reads it, deployed by API calls.

`deploy_file` turns the file into the very calls a boto3 user makes (CreateModel per
model, CreateEndpointConfig, CreateEndpoint), so an endpoint from a file is described,
updated, captured and deleted like any other::

    name = deploy_file(plane.operations, Path("pipeline.json"))
    # then DescribeEndpoint(name) until InService (the endpoint_in_service waiter)

The file is validated and its relative ModelDataUrls resolved by `definition.load`.
InitialInstanceCount, InstanceType and DataCaptureConfig are read from its
ProductionVariants / top level when present. Resources that already exist with the
same content are reused (a restart of `inferline up` with the same file and home);
one that exists with other content is an error naming it.

`update_file` is SIGHUP's and `inferline update`'s path: the edited file's models
(a changed one under a new name, ``<model>-<serial>``) and a new endpoint config
``<endpoint>-<serial>``, then UpdateEndpoint, which starts the new containers before
the old ones leave (no request lost).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from inferline.containers.controlplane.errors import ValidationException
from inferline.containers.controlplane.operations import Operations
from inferline.containers.core import definition
from inferline.containers.core.definition import ModelSpec

LOCAL_INSTANCE_TYPE = "ml.m5.large"  # recorded only: a copy runs on this machine


def deploy_file(operations: Operations, path: Path, name: str | None = None) -> str:
    """Create the file's models, endpoint config and endpoint; return the endpoint's name.

    Raises:
        DefinitionError: the file is unreadable or breaks SageMaker's rules.
        ApiError: a call was refused (e.g. a model of that name exists with other containers).
    """
    spec = definition.load(path, name)
    models = {variant.model.name: variant.model for variant in spec.variants}
    for model in models.values():
        _ensure(operations, "Model", model.name, model_request(model))
    config = _config_request(spec, _document(path), spec.name, {})
    _ensure(operations, "EndpointConfig", spec.name, config)
    if operations.store.get("endpoints", spec.name) is None:
        operations.call(
            "CreateEndpoint", {"EndpointName": spec.name, "EndpointConfigName": spec.name}
        )
    return spec.name


def update_file(operations: Operations, path: Path, name: str, serial: int) -> str:
    """UpdateEndpoint `name` to the file's content; returns the new endpoint config's name.

    The update itself runs on (DescribeEndpoint: Updating, then InService; a failed one
    keeps the old containers and sets FailureReason).

    Raises:
        DefinitionError: the file is unreadable or breaks SageMaker's rules.
        ApiError: a call was refused.
    """
    spec = definition.load(path, name)
    renamed: dict[str, str] = {}
    for model in {variant.model.name: variant.model for variant in spec.variants}.values():
        request = model_request(model)
        existing = operations.store.get("models", model.name)
        if existing is not None and any(existing.get(k) != v for k, v in request.items()):
            renamed[model.name] = request["ModelName"] = f"{model.name}-{serial}"
        _ensure(operations, "Model", request["ModelName"], request)
    config_name = f"{spec.name}-{serial}"
    config = _config_request(spec, _document(path), config_name, renamed)
    _ensure(operations, "EndpointConfig", config_name, config)
    operations.call(
        "UpdateEndpoint", {"EndpointName": spec.name, "EndpointConfigName": config_name}
    )
    return config_name


def _config_request(
    spec: definition.EndpointSpec, raw: dict[str, Any], name: str, renamed: dict[str, str]
) -> dict[str, Any]:
    """CreateEndpointConfig for the file's variants (`renamed`: model name -> the one used)."""
    raw_variants = {v.get("VariantName"): v for v in raw.get("ProductionVariants", [])}
    variants = []
    for variant in spec.variants:
        given = raw_variants.get(variant.name, {})
        variants.append(
            {
                "VariantName": variant.name,
                "ModelName": renamed.get(variant.model.name, variant.model.name),
                "InitialInstanceCount": int(given.get("InitialInstanceCount", 1)),
                "InstanceType": given.get("InstanceType", LOCAL_INSTANCE_TYPE),
                "InitialVariantWeight": variant.weight,
            }
        )
    config: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": variants}
    if "DataCaptureConfig" in raw:
        config["DataCaptureConfig"] = raw["DataCaptureConfig"]
    return config


def model_request(model: ModelSpec) -> dict[str, Any]:
    """The CreateModel request of a parsed model (hostnames kept, local URLs resolved)."""
    containers = [
        {
            "ContainerHostname": container.hostname,
            "Image": container.image,
            "Environment": dict(container.environment),
            **({"ModelDataUrl": container.model_data_url} if container.model_data_url else {}),
        }
        for container in model.containers
    ]
    return {
        "ModelName": model.name,
        "Containers": containers,
        "InferenceExecutionConfig": {"Mode": model.mode},
    }


def _ensure(operations: Operations, kind: str, name: str, request: dict[str, Any]) -> None:
    """Create the resource, or keep the one that exists if it has the same content."""
    store_kind = {"Model": "models", "EndpointConfig": "endpointConfigs"}[kind]
    existing = operations.store.get(store_kind, name)
    if existing is None:
        operations.call(f"Create{kind}", request)
        return
    differs = [key for key, value in request.items() if existing.get(key) != value]
    if differs:
        raise ValidationException(
            f"{kind} {name} already exists with other {', '.join(differs)}; delete it "
            "(or use another --home) to deploy this file"
        )


def _document(path: Path) -> dict[str, Any]:
    text = path.read_text()
    loaded = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    return loaded if isinstance(loaded, dict) else {}
