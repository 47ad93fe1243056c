"""Parity: Spark's own transform vs our converter + runtime, op by op, on real data.

Every case fits a small pipeline in pyspark (local[2]), saves it, converts the saved
folder with `inferline.stages.sparkml.convert` (no JVM involved), loads the bundle with
`load_bundle`, and compares every produced column on the same rows, including
invalid and unseen values: strings and indices exactly, doubles within 1e-9 relative.
Rows Spark refuses must be refused by the runtime too. One SparkSession serves the
whole module.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from inferline.containers.cli import main as cli_main
from inferline.containers.core.errors import ModelLoadError, ServingError
from inferline.stages.sparkml.bundle import load_bundle
from inferline.stages.sparkml.convert import convert, package, package_model
from tests.parity.cases import CAR, CASES, NUMERIC, Case

DATASETS = Path(__file__).resolve().parents[2] / "training" / "datasets"
SAMPLE_ROWS = 40  # rows compared per case, besides the invalid and unseen ones
RTOL, ATOL = 1e-9, 1e-12


def _abalone() -> pd.DataFrame:
    frame = pd.read_csv(
        DATASETS / "abalone" / "abalone.csv", header=None, names=["sex", *NUMERIC, "rings"]
    )
    frame["is_male"] = (frame["sex"] == "M").astype(float)
    return frame


def _car() -> pd.DataFrame:
    return pd.read_csv(
        DATASETS / "car_evaluation" / "car.data", header=None, names=[*CAR, "class"], dtype=str
    )


def _dbpedia() -> pd.DataFrame:
    frame = pd.read_csv(
        DATASETS / "dbpedia" / "test.csv", header=None, names=["label", "title", "content"]
    )
    return frame.iloc[::4].reset_index(drop=True)  # 700 documents: enough vocabulary


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """The one SparkSession of the suite (local[2], no UI, two shuffle partitions)."""
    from inferline.training.spark import session

    yield session()


@pytest.fixture(scope="module")
def data(spark: Any) -> dict[str, tuple[pd.DataFrame, Any]]:
    """Each data set as pandas (for our runtime) and as a Spark DataFrame (to fit)."""
    frames = {"abalone": _abalone(), "car": _car(), "dbpedia": _dbpedia()}
    return {name: (frame, _spark_frame(spark, frame)) for name, frame in frames.items()}


def _spark_frame(spark: Any, frame: pd.DataFrame, schema: Any = None) -> Any:
    """A Spark DataFrame of the same rows; NaN stays NaN (Arrow would make it null)."""
    records = [
        tuple(None if v is None else v for v in row)
        for row in frame.astype(object).itertuples(index=False)
    ]
    return spark.createDataFrame(records, schema=schema or _schema(frame))


def _schema(frame: pd.DataFrame) -> Any:
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    types = {"f": DoubleType(), "i": LongType(), "O": StringType()}
    fields = [StructField(name, types[dtype.kind]) for name, dtype in frame.dtypes.items()]
    return StructType(fields)


def _fit_and_convert(case: Case, fitting: Any, tmp_path: Path) -> tuple[Any, Any]:
    from pyspark.ml import Pipeline

    model = Pipeline(stages=case.stages()).fit(fitting)
    model.write().save(str(tmp_path / "spark"))
    bundle = load_bundle(convert(tmp_path / "spark", tmp_path / "bundle"))
    return model, bundle


def _column(values: pd.Series) -> np.ndarray:
    """A pandas column as a leap-frame column (object arrays of str with None for nulls)."""
    if values.dtype == object:
        return np.array([None if v is None or v != v else v for v in values], dtype=object)
    return values.to_numpy()


def _spark_column(values: list[Any]) -> Any:
    """Spark's values for one column, as a dense matrix, a float array or a list."""
    from pyspark.ml.linalg import Vector

    present = [v for v in values if v is not None]
    if present and isinstance(present[0], Vector):
        return np.vstack([v.toArray() for v in values]) if values else np.zeros((0, 0))
    if present and isinstance(present[0], (float, int)) and not isinstance(present[0], bool):
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return [list(v) if isinstance(v, list) else v for v in values]


