"""Nothing from a request is ever unpickled; skops artefacts load only trusted types.

A pickle whose loading would create a file is sent to every request decoder inferline
has, bare and wrapped in an object-dtype .npy; the file must never appear. A .skops
model holding a type skops does not trust is refused at load, naming the type.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from inferline.containers.core.errors import ModelLoadError, ServingError
from inferline.stages.sklearn import artifact
from tests.property.catalogue import DECODERS


class _Trap:
    """Unpickling this creates the file named in it: proof that something unpickled."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[object, tuple[str, int]]:
        return (os.open, (str(self.sentinel), os.O_CREAT | os.O_WRONLY))


def _bodies(sentinel: Path) -> list[bytes]:
    trap = _Trap(sentinel)
    buffer = io.BytesIO()
    np.save(buffer, np.array([trap, trap], dtype=object), allow_pickle=True)
    return [pickle.dumps(trap), pickle.dumps([[trap, 1.0]]), buffer.getvalue()]


@pytest.mark.parametrize("name", sorted(DECODERS))
def test_no_decoder_unpickles_a_request(name: str, tmp_path: Path) -> None:
    sentinel = tmp_path / "unpickled"
    for body in _bodies(sentinel):
        try:
            DECODERS[name].decode(body)
        except ServingError as error:
            assert 400 <= error.status < 500
    assert not sentinel.exists(), f"{name} unpickled a request body"


class Untrusted:
    """A class of this test's own: skops trusts no such type by default."""

    def __init__(self) -> None:
        self.weights = [1.0, 2.0]

    def predict(self, rows: object) -> list[float]:
        return [0.0]


def test_a_skops_model_with_an_untrusted_type_is_refused_naming_it(tmp_path: Path) -> None:
    artifact.save(Untrusted(), tmp_path, "model.skops")
    with pytest.raises(ModelLoadError, match="Untrusted"):
        artifact.load(tmp_path / "model.skops")


def test_a_skops_model_of_scikit_learn_types_loads(tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    fitted = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    artifact.save(fitted, tmp_path, "model.skops")
    assert artifact.load(tmp_path / "model.skops").predict([[2.0]])[0] == pytest.approx(2.0)
