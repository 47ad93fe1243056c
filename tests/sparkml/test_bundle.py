"""Loading bundles: directory, zip and model.tar.gz; the attribute encoding's gotchas;
refusals (protobuf, unknown ops); graph columns and ports."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from inferline.containers.core.errors import ModelLoadError, UnprocessableEntity
from inferline.stages.sparkml.attributes import Attributes
from inferline.stages.sparkml.bundle import load_bundle
from tests.sparkml.bundles import ints, leap, node, shapes, string, strings, tensor, write_bundle

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mleap"


def abalone_nodes():
    """MLEAP.md §1.9: StringIndexer -> OneHotEncoder -> VectorAssembler -> LinearRegression."""
    return [
        node(
            "string_indexer",
            {
                "labels_length": {"int": 1},
                "handle_invalid": string("error"),
                "labels_array_0": strings(["F", "M", "I"]),
            },
            {"input": "sex"},
            {"output": "sex_idx"},
        ),
        node(
            "one_hot_encoder",
            {
                "category_sizes": ints([3]),
                "drop_last": {"boolean": True},
                "handle_invalid": string("error"),
            },
            {"input": "sex_idx"},
            {"output": "sex_vec"},
        ),
        node(
            "vector_assembler",
            {"input_shapes": shapes(2, None, None)},
            {"input0": "sex_vec", "input1": "length", "input2": "diameter"},
            {"output": "features"},
        ),
        node(
            "linear_regression",
            {
                "coefficients": tensor(
                    [
                        -1.8571428571427628,
                        -1.7142857142856536,
                        14.285714285713587,
                        14.285714285714718,
                    ]
                ),
                "intercept": {"double": -1.1428571428570162},
            },
            {"features": "features"},
            {"prediction": "prediction"},
        ),
    ]


def test_worked_example_matches_spark(tmp_path):
    bundle = load_bundle(write_bundle(tmp_path / "b", abalone_nodes()))
    out = bundle.transform(leap(sex=["F"], length=[0.515], diameter=[0.425]))
    assert out["features"].toarray().tolist() == [[1.0, 0.0, 0.515, 0.425]]
    assert out["prediction"][0] == pytest.approx(10.428571428571473, rel=1e-12)
    assert bundle.input_columns == ["sex", "length", "diameter"]
    assert bundle.output_columns == ["sex_idx", "sex_vec", "features", "prediction"]
    assert bundle.name == "pipeline_test"


def test_loads_from_zip_and_model_tar_gz(tmp_path):
    directory = write_bundle(tmp_path / "b", abalone_nodes())
    archive = shutil.make_archive(str(tmp_path / "bundle"), "zip", directory)
    tar_path = tmp_path / "model.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(directory / "bundle.json", "bundle.json")
        tar.add(directory / "root", "root")
    frame = leap(sex=["M", "I"], length=[0.4, 0.5], diameter=[0.3, 0.4])
    expected = load_bundle(directory).transform(frame)["prediction"]
    for path in (archive, tar_path):
        assert load_bundle(path).transform(frame)["prediction"].tolist() == expected.tolist()


def test_jvm_zip_with_directory_entries_loads(tmp_path):
    # min_max_scaler_tf.zip has root/ directory entries and no minValue/maxValue.
    bundle = load_bundle(FIXTURES / "min_max_scaler_tf.zip")
    out = bundle.transform(leap(dti=[-0.01, 32256.0], loan_amount=[500.0, 1200000.0]))
    assert out["scaled_features"].tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_orphan_node_folders_are_ignored(tmp_path):
    # one_hot_encoder_pipeline.zip holds a vector_assembler folder not in `nodes`.
    bundle = load_bundle(FIXTURES / "one_hot_encoder_pipeline.zip")
    assert "col_1_label" not in bundle.output_columns
    out = bundle.transform(leap(col_1=["A", "C", "unseen"]))
    assert out["col_1_label_le"].tolist() == [0.0, 2.0, 3.0]  # keep: unseen -> 3
    assert out["col_1_label_one_hot_encoded"].toarray().tolist() == [
        [1, 0, 0],
        [0, 0, 1],
        [0, 0, 0],
    ]


def test_protobuf_and_unknown_ops_are_refused_at_load(tmp_path):
    directory = write_bundle(tmp_path / "pb", abalone_nodes())
    info = json.loads((directory / "bundle.json").read_text())
    (directory / "bundle.json").write_text(json.dumps({**info, "format": "protobuf"}))
    with pytest.raises(ModelLoadError, match="protobuf"):
        load_bundle(directory)
    unknown = write_bundle(
        tmp_path / "u", [node("sql_transformer", {}, {"input": "a"}, {"output": "b"})]
    )
    with pytest.raises(ModelLoadError, match="unsupported op sql_transformer"):
        load_bundle(unknown)


def test_missing_and_broken_bundles_say_why(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_bundle(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="no bundle.json"):
        load_bundle(tmp_path / "empty")
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="cannot read"):
        load_bundle(not_zip)
    broken = write_bundle(tmp_path / "broken", abalone_nodes())
    (broken / "root" / "model.json").write_text("{")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        load_bundle(broken)


def test_attribute_gotchas():
    attrs = Attributes(
        {
            "zero": {},
            "flag": {},
            "text": {},
            "nan": {"double": None},
            "empty": {"type": "list"},
            "splits": {"type": "list", "double": [None, 1.0]},
            "matrix": {
                "type": "tensor",
                "double": [1, 2, 3, 4, 5, 6],
                "shape": {"dimensions": [{"size": 2, "name": ""}, {"size": 3, "name": ""}]},
            },
        },
        "test",
    )
    assert (
        attrs.double("zero") == 0.0
        and attrs.boolean("flag") is False
        and attrs.string("text") == ""
    )
    assert np.isnan(attrs.double("nan"))
    assert attrs.strings("empty") == [] and attrs.doubles("empty").size == 0
    assert np.isnan(attrs.doubles("splits")[0])
    assert attrs.tensor("matrix").tolist() == [[1, 3, 5], [2, 4, 6]]  # column-major
    assert attrs.double("absent", 0.5) == 0.5
    with pytest.raises(ModelLoadError, match="'absent' is missing"):
        attrs.double("absent")


def test_only_ports_in_node_json_are_produced(tmp_path):
    lr = node(
        "logistic_regression",
        {"coefficients": tensor([1.0]), "intercept": {"double": 0.0}, "num_classes": {"long": 2}},
        {"features": "f"},
        {"prediction": "p"},
    )
    bundle = load_bundle(write_bundle(tmp_path / "b", [lr]))
    out = bundle.transform({"f": np.array([[2.0]])})
    assert set(out) == {"f", "p"}


def test_nested_pipelines_run_in_order(tmp_path):
    inner = node("pipeline", name="features_pipeline")
    inner.children = abalone_nodes()[:3]
    bundle = load_bundle(write_bundle(tmp_path / "b", [inner, abalone_nodes()[3]]))
    out = bundle.transform(leap(sex=["F"], length=[0.515], diameter=[0.425]))
    assert out["prediction"][0] == pytest.approx(10.428571428571473)


def test_missing_input_column_is_named(tmp_path):
    bundle = load_bundle(write_bundle(tmp_path / "b", abalone_nodes()))
    with pytest.raises(UnprocessableEntity, match="'diameter'"):
        bundle.transform(leap(sex=["F"], length=[0.5]))


def test_zip_written_without_directory_entries(tmp_path):
    directory = write_bundle(tmp_path / "b", abalone_nodes())
    path = tmp_path / "flat.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in directory.rglob("*"):
            if file.is_file():
                archive.write(file, file.relative_to(directory).as_posix())
    assert load_bundle(path).output_columns[-1] == "prediction"


def test_malformed_models_are_refused_at_load_not_at_request(tmp_path):
    mismatched = node(
        "string_map",
        {"labels": strings(["a", "b"]), "values": {"type": "list"}},
        {"input": "x"},
        {"output": "y"},
    )
    with pytest.raises(ModelLoadError, match="string_map node .* is malformed"):
        load_bundle(write_bundle(tmp_path / "map", [mismatched]))
    bad_tree = node(
        "decision_tree_regression",
        {},
        {"features": "f"},
        {"prediction": "p"},
        files={"tree.json": '{"type": "internal", "split": {}}\n'},
    )
    with pytest.raises(ModelLoadError, match="malformed"):
        load_bundle(write_bundle(tmp_path / "tree", [bad_tree]))


def test_transform_accepts_lists_and_pandas(tmp_path):
    import pandas as pd

    bundle = load_bundle(write_bundle(tmp_path / "b", abalone_nodes()))
    out = bundle.transform(
        {"sex": pd.Series(["F", "M"]), "length": [0.515, 0.4], "diameter": (0.425, 0.3)}
    )
    assert out["prediction"][0] == pytest.approx(10.428571428571473)
    assert out["features"].shape == (2, 4)


def test_callers_own_what_transform_returns(tmp_path):
    bundle = load_bundle(write_bundle(tmp_path / "b", abalone_nodes()))
    frame = leap(sex=["M"], length=[0.4], diameter=[0.3])
    first = bundle.transform(frame)
    first["sex_idx"][0] = 99.0  # one-row answers are cached by the ops: must not leak
    first["sex_vec"].data[:] = 7.0
    second = bundle.transform(frame)
    assert second["sex_idx"].tolist() == [1.0]
    assert second["sex_vec"].toarray().tolist() == [[0.0, 1.0]]