def _ours(column: Any) -> Any:
    if scipy.sparse.issparse(column):
        return column.toarray()
    if isinstance(column, np.ndarray) and column.dtype != object:
        return column.astype(np.float64)
    return [list(v) if isinstance(v, list) else v for v in column]


def _compare(name: str, ours: Any, theirs: Any) -> None:
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{name}: expected numbers, got {ours!r:.200}"
        assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != Spark {theirs.shape}"
        np.testing.assert_allclose(
            ours, theirs, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"column {name!r}"
        )
    else:
        assert ours == theirs, f"column {name!r} differs from Spark"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_parity(case: Case, spark: Any, data: dict[str, Any], tmp_path: Path) -> None:
    frame, fitting = data[case.data]
    model, bundle = _fit_and_convert(case, fitting, tmp_path)
    step = max(1, len(frame) // SAMPLE_ROWS)
    rows = pd.concat(
        [frame.iloc[::step].head(SAMPLE_ROWS), pd.DataFrame(case.extra)], ignore_index=True
    ).astype(frame.dtypes.to_dict())
    expected = model.transform(_spark_frame(spark, rows, fitting.schema)).collect()
    ours = bundle.transform({name: _column(rows[name]) for name in bundle.input_columns})

    produced = [name for name in bundle.output_columns if name not in frame.columns]
    assert produced, "the bundle produces no column"
    for name in produced:
        theirs = _spark_column([row[name] for row in expected])
        _compare(name, _ours(ours[name]), theirs)
    for name in case.sparse:
        assert all(type(row[name]).__name__ == "SparseVector" for row in expected), name
        assert scipy.sparse.issparse(ours[name]), f"{name}: Spark keeps it sparse, we do not"

    for bad in case.rejected:
        bad_rows = pd.DataFrame([bad]).astype(frame.dtypes.to_dict())
        with pytest.raises(Exception):  # noqa: B017 (Spark raises Py4J/Spark errors)
            model.transform(_spark_frame(spark, bad_rows, fitting.schema)).collect()
        with pytest.raises(ServingError):
            bundle.transform({name: _column(bad_rows[name]) for name in bundle.input_columns})


def test_every_runtime_op_with_a_spark_counterpart_is_covered() -> None:
    from inferline.stages.sparkml.convert import CONVERTERS  # noqa: F401 (registry loaded)

    covered = set().union(*(case.ops for case in CASES))
    # string_map, math_unary and math_binary are MLeap-only: Spark has no such stages.
    spark_ops = {
        "string_indexer",
        "reverse_string_indexer",
        "one_hot_encoder",
        "vector_assembler",
        "standard_scaler",
        "min_max_scaler",
        "max_abs_scaler",
        "imputer",
        "bucketizer",
        "binarizer",
        "normalizer",
        "pca",
        "polynomial_expansion",
        "elementwise_product",
        "interaction",
        "vector_slicer",
        "vector_indexer",
        "tokenizer",
        "regex_tokenizer",
        "stopwords_remover",
        "ngram",
        "hashing_term_frequency",
        "count_vectorizer",
        "idf",
        "linear_regression",
        "logistic_regression",
        "linear_svc",
        "naive_bayes",
        "decision_tree_classifier",
        "decision_tree_regression",
        "random_forest_classifier",
        "random_forest_regression",
        "gbt_classifier",
        "gbt_regression",
        "k_means",
    }
    assert spark_ops <= covered, sorted(spark_ops - covered)


def test_unsupported_stage_is_refused_by_uid_and_class(
    spark: Any, data: dict[str, Any], tmp_path: Path
) -> None:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import SQLTransformer, StringIndexer

    sql = SQLTransformer(statement="SELECT *, length * 2 AS twice FROM __THIS__")
    model = Pipeline(stages=[StringIndexer(inputCol="sex", outputCol="sex_idx"), sql]).fit(
        data["abalone"][1]
    )
    model.write().save(str(tmp_path / "spark"))
    with pytest.raises(
        ModelLoadError,
        match=rf"{sql.uid} \(org\.apache\.spark\.ml\.feature"
        r"\.SQLTransformer\)",
    ):
        convert(tmp_path / "spark", tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_package_model_writes_what_sagemaker_extracts(
    spark: Any, data: dict[str, Any], tmp_path: Path
) -> None:
    """In-memory PipelineModel -> model.tar.gz with bundle.json and root/ on top."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    frame, fitting = data["car"]
    model = Pipeline(
        stages=[
            StringIndexer(inputCols=CAR, outputCols=[f"{c}_i" for c in CAR]),
            OneHotEncoder(inputCols=[f"{c}_i" for c in CAR], outputCols=[f"{c}_v" for c in CAR]),
            VectorAssembler(inputCols=[f"{c}_v" for c in CAR], outputCol="features"),
        ]
    ).fit(fitting)
    archive = package_model(model, tmp_path / "model.tar.gz")

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "model", filter="data")
    assert {name.split("/")[0] for name in names} == {"bundle.json", "root"}
    info = json.loads((tmp_path / "model" / "bundle.json").read_text())
    assert info["format"] == "json" and info["name"] == model.uid
    bundle = load_bundle(archive)
    assert sorted(bundle.input_columns) == sorted(CAR)
    out = bundle.transform({c: frame[c].to_numpy(dtype=object)[:3] for c in CAR})
    expected = model.transform(_spark_frame(spark, frame.head(3))).collect()
    np.testing.assert_array_equal(
        _ours(out["features"]), np.vstack([row["features"].toArray() for row in expected])
    )


def test_cli_packages_a_single_saved_stage(
    spark: Any, data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare fitted stage (not a pipeline) becomes the bundle's root, as in the DBpedia
    example where the root is a Tokenizer."""
    from pyspark.ml.feature import StringIndexer

    indexer = StringIndexer(inputCol="sex", outputCol="sex_idx", handleInvalid="keep").fit(
        data["abalone"][1]
    )
    indexer.write().save(str(tmp_path / "spark"))

    assert (
        cli_main(
            ["package", "sparkml", str(tmp_path / "spark"), "-o", str(tmp_path / "model.tar.gz")]
        )
        == 0
    )
    assert "model.tar.gz" in capsys.readouterr().out
    bundle = load_bundle(tmp_path / "model.tar.gz")
    assert bundle.name == indexer.uid
    sexes = ["M", "I", "F", "?"]  # "?" is unseen: handleInvalid="keep" gives it its own index
    out = bundle.transform({"sex": np.array(sexes, dtype=object)})
    spark_rows = indexer.transform(spark.createDataFrame([(sex,) for sex in sexes], ["sex"]))
    theirs = [row["sex_idx"] for row in spark_rows.collect()]
    assert sorted(theirs) == [0.0, 1.0, 2.0, 3.0]  # three labels and the unseen one, all apart
    np.testing.assert_array_equal(out["sex_idx"], theirs)


def test_cli_refuses_a_folder_that_is_not_a_saved_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["package", "sparkml", str(tmp_path), "-o", str(tmp_path / "m.tar.gz")]) == 2
    assert "not a saved Spark ML model" in capsys.readouterr().err
    assert not (tmp_path / "m.tar.gz").exists()


def test_raw_vector_inputs_need_their_size(spark: Any, tmp_path: Path) -> None:
    from pyspark.ml.feature import StandardScaler
    from pyspark.ml.linalg import Vectors

    frame = spark.createDataFrame(
        [(Vectors.dense([1.0, 2.0]),), (Vectors.dense([3.0, 5.0]),)], ["v"]
    )
    StandardScaler(inputCol="v", outputCol="s").fit(frame).write().save(str(tmp_path / "spark"))
    # The scaler's own statistics give its size; a VectorAssembler over a raw vector does not.
    assert load_bundle(package(tmp_path / "spark", tmp_path / "a.tar.gz")).output_columns == ["s"]
