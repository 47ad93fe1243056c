"""What `inferline train` writes for one example, and in which shape.

    DIR/
      pipeline.json       CreateModel request: ModelName, Containers (hostname, image,
                          ModelDataUrl relative to this file, Environment)
      endpoint.json       EndpointName, ProductionVariants and the Models they use
      <hostname>/model.tar.gz   one archive per container
      samples.json        sample requests and their expected answers
      metrics.json        quality on the held-out rows

`inferline up DIR/pipeline.json` (or endpoint.json) runs the pipeline as it is: the
harness resolves relative ModelDataUrls against the file's folder, so DIR can move.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferline.containers.core import archive as model_archive

PIPELINE = "pipeline.json"
ENDPOINT = "endpoint.json"
METRICS = "metrics.json"
ARCHIVE = model_archive.ARCHIVE_NAME
VARIANT = "AllTraffic"

SKLEARN_IMAGE = "inferline-sklearn"
SPARKML_IMAGE = "inferline-sparkml"
XGBOOST_IMAGE = "inferline-xgboost"


@dataclass(frozen=True)
class Container:
    """One container of the pipeline: its hostname names its folder under DIR."""

    hostname: str
    image: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def model_data(self) -> str:
        return f"{self.hostname}/{ARCHIVE}"


def archive(out: Path, container: Container, write: Callable[[Path], Any]) -> Path:
    """Build the container's model.tar.gz: `write(model_dir)` fills a scratch directory.

    `containers.core.archive.write` packs it reproducibly: the same model gives the
    same bytes.
    """
    target = out / container.model_data
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inferline-model-") as scratch:
        model_dir = Path(scratch)
        write(model_dir)
        model_archive.write(model_dir, target)
    return target


def pipeline(name: str, containers: list[Container]) -> dict[str, Any]:
    """The CreateModel request for the pipeline (ModelDataUrls relative to its file)."""
    return {
        "ModelName": name,
        "Containers": [
            {
                "ContainerHostname": container.hostname,
                "Image": container.image,
                "ModelDataUrl": container.model_data,
                "Environment": container.environment,
            }
            for container in containers
        ],
    }


def endpoint(model: dict[str, Any]) -> dict[str, Any]:
    """An endpoint with one variant taking all traffic, serving `model`."""
    return {
        "EndpointName": model["ModelName"],
        "ProductionVariants": [
            {
                "VariantName": VARIANT,
                "ModelName": model["ModelName"],
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
        "Models": [model],
    }


def write_definitions(out: Path, name: str, containers: list[Container]) -> Path:
    """pipeline.json and endpoint.json; returns the pipeline file."""
    model = pipeline(name, containers)
    _write_json(out / ENDPOINT, endpoint(model))
    return _write_json(out / PIPELINE, model)


def write_metrics(out: Path, metrics: dict[str, Any]) -> Path:
    return _write_json(out / METRICS, metrics)


def read_metrics(out: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((out / METRICS).read_text())
    return result


def _write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
