"""Feature ops on hand-built bundles: indexers, encoders, assembler, scalers, reshapers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.bundle import load_bundle
from tests.sparkml.bundles import (
    boolean,
    double,
    doubles,
    ints,
    leap,
    long,
    longs,
    node,
    shapes,
    string,
    strings,
    tensor,
    write_bundle,
)

IO = {"inputs": {"input": "x"}, "outputs": {"output": "y"}}


def run(tmp_path, op, attributes, frame, **ports):
    bundle = load_bundle(write_bundle(tmp_path / op, [node(op, attributes, **(ports or IO))]))
    return bundle.transform(frame)


def dense(column):
    return column.toarray() if scipy.sparse.issparse(column) else np.asarray(column)


# string_indexer


def indexer(mode, **extra):
    return {
        "labels_length": {"int": 1},
        "labels_array_0": strings(["F", "M", "I"]),
        "handle_invalid": string(mode),
        **extra,
    }


def test_string_indexer_maps_labels_to_their_positions(tmp_path):
    out = run(tmp_path, "string_indexer", indexer("error"), leap(x=["I", "F", "M"]))
    assert out["y"].tolist() == [2.0, 0.0, 1.0]


def test_string_indexer_error_mode_names_the_column_and_value(tmp_path):
    with pytest.raises(UnprocessableEntity, match=r"'x'.*'Q'"):
        run(tmp_path, "string_indexer", indexer("error"), leap(x=["F", "Q"]))


def test_string_indexer_keep_mode_gives_unseen_and_null_the_extra_index(tmp_path):
    out = run(tmp_path, "string_indexer", indexer("keep"), leap(x=["Q", None, "M"]))
    assert out["y"].tolist() == [3.0, 3.0, 1.0]


def test_string_indexer_skip_mode_drops_the_row_from_every_column(tmp_path):
    frame = {**leap(x=["F", "Q", "I"]), "other": np.array([1.0, 2.0, 3.0])}
    out = run(tmp_path, "string_indexer", indexer("skip"), frame)
    assert out["y"].tolist() == [0.0, 2.0]
    assert out["other"].tolist() == [1.0, 3.0]
    assert out["x"].tolist() == ["F", "I"]


def test_string_indexer_legacy_labels_and_multi_column_layouts(tmp_path):
    legacy = run(
        tmp_path,
        "string_indexer",
        {"labels": strings(["a", "b"]), "nullable_input": {}},
        leap(x=["b", "a"]),
    )
    assert legacy["y"].tolist() == [1.0, 0.0]
    multi = {
        "labels_length": {"int": 2},
        "labels_array_0": strings(["a", "b"]),
        "labels_array_1": strings(["p", "q", "r"]),
        "handle_invalid": string("error"),
    }
    ports = {
        "inputs": {"input0": "x", "input1": "z"},
        "outputs": {"output0": "x_i", "output1": "z_i"},
    }
    out = run(tmp_path, "string_indexer", multi, leap(x=["b"], z=["r"]), **ports)
    assert (out["x_i"].tolist(), out["z_i"].tolist()) == ([1.0], [2.0])


def test_string_indexer_casts_numbers_as_java_prints_them(tmp_path):
    out = run(
        tmp_path,
        "string_indexer",
        {"labels": strings(["1.0", "1.0E20", "2.5"]), "handle_invalid": string("error")},
        {"x": np.array([1e20, 2.5, 1.0])},
    )
    assert out["y"].tolist() == [1.0, 2.0, 0.0]


def test_reverse_string_indexer_maps_indices_back_and_refuses_unknown_ones(tmp_path):
    attributes = {"labels": strings(["unacc", "acc", "good", "vgood"])}
    out = run(tmp_path, "reverse_string_indexer", attributes, leap(x=[3.0, 0.0]))
    assert out["y"].tolist() == ["vgood", "unacc"]
    with pytest.raises(UnprocessableEntity, match="unseen index 7.0"):
        run(tmp_path, "reverse_string_indexer", attributes, leap(x=[7.0]))


# one_hot_encoder


@pytest.mark.parametrize(
    ("drop_last", "mode", "width", "rows"),
    [
        (True, "error", 2, [[1, 0], [0, 1], [0, 0]]),
        (False, "error", 3, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
        (True, "keep", 3, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
        (False, "keep", 4, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]),
    ],
)
def test_one_hot_encoder_sizes_follow_drop_last_and_handle_invalid(
    tmp_path, drop_last, mode, width, rows
):
    attributes = {
        "category_sizes": ints([3]),
        "drop_last": boolean(drop_last),
        "handle_invalid": string(mode),
    }
    out = run(tmp_path, "one_hot_encoder", attributes, leap(x=[0.0, 1.0, 2.0]))
    assert scipy.sparse.issparse(out["y"])
    assert out["y"].shape == (3, width)
    assert out["y"].toarray().tolist() == rows


def test_one_hot_encoder_invalid_index_raises_or_takes_the_keep_slot(tmp_path):
    strict = {
        "category_sizes": ints([3]),
        "drop_last": boolean(False),
        "handle_invalid": string("error"),
    }
    with pytest.raises(UnprocessableEntity, match="category index 5.0"):
        run(tmp_path, "one_hot_encoder", strict, leap(x=[5.0]))
    keep = {**strict, "handle_invalid": string("keep")}
    assert run(tmp_path, "one_hot_encoder", keep, leap(x=[5.0, np.nan]))[
        "y"
    ].toarray().tolist() == [[0, 0, 0, 1], [0, 0, 0, 1]]


def test_one_hot_encoder_truncates_fractional_indices_like_spark(tmp_path):
    attributes = {
        "category_sizes": ints([3]),
        "drop_last": boolean(False),
        "handle_invalid": string("error"),
    }
    assert dense(run(tmp_path, "one_hot_encoder", attributes, leap(x=[1.5]))["y"]).tolist() == [
        [0, 1, 0]
    ]


def test_one_hot_encoder_legacy_size_is_the_output_length(tmp_path):
    out = run(
        tmp_path,
        "one_hot_encoder",
        {"size": long(3), "drop_last": boolean(True)},
        leap(x=[0.0, 2.0, 3.0]),
    )
    assert out["y"].toarray().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]


def test_one_hot_encoder_multi_column(tmp_path):
    attributes = {
        "category_sizes": ints([2, 3]),
        "drop_last": boolean(False),
        "handle_invalid": string("error"),
    }
    ports = {
        "inputs": {"input0": "a", "input1": "b"},
        "outputs": {"output0": "va", "output1": "vb"},
    }
    out = run(tmp_path, "one_hot_encoder", attributes, leap(a=[1.0], b=[2.0]), **ports)
    assert (dense(out["va"]).tolist(), dense(out["vb"]).tolist()) == ([[0, 1]], [[0, 0, 1]])


# vector_assembler


def test_vector_assembler_concatenates_scalars_and_vectors(tmp_path):
    ports = {"inputs": {"input0": "a", "input1": "v", "input2": "b"}, "outputs": {"output": "f"}}
    frame = {
        "a": np.array([1.0, 2.0]),
        "v": np.array([[3.0, 4.0], [5.0, 6.0]]),
        "b": np.array([7.0, 8.0]),
    }
    out = run(tmp_path, "vector_assembler", {"input_shapes": shapes(None, 2, None)}, frame, **ports)
    assert out["f"].tolist() == [[1, 3, 4, 7], [2, 5, 6, 8]]


def test_vector_assembler_stays_sparse_with_sparse_parts(tmp_path):
    ports = {"inputs": {"input0": "s", "input1": "b"}, "outputs": {"output": "f"}}
    frame = {"s": scipy.sparse.csr_matrix(np.array([[0.0, 1.0, 0.0]])), "b": np.array([2.0])}
    out = run(tmp_path, "vector_assembler", {"input_shapes": shapes(3, None)}, frame, **ports)
    assert scipy.sparse.issparse(out["f"])
    assert out["f"].toarray().tolist() == [[0, 1, 0, 2]]


def test_vector_assembler_refuses_nan_as_spark_does(tmp_path):
    ports = {"inputs": {"input0": "a", "input1": "b"}, "outputs": {"output": "f"}}
    with pytest.raises(UnprocessableEntity, match="'b'.*NaN"):
        run(
            tmp_path,
            "vector_assembler",
            {"input_shapes": shapes(None, None)},
            leap(a=[1.0], b=[np.nan]),
            **ports,
        )


# scalers and element-wise ops


def test_standard_scaler_with_and_without_mean(tmp_path):
    x = {"x": np.array([[2.0, 5.0], [4.0, 5.0]])}
    both = run(
        tmp_path, "standard_scaler", {"mean": tensor([3.0, 5.0]), "std": tensor([2.0, 0.0])}, x
    )
    assert both["y"].tolist() == [[-0.5, 0.0], [0.5, 0.0]]
    only_std = run(
        tmp_path,
        "standard_scaler",
        {"std": tensor([2.0, 0.0])},
        {"x": scipy.sparse.csr_matrix([[2.0, 5.0]])},
    )
    assert scipy.sparse.issparse(only_std["y"]) and only_std["y"].toarray().tolist() == [[1.0, 0.0]]


def test_min_max_scaler_defaults_and_constant_feature(tmp_path):
    out = run(
        tmp_path,
        "min_max_scaler",
        {"min": tensor([0.0, 3.0]), "max": tensor([10.0, 3.0])},
        {"x": np.array([[5.0, 3.0]])},
    )
    assert out["y"].tolist() == [[0.5, 0.5]]
    ranged = run(
        tmp_path,
        "min_max_scaler",
        {
            "min": tensor([0.0]),
            "max": tensor([10.0]),
            "minValue": double(-1.0),
            "maxValue": double(1.0),
        },
        {"x": np.array([[10.0]])},
    )
    assert ranged["y"].tolist() == [[1.0]]


def test_max_abs_scaler_does_not_clamp(tmp_path):
    out = run(
        tmp_path, "max_abs_scaler", {"maxAbs": tensor([2.0, 4.0])}, {"x": np.array([[10.0, -10.0]])}
    )
    assert out["y"].tolist() == [[5.0, -2.5]]


def test_imputer_replaces_nan_null_and_the_missing_value(tmp_path):
    attributes = {
        "surrogate_value": double(7.5),
        "missing_value": double(-1.0),
        "strategy": string("mean"),
    }
    out = run(tmp_path, "imputer", attributes, {"x": np.array([np.nan, -1.0, 3.0])})
    assert out["y"].tolist() == [7.5, 7.5, 3.0]
    with_null = run(
        tmp_path,
        "imputer",
        {"surrogate_value": double(1.0)},
        {"x": np.array([None, 2.0], dtype=object)},
    )
    assert with_null["y"].tolist() == [1.0, 2.0]


def test_bucketizer_restores_infinite_ends_and_handles_nan(tmp_path):
    splits = {"splits": doubles([None, 10.0, 100.0, None])}
    out = run(tmp_path, "bucketizer", splits, leap(x=[-5.0, 10.0, 1e9]))
    assert out["y"].tolist() == [0.0, 1.0, 2.0]
    kept = run(
        tmp_path, "bucketizer", {**splits, "handle_invalid": string("keep")}, leap(x=[np.nan])
    )
    assert kept["y"].tolist() == [3.0]
    skipped = run(
        tmp_path, "bucketizer", {**splits, "handle_invalid": string("skip")}, leap(x=[np.nan, 50.0])
    )
    assert skipped["y"].tolist() == [1.0]
    with pytest.raises(UnprocessableEntity):
        run(tmp_path, "bucketizer", splits, leap(x=[np.nan]))


def test_bucketizer_refuses_values_outside_finite_splits(tmp_path):
    with pytest.raises(UnprocessableEntity, match="outside"):
        run(tmp_path, "bucketizer", {"splits": doubles([0.0, 1.0, 2.0])}, leap(x=[3.0]))
    assert run(tmp_path, "bucketizer", {"splits": doubles([0.0, 1.0, 2.0])}, leap(x=[2.0]))[
        "y"
    ].tolist() == [1.0]


def test_binarizer_scalar_vector_and_legacy_threshold(tmp_path):
    scalar = run(
        tmp_path,
        "binarizer",
        {"threshold": double(0.5), "input_shape": {"data_shape": {"base": "scalar"}}},
        leap(x=[0.2, 0.7]),
    )
    assert scalar["y"].tolist() == [0.0, 1.0]
    vector = run(tmp_path, "binarizer", {"threshold": double(1.0)}, {"x": np.array([[0.5, 2.0]])})
    assert vector["y"].tolist() == [[0.0, 1.0]]


def test_normalizer_pca_and_elementwise_product(tmp_path):
    x = {"x": np.array([[3.0, 4.0], [0.0, 0.0]])}
    assert run(tmp_path, "normalizer", {"p_norm": double(2.0)}, x)["y"].tolist() == [
        [0.6, 0.8],
        [0, 0],
    ]
    assert run(tmp_path, "normalizer", {"p_norm": double(1.0)}, x)["y"][0].tolist() == [
        3 / 7,
        4 / 7,
    ]
    components = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])  # [features, k]
    pca = run(tmp_path, "pca", {"principal_components": tensor(components)}, x)
    assert pca["y"].tolist() == [[3.0, 4.0, 6.0], [0, 0, 0]]
    product = run(tmp_path, "elementwise_product", {"scaling_vec": tensor([2.0, 0.5])}, x)
    assert product["y"].tolist() == [[6.0, 2.0], [0, 0]]


def test_polynomial_expansion_uses_sparks_term_order(tmp_path):
    out = run(
        tmp_path,
        "polynomial_expansion",
        {"degree": long(2), "input_size": long(2)},
        {"x": np.array([[2.0, 3.0]])},
    )
    # Spark: PolynomialExpansion(degree=2) on [x, y] is [x, x^2, y, x*y, y^2].
    assert out["y"].tolist() == [[2.0, 4.0, 3.0, 6.0, 9.0]]
    three = run(
        tmp_path, "polynomial_expansion", {"degree": long(2)}, {"x": np.array([[2.0, 3.0, 5.0]])}
    )
    assert three["y"].tolist() == [[2, 4, 3, 6, 9, 5, 10, 15, 25]]


def test_interaction_multiplies_every_combination(tmp_path):
    ports = {"inputs": {"input0": "a", "input1": "v"}, "outputs": {"output": "y"}}
    attributes = {
        "num_inputs": integer_(2),
        "num_features0": ints([1]),
        "num_features1": ints([1, 1]),
    }
    out = run(
        tmp_path,
        "interaction",
        attributes,
        {"a": np.array([2.0]), "v": np.array([[3.0, 4.0]])},
        **ports,
    )
    assert dense(out["y"]).tolist() == [[6.0, 8.0]]


def integer_(value):
    return {"int": value}


def test_vector_slicer_and_indexer(tmp_path):
    x = {"x": np.array([[1.0, 2.0, 3.0]])}
    sliced = run(tmp_path, "vector_slicer", {"indices": longs([2]), "named_indices": ints([0])}, x)
    assert sliced["y"].tolist() == [[3.0, 1.0]]
    attributes = {
        "keys": longs([1]),
        "key_1_keys": doubles([2.0, 9.0]),
        "key_1_values": longs([1, 0]),
        "num_features": long(3),
        "handle_invalid": string("error"),
    }
    assert run(tmp_path, "vector_indexer", attributes, x)["y"].tolist() == [[1.0, 1.0, 3.0]]
    with pytest.raises(UnprocessableEntity, match="feature 1"):
        run(tmp_path, "vector_indexer", attributes, {"x": np.array([[1.0, 5.0, 3.0]])})


def test_string_map_with_default(tmp_path):
    attributes = {
        "labels": strings(["a", "b"]),
        "values": doubles([1.0, 2.0]),
        "handle_invalid": string("keep"),
        "default_value": double(-1.0),
    }
    assert run(tmp_path, "string_map", attributes, leap(x=["b", "z"]))["y"].tolist() == [2.0, -1.0]


def test_skip_filters_sparse_and_token_columns_too(tmp_path):
    tokens = np.empty(3, dtype=object)
    tokens[:] = [["a"], ["b"], ["c"]]
    frame = {
        **leap(x=["F", "Q", "I"]),
        "v": scipy.sparse.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0], [3.0, 4.0]])),
        "t": tokens,
    }
    out = run(tmp_path, "string_indexer", indexer("skip"), frame)
    assert out["v"].toarray().tolist() == [[0.0, 1.0], [3.0, 4.0]]
    assert out["t"].tolist() == [["a"], ["c"]]


def test_dct_is_orthonormal_dct_ii(tmp_path):
    out = run(
        tmp_path, "dct", {"inverse": {}, "input_size": integer_(2)}, {"x": np.array([[1.0, 2.0]])}
    )
    assert np.allclose(out["y"], [[3 / np.sqrt(2), -1 / np.sqrt(2)]])
    back = run(tmp_path / "inverse", "dct", {"inverse": boolean(True)}, {"x": out["y"]})
    assert np.allclose(back["y"], [[1.0, 2.0]])


def test_sklearn_binarizer_and_polynomial_expansion(tmp_path):
    out = run(tmp_path, "sklearn_binarizer", {"threshold": double(0.5)}, leap(x=[0.5, 0.6]))
    assert out["y"].tolist() == [0.0, 1.0]
    names = string("[1,x0,x1,x0^2,x0 x1,x1^2]")  # scikit-learn's get_feature_names()
    poly = run(
        tmp_path / "poly",
        "sklearn_polynomial_expansion",
        {"combinations": names},
        {"x": np.array([[2.0, 3.0]])},
    )
    assert poly["y"].tolist() == [[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]


def test_lsh_hashes(tmp_path):
    x = {"x": np.array([[0.0, 2.0, 0.0, 1.0]])}
    minhash = run(
        tmp_path,
        "min_hash_lsh",
        {"random_coefficients_a": longs([3, 5]), "random_coefficients_b": longs([7, 1])},
        x,
    )
    # active indices 1 and 3: min((2*3+7), (4*3+7)) = 13; min((2*5+1), (4*5+1)) = 11
    assert minhash["y"].tolist() == [[13.0, 11.0]]
    with pytest.raises(UnprocessableEntity, match="non-zero"):
        run(
            tmp_path / "zero",
            "min_hash_lsh",
            {"random_coefficients_a": longs([3]), "random_coefficients_b": longs([7])},
            {"x": np.zeros((1, 4))},
        )
    units = {"type": "list", "tensor": [tensor([1.0, 0.0]), tensor([0.6, 0.8])]}
    brp = run(
        tmp_path / "brp",
        "bucketed_random_projection_lsh",
        {"random_unit_vectors": units, "bucket_length": double(2.0)},
        {"x": np.array([[3.0, 1.0]])},
    )
    assert brp["y"].tolist() == [[1.0, 1.0]]  # floor(3/2), floor(2.6/2)


def test_multinomial_labeler(tmp_path):
    attributes = {"threshold": double(0.3), "labels": strings(["a", "b", "c"])}
    ports = {"inputs": {"features": "p"}, "outputs": {"probabilities": "ps", "labels": "ls"}}
    out = run(
        tmp_path,
        "multinomial_labeler",
        attributes,
        {"p": np.array([[0.5, 0.1, 0.4], [0.1, 0.2, 0.7]])},
        **ports,
    )
    assert out["ps"].tolist() == [[0.5, 0.4], [0.7]]
    assert out["ls"].tolist() == [["a", "c"], ["c"]]
