"""`inferline export`: the SageMaker API requests that deploy a local pipeline for real.

The pipeline file `inferline up` runs names local images (``inferline-sparkml``) and
local model archives. Exported, the same pipeline becomes the boto3 requests a
deployment sends, with images in a registry and model data in S3::

    inferline export pipeline.json --format sagemaker \\
        --image-uri-prefix 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ \\
        --model-data-prefix s3://my-bucket/car-evaluation

prints one JSON document: ``Uploads`` (which local file goes to which S3 URI), then
``CreateModel`` (a list: one request per model), ``CreateEndpointConfig``,
``CreateEndpoint`` and ``CreateTransformJob``, each ready for
``boto3.client("sagemaker").<operation>(**request)`` (docs/images.md).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from inferline.containers.core.errors import ConfigurationError

if TYPE_CHECKING:
    from inferline.containers.core.definition import ContainerSpec, EndpointSpec, ModelSpec

FORMATS = ("sagemaker",)
ECR_HOST = re.compile(r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")
ARCHIVE = "model.tar.gz"


@dataclass(frozen=True)
class Target:
    """Where the pipeline goes: registry, bucket, role and instances."""

    image_uri_prefix: str
    model_data_prefix: str
    role_arn: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    content_type: str = "text/csv"

    def image(self, local: str) -> str:
        """The registry URI of a local image; an image already in a registry is kept."""
        first = local.split("/", 1)[0]
        in_registry = "/" in local and ("." in first or ":" in first or first == "localhost")
        return local if in_registry else self.image_uri_prefix + local

    def s3(self, *parts: str) -> str:
        return "/".join([self.model_data_prefix.rstrip("/"), *parts])


def sagemaker_requests(spec: EndpointSpec, base: Path, target: Target) -> dict[str, Any]:
    """The uploads and API requests that deploy `spec` (paths relative to `base`)."""
    uploads: list[dict[str, str]] = []
    models = {variant.model.name: variant.model for variant in spec.variants}
    create_models = [_create_model(model, base, target, uploads) for model in models.values()]
    config_name = f"{spec.name}-config"
    first = spec.variants[0].model.name
    return {
        "Uploads": uploads,
        "CreateModel": create_models,
        "CreateEndpointConfig": {
            "EndpointConfigName": config_name,
            "ProductionVariants": [
                {
                    "VariantName": variant.name,
                    "ModelName": variant.model.name,
                    "InitialInstanceCount": target.instance_count,
                    "InstanceType": target.instance_type,
                    "InitialVariantWeight": variant.weight,
                }
                for variant in spec.variants
            ],
        },
        "CreateEndpoint": {"EndpointName": spec.name, "EndpointConfigName": config_name},
        "CreateTransformJob": _transform_job(first, target),
    }


def _create_model(
    model: ModelSpec, base: Path, target: Target, uploads: list[dict[str, str]]
) -> dict[str, Any]:
    containers = [_container(model, spec, base, target, uploads) for spec in model.containers]
    request: dict[str, Any] = {"ModelName": model.name, "ExecutionRoleArn": target.role_arn}
    if len(containers) == 1:
        # A single container keeps its ContainerHostname out: SageMaker allows it only in pipelines.
        containers[0].pop("ContainerHostname", None)
        request["PrimaryContainer"] = containers[0]
    else:
        request["Containers"] = containers
        request["InferenceExecutionConfig"] = {"Mode": model.mode}
    return request


def _container(
    model: ModelSpec,
    spec: ContainerSpec,
    base: Path,
    target: Target,
    uploads: list[dict[str, str]],
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "ContainerHostname": spec.hostname,
        "Image": target.image(spec.image),
    }
    if spec.model_data_url is not None:
        container["ModelDataUrl"] = _model_data(model, spec, base, target, uploads)
    if spec.environment:
        container["Environment"] = dict(spec.environment)
    return container


def _model_data(
    model: ModelSpec,
    spec: ContainerSpec,
    base: Path,
    target: Target,
    uploads: list[dict[str, str]],
) -> str:
    url = spec.model_data_url
    assert url is not None
    if "://" in url:
        return url  # already in S3 (or elsewhere SageMaker reads from)
    local = Path(url)
    try:
        key = PurePosixPath(local.resolve().relative_to(base.resolve()).as_posix())
    except ValueError:
        key = PurePosixPath(spec.hostname, local.name)
    if local.is_dir():
        # SageMaker downloads an archive and extracts it; a folder has to be packed first.
        key = key / ARCHIVE
    uri = target.s3(model.name, *key.parts)
    uploads.append({"File": str(local), "S3Uri": uri, "Pack": str(local.is_dir()).lower()})
    return uri


def _transform_job(model_name: str, target: Target) -> dict[str, Any]:
    return {
        "TransformJobName": f"{model_name}-transform",
        "ModelName": model_name,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": target.s3("transform", "input")}
            },
            "ContentType": target.content_type,
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": target.s3("transform", "output"),
            "Accept": target.content_type,
            "AssembleWith": "Line",
        },
        "TransformResources": {
            "InstanceType": target.instance_type,
            "InstanceCount": target.instance_count,
        },
        "BatchStrategy": "MultiRecord",
    }


def default_role(image_uri_prefix: str) -> str:
    """A role ARN in the registry's account, for the user to replace with their own."""
    match = ECR_HOST.search(image_uri_prefix)
    account = match.group("account") if match else "123456789012"
    return f"arn:aws:iam::{account}:role/SageMakerExecutionRole"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = subparsers.add_parser(
        "export",
        help="print the SageMaker API requests that deploy a pipeline file",
        description="Print, as JSON, the uploads and the boto3 CreateModel, CreateEndpointConfig, "
        "CreateEndpoint and CreateTransformJob requests that deploy PIPELINE (what "
        "`inferline up` runs) to SageMaker, with its images in a registry and its model data "
        "in S3.",
    )
    export.add_argument("definition", type=Path, metavar="PIPELINE")
    export.add_argument("--format", choices=FORMATS, default="sagemaker")
    export.add_argument(
        "--image-uri-prefix",
        required=True,
        help="registry prefix for the images, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/",
    )
    export.add_argument(
        "--model-data-prefix",
        required=True,
        help="S3 prefix for the model data, e.g. s3://BUCKET/x",
    )
    export.add_argument(
        "--role-arn",
        help="SageMaker execution role (default: SageMakerExecutionRole of the registry's account)",
    )
    export.add_argument("--instance-type", default="ml.m5.large")
    export.add_argument("--instance-count", type=int, default=1)
    export.add_argument("--content-type", default="text/csv", help="of the transform job's input")
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    from inferline.containers.core.definition import load

    if not args.model_data_prefix.startswith("s3://"):
        raise ConfigurationError(
            f"--model-data-prefix must be an s3:// URI, got {args.model_data_prefix!r}"
        )
    target = Target(
        image_uri_prefix=args.image_uri_prefix,
        model_data_prefix=args.model_data_prefix,
        role_arn=args.role_arn or default_role(args.image_uri_prefix),
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        content_type=args.content_type,
    )
    spec = load(args.definition)
    requests = sagemaker_requests(spec, args.definition.resolve().parent, target)
    print(json.dumps(requests, indent=2))
    return 0
