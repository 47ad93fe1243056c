"""SageMaker's dense-record JSON and RecordIO-protobuf are the core's, shared, not a stage's.

linear-learner and xgboost both read these formats; each imports them from
`inferline.containers.core.codecs`, and neither stage kind imports the other. Each
probe runs in a fresh interpreter so that no other test's imports hide a leak.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from inferline.containers.core.codecs import JSON, JSONLINES, RECORDIO_PROTOBUF
from inferline.containers.core.media import MediaType
from inferline.stages.linear_learner.codecs import REGISTRY as LINEAR_LEARNER
from inferline.stages.xgboost import codecs as xgboost_codecs

SHARED = ("inferline.containers.core.codecs.dense", "inferline.containers.core.codecs.recordio")


def loaded_after(module: str) -> set[str]:
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(output))


@pytest.mark.parametrize(
    ("kind", "other"),
    [
        ("inferline.stages.xgboost.stage", "inferline.stages.linear_learner"),
        ("inferline.stages.linear_learner.stage", "inferline.stages.xgboost"),
    ],
)
def test_the_stage_reads_the_shared_formats_from_the_core_not_the_other_kind(
    kind: str, other: str
) -> None:
    loaded = loaded_after(kind)
    assert set(SHARED) <= loaded
    leaked = sorted(name for name in loaded if name == other or name.startswith(other + "."))
    assert leaked == [], f"importing {kind} loads {leaked}"


def test_recordio_has_one_home() -> None:
    assert importlib.util.find_spec("inferline.stages.linear_learner.recordio") is None
    assert importlib.util.find_spec("inferline.containers.core.codecs.recordio") is not None


@pytest.mark.parametrize("mimetype", [JSON, JSONLINES, RECORDIO_PROTOBUF])
def test_both_stages_decode_with_the_same_core_codec(mimetype: str) -> None:
    media = MediaType(mimetype)
    ours = LINEAR_LEARNER.decoder_for(media)
    theirs = xgboost_codecs.requests().decoder_for(media)
    assert type(ours) is type(theirs)
    assert type(ours).__module__.startswith("inferline.containers.core.codecs.")
