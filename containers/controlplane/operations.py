"""The SageMaker operations this control plane serves, each a method of `Operations`.

Requests arrive validated against the service model (service.py); here come the
checks only the service itself can make (names that exist or not, combinations),
with AWS's messages, e.g. ``Could not find model "arn:aws:sagemaker:...:model/x".``
and ``Cannot create already existing endpoint "arn:...".`` Answers carry the members
of the operation's output shape; times are epoch seconds, as JSON 1.1 sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from botocore.model import OperationModel

from inferline.containers.controlplane import listing, service
from inferline.containers.controlplane.endpoints import Endpoints, model_document
from inferline.containers.controlplane.errors import ValidationException
from inferline.containers.controlplane.store import Record, Store, arn, now
from inferline.containers.core import definition
from inferline.containers.core.definition import ContainerSpec
from inferline.containers.core.errors import ConfigurationError, EngineError
from inferline.containers.harness.runtime import Runtime

Handler = Callable[[dict[str, Any]], dict[str, Any]]
MODEL_FIELDS = (
    "ModelName",
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)
CONFIG_FIELDS = (
    "EndpointConfigName",
    "ProductionVariants",
    "DataCaptureConfig",
    "KmsKeyId",
    "AsyncInferenceConfig",
    "ExplainerConfig",
    "ShadowProductionVariants",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
)


class Operations:
    """Models, endpoint configs and endpoints (transform jobs join via `extra`)."""

    def __init__(
        self,
        store: Store,
        endpoints: Endpoints,
        runtime: Runtime,
        extra: dict[str, Handler] | None = None,
    ) -> None:
        self.store = store
        self.endpoints = endpoints
        self.runtime = runtime
        self.handlers: dict[str, Handler] = {
            "CreateModel": self.create_model,
            "DescribeModel": self.describe_model,
            "ListModels": self.list_models,
            "DeleteModel": self.delete_model,
            "CreateEndpointConfig": self.create_endpoint_config,
            "DescribeEndpointConfig": self.describe_endpoint_config,
            "ListEndpointConfigs": self.list_endpoint_configs,
            "DeleteEndpointConfig": self.delete_endpoint_config,
            "CreateEndpoint": self.create_endpoint,
            "DescribeEndpoint": self.describe_endpoint,
            "ListEndpoints": self.list_endpoints,
            "UpdateEndpoint": self.update_endpoint,
            "UpdateEndpointWeightsAndCapacities": self.update_endpoint_weights_and_capacities,
            "DeleteEndpoint": self.delete_endpoint,
            **(extra or {}),
        }
        self.supported = frozenset(self.handlers)

    def call(self, name: str, request: Any) -> dict[str, Any]:
        """Validate and run one operation.

        Raises:
            ApiError: the AWS error to answer.
        """
        operation = service.operation(name, self.supported)
        service.validate(operation, request)
        return self.handlers[name](request)

    def _operation(self, name: str) -> OperationModel:
        return service.model().operation_model(name)

    # -- models -----------------------------------------------------------------------

    def create_model(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["ModelName"]
        model_arn = arn("models", name)
        if "PrimaryContainer" not in request and "Containers" not in request:
            raise ValidationException("Either PrimaryContainer or Containers must be specified.")
        try:
            spec = definition.parse(model_document(request)).variants[0].model
        except ConfigurationError as error:
            raise ValidationException(str(error)) from None
        for container in spec.containers:
            self._check_container(container)
        record = {key: request[key] for key in MODEL_FIELDS if key in request}
        record.update(ModelArn=model_arn, CreationTime=now())
        record.setdefault("EnableNetworkIsolation", False)
        with self.store.lock:
            if self.store.get("models", name) is not None:
                raise ValidationException(f'Cannot create already existing model "{model_arn}".')
            self.store.put("models", name, record)
        return {"ModelArn": model_arn}

    def _check_container(self, container: ContainerSpec) -> None:
        try:
            self.runtime.check(container)
        except (ConfigurationError, EngineError) as error:
            raise ValidationException(
                f"Container {container.hostname} (image {container.image}) cannot run here: {error}"
            ) from None
        url = container.model_data_url
        if url is not None and urlparse(url).scheme in ("", "file"):
            path = Path(unquote(urlparse(url).path) if url.startswith("file:") else url)
            if not path.exists():
                raise ValidationException(
                    f"Could not access model data at {url}. Please ensure that the path exists."
                )

    def describe_model(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._model(request["ModelName"])

    def _model(self, name: str) -> Record:
        record = self.store.get("models", name)
        if record is None:
            raise ValidationException(f'Could not find model "{arn("models", name)}".')
        return record

    def list_models(self, request: dict[str, Any]) -> dict[str, Any]:
        return listing.page(
            self._operation("ListModels"), request, self.store.all("models"), "ModelName"
        )

    def delete_model(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            self._model(request["ModelName"])
            self.store.remove("models", request["ModelName"])
        return {}

    # -- endpoint configs -------------------------------------------------------------

    def create_endpoint_config(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointConfigName"]
        config_arn = arn("endpointConfigs", name)
        variants = request["ProductionVariants"]
        names = [variant["VariantName"] for variant in variants]
        if len(set(names)) != len(names):
            raise ValidationException(
                f"The ProductionVariants of {config_arn} repeat a VariantName: {names}."
            )
        for variant in variants:
            if "ModelName" not in variant:
                raise ValidationException(
                    f"ProductionVariant {variant['VariantName']} needs a ModelName."
                )
            self._model(variant["ModelName"])
            if "InitialInstanceCount" not in variant and "ServerlessConfig" not in variant:
                raise ValidationException(
                    f"ProductionVariant {variant['VariantName']}: InitialInstanceCount is "
                    "required unless ServerlessConfig is given."
                )
        if sum(float(v.get("InitialVariantWeight", 1.0)) for v in variants) <= 0:
            raise ValidationException("The InitialVariantWeight values must not all be 0.")
        record = {key: request[key] for key in CONFIG_FIELDS if key in request}
        record.update(EndpointConfigArn=config_arn, CreationTime=now())
        with self.store.lock:
            if self.store.get("endpointConfigs", name) is not None:
                raise ValidationException(
                    f'Cannot create already existing endpoint configuration "{config_arn}".'
                )
            self.store.put("endpointConfigs", name, record)
        return {"EndpointConfigArn": config_arn}

    def describe_endpoint_config(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.endpoints.config(request["EndpointConfigName"])

    def list_endpoint_configs(self, request: dict[str, Any]) -> dict[str, Any]:
        return listing.page(
            self._operation("ListEndpointConfigs"),
            request,
            self.store.all("endpointConfigs"),
            "EndpointConfigName",
        )

    def delete_endpoint_config(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.lock:
            self.endpoints.config(request["EndpointConfigName"])
            self.store.remove("endpointConfigs", request["EndpointConfigName"])
        return {}

    # -- endpoints --------------------------------------------------------------------

    def create_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request["EndpointName"]
        endpoint_arn = arn("endpoints", name)
        self.endpoints.create(name, request["EndpointConfigName"], endpoint_arn)
        return {"EndpointArn": endpoint_arn}

    def describe_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.endpoints.endpoint(request["EndpointName"])

    def list_endpoints(self, request: dict[str, Any]) -> dict[str, Any]:
        return listing.page(
            self._operation("ListEndpoints"),
            request,
            self.store.all("endpoints"),
            "EndpointName",
            "EndpointStatus",
        )

    def update_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        endpoint_arn = self.endpoints.update(
            request["EndpointName"],
            request["EndpointConfigName"],
            retain=bool(request.get("RetainAllVariantProperties", False)),
        )
        return {"EndpointArn": endpoint_arn}

    def update_endpoint_weights_and_capacities(self, request: dict[str, Any]) -> dict[str, Any]:
        endpoint_arn = self.endpoints.update_weights_and_capacities(
            request["EndpointName"], request["DesiredWeightsAndCapacities"]
        )
        return {"EndpointArn": endpoint_arn}

    def delete_endpoint(self, request: dict[str, Any]) -> dict[str, Any]:
        self.endpoints.delete(request["EndpointName"])
        return {}
