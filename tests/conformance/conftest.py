"""Fixtures of the contract suite: one served model per registered stage kind.

`kind` is parametrized over `inferline.stages.kinds()` (the entry points), not over a
list here: a kind registered later is checked without an edit, and fails until
tests/conformance/examples.py gives it a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings
from inferline.stages.kind import Kind
from tests.conformance.examples import EXAMPLES, Example

REGISTERED = list(stages.kinds().values())


@dataclass(frozen=True)
class Model:
    """A kind's example, written to disk, with the settings it is served with."""

    kind: Kind
    model_dir: Path
    example: Example
    settings: Settings


def no_example(kind: Kind) -> str:
    return (
        f"stage kind {kind.name!r} provides no example model: add a factory for it to "
        "tests/conformance/examples.py (a tiny real model and a body per content type)"
    )


@pytest.fixture(scope="module", params=REGISTERED, ids=lambda kind: kind.name)
def kind(request: pytest.FixtureRequest) -> Kind:
    registered: Kind = request.param
    return registered


@pytest.fixture(scope="module")
def model(kind: Kind, tmp_path_factory: pytest.TempPathFactory) -> Model:
    factory = EXAMPLES.get(kind.name)
    if factory is None:
        pytest.fail(no_example(kind))
    model_dir = tmp_path_factory.mktemp(kind.name)
    example = factory(model_dir)
    return Model(kind, model_dir, example, Settings.from_env(example.environ))


@pytest.fixture(scope="module")
def stage(model: Model) -> Stage:
    """The example loaded the way `inferline serve` loads it: by the kind's name."""
    return stages.load(model.kind.name, model.model_dir, model.settings)
