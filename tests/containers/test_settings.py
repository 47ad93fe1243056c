from __future__ import annotations

import re
from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.settings import Settings, environment_variables

DOC = Path(__file__).resolve().parents[2] / "docs" / "environment.md"


def test_defaults_follow_the_sagemaker_contract() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.model_dir == Path("/opt/ml/model")
    assert settings.timeout == 60
    assert settings.max_request_bytes == 6 * 1024 * 1024
    assert settings.workers >= 1
    assert settings.default_accept is None


def test_reads_each_variable() -> None:
    settings = Settings.from_env(
        {
            "SAGEMAKER_BIND_TO_PORT": "9001",
            "SAGEMAKER_SAFE_PORT_RANGE": "9100-9200",
            "SM_MODEL_DIR": "/models/a",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "120",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "10",
            "SAGEMAKER_BATCH": "true",
            "SAGEMAKER_BATCH_STRATEGY": "SingleRecord",
            "SAGEMAKER_MAX_PAYLOAD_IN_MB": "20",
            "SAGEMAKER_PROGRAM": "inference.py",
        }
    )
    assert settings.port == 9001
    assert settings.safe_port_range == (9100, 9200)
    assert settings.model_dir == Path("/models/a")
    assert settings.workers == 3
    assert settings.timeout == 120
    assert settings.default_accept == "text/csv"
    assert settings.log_level == 10
    assert settings.batch is True
    assert settings.batch_strategy == "SINGLE_RECORD"
    assert settings.request_limit == 20 * 1024 * 1024
    assert settings.program == "inference.py"


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"SAGEMAKER_BIND_TO_PORT": "9001"}, port=7000, host=None)
    assert settings.port == 7000
    assert settings.host == "0.0.0.0"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SAGEMAKER_BIND_TO_PORT", "eighty"),
        ("SAGEMAKER_BIND_TO_PORT", "70000"),
        ("SAGEMAKER_SAFE_PORT_RANGE", "9000"),
        ("SAGEMAKER_MODEL_SERVER_WORKERS", "0"),
        ("SAGEMAKER_BATCH", "maybe"),
        ("SAGEMAKER_BATCH_STRATEGY", "ALL"),
        ("SAGEMAKER_CONTAINER_LOG_LEVEL", "LOUD"),
        ("INFERLINE_MAX_EXTRACTED_BYTES", "lots"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_environment_doc_lists_exactly_the_settings_variables() -> None:
    """The serving settings' variables and every registered kind's own ones, no more."""
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC.read_text(), flags=re.MULTILINE))
    assert documented == set(environment_variables()) | set(stages.environment_variables())
    kinds_section = DOC.read_text().partition("## Stage kinds' own variables")[2]
    for name, owner in stages.environment_variables().items():
        kind = owner.partition(".")[0]
        assert re.search(rf"^\| `{name}` \| [^|]+ \| {re.escape(kind)}: ", kinds_section, re.M), (
            f"{name} belongs in the kinds' table, its meaning starting with '{kind}:'"
        )


def test_the_kinds_variables_are_their_own() -> None:
    """A kind reads only variables the serving settings do not, and no two kinds share one."""
    serving = set(environment_variables())
    seen: dict[str, str] = {}
    for kind in stages.kinds().values():
        for name in kind.variables:
            assert name not in serving, f"{kind.name} redeclares {name}"
            assert name not in seen, f"{kind.name} and {seen[name]} both read {name}"
            seen[name] = kind.name
    assert {"INFERLINE_SKLEARN_METHOD", "SAGEMAKER_SPARKML_SCHEMA"} <= set(seen)


def test_a_kinds_variables_are_read_from_the_settings_environment() -> None:
    settings = Settings.from_env({"INFERLINE_SKLEARN_METHOD": " predict_proba "})
    assert stages.kind_named("sklearn").options(settings).method == "predict_proba"
    assert stages.kind_named("sklearn").options(Settings()).method is None
    schema = '{"input": [], "output": {"name": "x", "type": "double"}}'
    sparkml = stages.kind_named("sparkml").options(
        Settings.from_env({"SAGEMAKER_SPARKML_SCHEMA": schema})
    )
    assert sparkml.schema == schema


def test_the_settings_repr_leaves_the_environment_out() -> None:
    settings = Settings.from_env({"AWS_SECRET_ACCESS_KEY": "hush"})
    assert settings.environ["AWS_SECRET_ACCESS_KEY"] == "hush"
    assert "hush" not in repr(settings)
