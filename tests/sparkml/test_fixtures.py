"""Every MLeap-written fixture bundle loads and transforms, or is refused by name.

spark-parity.zip holds the 52 bundles MLeap's own Spark parity tests wrote (Spark 2
era, legacy attribute layouts). No expected outputs ship with them, so each bundle
runs on a frame built from what its ops read, and the result is checked for
invariants: row counts, vector widths, label ranges, probabilities summing to 1.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inferline.containers.core.errors import ModelLoadError, ServingError, UnprocessableEntity
from inferline.stages.sparkml.bundle import Bundle, load_bundle
from inferline.stages.sparkml.ops import bucketing, encoding, imputation, linear, text, tree
from inferline.stages.sparkml.ops.pipeline import Pipeline
from inferline.stages.sparkml.ops.predictor import Predictor

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mleap"
ROWS = 4

with zipfile.ZipFile(FIXTURES / "spark-parity.zip") as _archive:
    PARITY = sorted(n for n in _archive.namelist() if n.endswith(".zip"))

# Ops this runtime does not implement; their bundles must be refused by name at load.
REFUSED = {
    "SupportVectorMachineParitySpec": "support_vector_machine",
}


@pytest.fixture(scope="module")
def parity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("spark-parity")
    with zipfile.ZipFile(FIXTURES / "spark-parity.zip") as archive:
        archive.extractall(target)
    return target


def spec_name(member: str) -> str:
    return member.rsplit(".", 2)[-2]


@pytest.mark.parametrize("member", PARITY, ids=spec_name)
def test_parity_bundle_transforms_or_is_refused(parity_dir: Path, member: str) -> None:
    path = parity_dir / member
    refused = REFUSED.get(spec_name(member))
    if refused:
        with pytest.raises(ModelLoadError, match=f"unsupported op {refused} "):
            load_bundle(path)
        return
    check(load_bundle(path))


@pytest.mark.parametrize("name", ["one_hot_encoder_pipeline.zip", "min_max_scaler_tf.zip"])
def test_runtime_fixture_transforms(name: str) -> None:
    check(load_bundle(FIXTURES / name))


def test_every_parity_bundle_is_covered() -> None:
    assert len(PARITY) == 52
    assert set(REFUSED) <= {spec_name(m) for m in PARITY}


def steps(op: Any) -> list[Any]:
    if isinstance(op, Pipeline):
        return [s for c in op.children for s in steps(c)]
    return [op]


def sample_frame(bundle: Bundle) -> dict[str, np.ndarray]:
    """Plausible values for each input column, chosen by the first op that reads it."""
    frame: dict[str, np.ndarray] = {}
    for op in steps(bundle.root):
        for port, column in op.inputs.items():
            if column in bundle.input_columns and column not in frame:
                frame[column] = sample(op, port)
    return frame


def sample(op: Any, port: str) -> np.ndarray:
    if isinstance(op, encoding.StringIndexer):
        labels = op.labels[int(port[5:] or 0)]
        return np.array([labels[i % len(labels)] for i in range(ROWS)], dtype=object)
    if isinstance(op, (text.Tokenizer, text.RegexTokenizer)):
        return np.array(
            ["Debt consolidation loan", "Home  improvement", "car", "Other"] * (ROWS // 4),
            dtype=object,
        )
    if isinstance(op, bucketing.Bucketizer):
        finite = op.splits[np.isfinite(op.splits)]
        return np.linspace(finite.min(), finite.max(), ROWS)
    if isinstance(op, (encoding.OneHotEncoder, encoding.ReverseStringIndexer)):
        return np.arange(ROWS, dtype=np.float64) % 2
    if isinstance(op, imputation.Imputer):
        return np.array([1.0, np.nan, op.missing, 4.0])
    if isinstance(op, Predictor) and isinstance(op, tree.DecisionTreeRegression):
        return np.ones((ROWS, 2))
    return np.linspace(0.5, 2.0, ROWS)


def check(bundle: Bundle) -> None:
    frame = sample_frame(bundle)
    assert set(frame) == set(bundle.input_columns)
    out = bundle.transform(frame)
    assert set(bundle.output_columns) <= set(out)
    for name, column in out.items():
        assert column.shape[0] == ROWS, name
    for op in steps(bundle.root):
        if isinstance(op, encoding.StringIndexer):
            for k, _, target in op.pairs:
                assert set(out[target].tolist()) <= set(range(len(op.labels[k]) + 1))
        if isinstance(op, encoding.OneHotEncoder):
            for k, _, target in op.pairs:
                assert out[target].shape[1] == op.sizes[k]
                assert (out[target].sum(axis=1) <= 1).all()
        if isinstance(op, encoding.ReverseStringIndexer):
            for _, _, target in op.pairs:
                assert set(out[target].tolist()) <= set(op.labels)
        if isinstance(op, Predictor) and "probability" in op.outputs:
            probability = out[op.outputs["probability"]]
            assert np.allclose(probability.sum(axis=1), 1.0)
            if "prediction" in op.outputs:
                predicted = out[op.outputs["prediction"]]
                assert set(predicted.tolist()) <= set(range(probability.shape[1]))
        if isinstance(op, (linear.LinearRegression, tree.DecisionTreeRegression)):
            assert np.isfinite(out[op.outputs["prediction"]]).all()


JUNK = (np.nan, None, "", "unseen", -1.0, 1e300)
TEXT = ("", "unseen")


@pytest.mark.parametrize(
    "member", [m for m in PARITY if spec_name(m) not in REFUSED], ids=spec_name
)
def test_odd_values_transform_or_give_a_client_error(parity_dir: Path, member: str) -> None:
    """Nulls, NaN, text in number columns, huge numbers: an answer of ROWS rows, or a 422
    UnprocessableEntity naming the column; never another exception.

    Text in a number column and a null in a string column are always refused; finite
    numbers (-1, 1e300) in a number column always answer.
    """
    bundle = load_bundle(parity_dir / member)
    base = sample_frame(bundle)
    for name in base:
        numeric = base[name].dtype.kind == "f"
        for junk in JUNK:
            column = base[name].astype(object)
            column[0] = junk
            refused = (numeric and junk in TEXT) or (not numeric and junk is None)
            answers = numeric and isinstance(junk, float) and np.isfinite(junk)
            case = f"{name}={junk!r}"
            try:
                out = bundle.transform({**base, name: column})
            except ServingError as error:
                assert not answers, f"{case} refused: {error}"
                assert type(error) is UnprocessableEntity, f"{case}: {type(error).__name__}"
                assert error.status == 422
                assert name in str(error), f"{case}: the message does not name the column"
                continue
            assert not refused, f"{case} was answered, not refused"
            assert set(bundle.output_columns) <= set(out), case
            for produced, values in out.items():
                assert values.shape[0] == ROWS, f"{case}: {produced}"
