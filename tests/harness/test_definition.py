"""Pipeline and endpoint files are validated with SageMaker's rules, naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from inferline.containers.core import definition
from inferline.containers.core.definition import DefinitionError
from inferline.containers.harness.process import ProcessRuntime
from inferline.containers.harness.runtime import image_kind


def model(count: int, **container: Any) -> dict[str, Any]:
    return {
        "ModelName": "m",
        "Containers": [
            {"Image": "inferline-sklearn", "ModelDataUrl": "/models/x", **container}
            for _ in range(count)
        ],
    }


def test_containers_get_sagemakers_default_hostnames() -> None:
    spec = definition.parse(model(3))
    assert spec.name == "m"
    assert [variant.name for variant in spec.variants] == ["AllTraffic"]
    assert [c.hostname for c in spec.variants[0].model.containers] == [
        "container-1",
        "container-2",
        "container-3",
    ]


def test_primary_container_is_a_one_container_model() -> None:
    spec = definition.parse(
        {"ModelName": "one", "PrimaryContainer": {"Image": "inferline-sklearn"}}, name="other"
    )
    assert spec.name == "other"
    assert spec.variants[0].model.containers[0].hostname == "primary"


@pytest.mark.parametrize("count", [1, 2, 15])
def test_one_or_two_to_fifteen_containers(count: int) -> None:
    assert len(definition.parse(model(count)).variants[0].model.containers) == count


@pytest.mark.parametrize("count", [0, 16])
def test_zero_or_sixteen_containers_are_refused(count: int) -> None:
    with pytest.raises(
        DefinitionError,
        match=f"Containers has {count} containers; a model has 1, or a pipeline of 2 to 15",
    ):
        definition.parse(model(count))


def test_hostnames_all_or_none() -> None:
    document = model(2)
    document["Containers"][0]["ContainerHostname"] = "featurizer"
    with pytest.raises(
        DefinitionError, match=r"all containers or on none; missing on Containers\[1\]"
    ):
        definition.parse(document)


@pytest.mark.parametrize("hostname", ["-leading", "under_score", "x" * 64, ""])
def test_bad_hostnames_are_named(hostname: str) -> None:
    with pytest.raises(DefinitionError, match=r"Containers\[0\]\.ContainerHostname"):
        definition.parse(model(1, ContainerHostname=hostname))


def test_duplicate_hostnames() -> None:
    with pytest.raises(DefinitionError, match="must be unique; repeated: same"):
        definition.parse(model(2, ContainerHostname="same"))


def test_environment_value_over_1024_bytes_names_the_key() -> None:
    with pytest.raises(
        DefinitionError,
        match=r"Containers\[0\]\.Environment\.SAGEMAKER_SPARKML_SCHEMA: the value is 1025 bytes",
    ):
        definition.parse(model(1, Environment={"SAGEMAKER_SPARKML_SCHEMA": "x" * 1025}))


def test_environment_over_32_kb_across_containers() -> None:
    environment = {f"KEY_{index:02d}": "v" * 1000 for index in range(3)}
    with pytest.raises(DefinitionError, match="hold 33.* bytes in all; the limit is 32768"):
        definition.parse(model(11, Environment=environment))


def test_endpoint_file_with_variants(tmp_path: Path) -> None:
    document = {
        "EndpointName": "ep",
        "ProductionVariants": [
            {"VariantName": "A", "ModelName": "m", "InitialVariantWeight": 9},
            {"VariantName": "B", "ModelName": "m", "InitialVariantWeight": 1},
        ],
        "Models": [model(2)],
    }
    path = tmp_path / "endpoint.yaml"
    path.write_text(yaml.safe_dump(document))
    spec = definition.load(path)
    assert spec.name == "ep"
    assert [(variant.name, variant.weight) for variant in spec.variants] == [("A", 9.0), ("B", 1.0)]


def test_variant_naming_an_unknown_model() -> None:
    document = {
        "EndpointName": "ep",
        "ProductionVariants": [{"VariantName": "A", "ModelName": "nope"}],
        "Models": [model(1)],
    }
    with pytest.raises(
        DefinitionError,
        match=r"ProductionVariants\[0\]\.ModelName 'nope' is not one of Models \(m\)",
    ):
        definition.parse(document)


def test_relative_model_data_is_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.json"
    path.write_text(
        '{"ModelName": "m", "PrimaryContainer": '
        '{"Image": "inferline-sklearn", "ModelDataUrl": "model"}}'
    )
    assert definition.load(path).variants[0].model.containers[0].model_data_url == str(
        tmp_path / "model"
    )


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(DefinitionError, match="cannot read .*broken.json"):
        definition.load(path)


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("inferline-sklearn", "sklearn"),
        ("inferline-sparkml:1.2", "sparkml"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/inferline-xgboost:latest", "xgboost"),
        ("localhost:5000/team/inferline-sklearn@sha256:abc", "sklearn"),
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1", None),
    ],
)
def test_image_names_map_to_stage_kinds(image: str, kind: str | None) -> None:
    assert image_kind(image) == kind


def test_unknown_image_is_refused_by_the_process_runtime_naming_it() -> None:
    spec = (
        definition.parse(model(1, Image="my-registry/custom-model:3"))
        .variants[0]
        .model.containers[0]
    )
    with pytest.raises(
        ValueError,
        match="container-1: image 'my-registry/custom-model:3' cannot run in the process runtime",
    ):
        ProcessRuntime().check(spec)
