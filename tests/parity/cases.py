"""The parity cases: small pyspark pipelines that together use every convertible op.

Each case names the MLeap ops it proves, the data set it fits on, the stages (built
lazily, since pyspark is imported only when Spark runs), rows Spark accepts although
they are invalid or unseen (keep modes), and rows Spark refuses (error modes), which
the runtime must refuse too. Ops that tolerate the same rows share a pipeline: every
Spark fit and save costs seconds, and the suite has to stay within a few minutes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NUMERIC = ["length", "diameter", "height", "whole", "shucked", "viscera", "shell"]
CAR = ["buying", "maint", "doors", "persons", "lug_boot", "safety"]
INF = float("inf")
NAN = float("nan")

ABALONE_ROW = {
    "sex": "F",
    "length": 0.5,
    "diameter": 0.4,
    "height": 0.13,
    "whole": 0.7,
    "shucked": 0.3,
    "viscera": 0.15,
    "shell": 0.2,
    "rings": 9,
    "is_male": 0.0,
}
CAR_ROW = {
    "buying": "low",
    "maint": "med",
    "doors": "4",
    "persons": "more",
    "lug_boot": "big",
    "safety": "high",
    "class": "vgood",
}
TEXT_ROW = {"label": 1, "title": "t", "content": "Hello world"}


def abalone(**values: Any) -> dict[str, Any]:
    return {**ABALONE_ROW, **values}


def car(**values: Any) -> dict[str, Any]:
    return {**CAR_ROW, **values}


def text(content: str | None) -> dict[str, Any]:
    return {**TEXT_ROW, "content": content}


@dataclass(frozen=True)
class Case:
    """One parity check: fit `stages` on `data`, compare on sample rows plus `extra`."""

    id: str
    ops: tuple[str, ...]
    data: str  # abalone | car | dbpedia
    stages: Callable[[], list[Any]]
    extra: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    sparse: tuple[str, ...] = ()  # columns Spark keeps sparse: ours must be sparse too


@functools.cache
def _ml() -> Any:
    import pyspark.ml.classification as classification
    import pyspark.ml.clustering as clustering
    import pyspark.ml.feature as feature
    import pyspark.ml.regression as regression

    class ML:  # one namespace for the pyspark.ml classes the cases use
        pass

    for module in (feature, classification, regression, clustering):
        for name in module.__all__:
            setattr(ML, name, getattr(module, name))
    return ML


def _assemble(columns: list[str] = NUMERIC, out: str = "features", **params: Any) -> Any:
    return _ml().VectorAssembler(inputCols=columns, outputCol=out, **params)


def _indexed(columns: list[str] = CAR) -> Any:
    return _ml().StringIndexer(
        inputCols=columns, outputCols=[f"{c}_idx" for c in columns], handleInvalid="keep"
    )


def _car_features(vector_indexer: bool = False) -> list[Any]:
    """The car-evaluation preprocessor: index, one-hot, assemble; label from class."""
    ml = _ml()
    stages = [_indexed(), ml.StringIndexer(inputCol="class", outputCol="label")]
    if vector_indexer:
        return stages + [
            _assemble([f"{c}_idx" for c in CAR], "raw"),
            ml.VectorIndexer(
                inputCol="raw", outputCol="features", maxCategories=5, handleInvalid="keep"
            ),
        ]
    return stages + [
        ml.OneHotEncoder(
            inputCols=[f"{c}_idx" for c in CAR],
            outputCols=[f"{c}_vec" for c in CAR],
            handleInvalid="keep",
        ),
        _assemble([f"{c}_vec" for c in CAR]),
    ]


def _outputs(name: str, classifier: bool = True) -> dict[str, str]:
    """Distinct output columns, so that several predictors share one pipeline."""
    if not classifier:
        return {"predictionCol": f"{name}_prediction"}
    return {
        "predictionCol": f"{name}_prediction",
        "rawPredictionCol": f"{name}_raw",
        "probabilityCol": f"{name}_probability",
    }


def _abalone_vectors() -> list[Any]:
    ml = _ml()
    return [
        _assemble(),
        ml.StandardScaler(inputCol="features", outputCol="centred", withMean=True),
        ml.StandardScaler(inputCol="features", outputCol="scaled"),
        ml.MinMaxScaler(inputCol="features", outputCol="min_max", min=-1.0, max=2.0),
        ml.MaxAbsScaler(inputCol="features", outputCol="max_abs"),
        ml.Binarizer(threshold=0.2, inputCol="features", outputCol="bits"),
        ml.Normalizer(inputCol="features", outputCol="l1", p=1.0),
        ml.Normalizer(inputCol="features", outputCol="l3", p=3.0),
        ml.PCA(k=3, inputCol="features", outputCol="pca"),
        ml.ElementwiseProduct(
            scalingVec=_dense([1.0, -2.0, 0.5, 0.0, 3.0, 1e-3, 7.0]),
            inputCol="features",
            outputCol="product",
        ),
        ml.VectorSlicer(indices=[6, 0, 3], inputCol="features", outputCol="some"),
        _assemble(["length", "diameter", "height"], "three"),
        ml.PolynomialExpansion(degree=3, inputCol="three", outputCol="poly"),
    ]


def _abalone_scalars() -> list[Any]:
    ml = _ml()
    return [
        ml.Imputer(
            inputCols=["length", "whole"], outputCols=["length_i", "whole_i"], strategy="median"
        ),
        ml.Imputer(inputCol="height", outputCol="height_i", missingValue=0.0),
        ml.Bucketizer(
            splits=[-INF, 0.3, 0.5, 0.7, INF],
            inputCol="length",
            outputCol="length_b",
            handleInvalid="keep",
        ),
        ml.Bucketizer(
            splitsArray=[[0.0, 0.2, 0.4, 1.0], [-INF, 1.0, INF]],
            inputCols=["diameter", "whole"],
            outputCols=["d_b", "w_b"],
            handleInvalid="keep",
        ),
        ml.Binarizer(threshold=0.4, inputCol="length", outputCol="long"),
        _assemble(out="kept", handleInvalid="keep"),
    ]


def _abalone_predictors() -> list[Any]:
    ml = _ml()
    return [
        _assemble(),
        ml.LinearRegression(labelCol="rings", regParam=0.01, maxIter=20, **_outputs("lr", False)),
        ml.DecisionTreeRegressor(labelCol="rings", maxDepth=6, **_outputs("dt", False)),
        ml.RandomForestRegressor(
            labelCol="rings", numTrees=10, maxDepth=6, seed=1, **_outputs("rf", False)
        ),
        ml.GBTRegressor(labelCol="rings", maxIter=10, maxDepth=3, seed=1, **_outputs("gbr", False)),
        ml.LogisticRegression(labelCol="is_male", threshold=0.4, maxIter=20, **_outputs("logit")),
        ml.LinearSVC(
            labelCol="is_male",
            maxIter=10,
            predictionCol="svc_prediction",
            rawPredictionCol="svc_raw",
        ),
        # GBTClassifier's constructor lacks the raw and probability columns; setters have them.
        ml.GBTClassifier(
            labelCol="is_male", maxIter=10, maxDepth=3, seed=1, predictionCol="gbc_prediction"
        )
        .setRawPredictionCol("gbc_raw")
        .setProbabilityCol("gbc_probability"),
        ml.KMeans(k=4, seed=1, maxIter=5, predictionCol="cluster"),
    ]


def _interactions() -> list[Any]:
    ml = _ml()
    return [
        ml.StringIndexer(inputCol="sex", outputCol="sex_idx", handleInvalid="keep"),
        ml.IndexToString(inputCol="sex_idx", outputCol="sex_again"),
        ml.StringIndexer(inputCol="rings", outputCol="rings_idx", handleInvalid="keep"),
        ml.OneHotEncoder(inputCol="sex_idx", outputCol="sex_vec", dropLast=False),
        _assemble(["length", "diameter"], "pair"),
        ml.Interaction(inputCols=["sex_vec", "pair", "whole"], outputCol="crossed"),
        ml.Interaction(inputCols=["sex_idx", "length"], outputCol="nominal"),
    ]


def _text_features() -> list[Any]:
    ml = _ml()
    return [
        ml.Tokenizer(inputCol="content", outputCol="tokens"),
        ml.RegexTokenizer(inputCol="content", outputCol="words", pattern="\\W+", minTokenLength=2),
        ml.RegexTokenizer(
            inputCol="content",
            outputCol="caps",
            pattern="[A-Z][a-z]+",
            gaps=False,
            toLowercase=False,
        ),
        ml.StopWordsRemover(inputCol="tokens", outputCol="kept"),
        ml.NGram(n=3, inputCol="tokens", outputCol="trigrams"),
        ml.HashingTF(inputCol="tokens", outputCol="tf", numFeatures=512),
        ml.HashingTF(inputCol="tokens", outputCol="seen", numFeatures=1 << 18, binary=True),
        ml.IDF(inputCol="tf", outputCol="tfidf", minDocFreq=2),
        ml.CountVectorizer(inputCol="tokens", outputCol="counts", vocabSize=300, minDF=2.0),
        ml.CountVectorizer(
            inputCol="tokens", outputCol="present", vocabSize=50, minTF=0.05, binary=True
        ),
    ]


def _cases() -> list[Case]:
    ml = _ml
    return [
        Case(
            "car-indexer-encoder",
            ("string_indexer", "one_hot_encoder", "vector_assembler"),
            "car",
            _car_features,
            extra=[car(buying="unseen", doors=None), car(maint=None, safety="?")],
            sparse=tuple(f"{c}_vec" for c in CAR),
        ),
        Case(
            "car-indexer-skip",
            ("string_indexer", "reverse_string_indexer"),
            "car",
            lambda: [
                ml().StringIndexer(
                    inputCol="buying",
                    outputCol="buying_idx",
                    handleInvalid="skip",
                    stringOrderType="alphabetAsc",
                ),
                ml().StringIndexer(inputCol="class", outputCol="class_idx"),
                ml().IndexToString(
                    inputCol="class_idx", outputCol="named", labels=["w", "x", "y", "z"]
                ),
            ],
            extra=[car(buying="zzz"), car(buying="high")],
        ),
        Case(
            "abalone-errors",
            ("string_indexer", "one_hot_encoder", "vector_assembler"),
            "abalone",
            lambda: [
                ml().StringIndexer(inputCol="sex", outputCol="sex_idx"),
                ml().OneHotEncoder(inputCol="sex_idx", outputCol="sex_vec"),
                _assemble(["sex_vec", *NUMERIC]),
            ],
            rejected=[abalone(sex="X"), abalone(length=NAN)],
        ),
        Case(
            "bucketizer-error",
            ("bucketizer",),
            "abalone",
            lambda: [
                ml().Bucketizer(splits=[0.0, 0.5, 1.0], inputCol="length", outputCol="length_b")
            ],
            rejected=[abalone(length=2.0)],
        ),
        Case(
            "abalone-nominal",
            ("string_indexer", "reverse_string_indexer", "one_hot_encoder", "interaction"),
            "abalone",
            _interactions,
            extra=[abalone(sex="X", rings=1000)],
        ),
        Case(
            "abalone-vectors",
            (
                "vector_assembler",
                "standard_scaler",
                "min_max_scaler",
                "max_abs_scaler",
                "binarizer",
                "normalizer",
                "pca",
                "elementwise_product",
                "vector_slicer",
                "polynomial_expansion",
            ),
            "abalone",
            _abalone_vectors,
            extra=[abalone(length=5.0, height=-1.0), abalone(length=10.0, whole=-10.0)],
        ),
        Case(
            "abalone-scalars",
            ("imputer", "bucketizer", "binarizer", "vector_assembler"),
            "abalone",
            _abalone_scalars,
            extra=[abalone(length=NAN, whole=NAN, height=0.0, diameter=1.0)],
        ),
        Case(
            "abalone-predictors",
            (
                "linear_regression",
                "decision_tree_regression",
                "random_forest_regression",
                "gbt_regression",
                "logistic_regression",
                "linear_svc",
                "gbt_classifier",
                "k_means",
            ),
            "abalone",
            _abalone_predictors,
        ),
        Case(
            "car-classifiers",
            ("logistic_regression", "naive_bayes"),
            "car",
            lambda: [
                *_car_features(),
                ml().LogisticRegression(
                    family="multinomial", regParam=0.01, maxIter=20, **_outputs("logit")
                ),
                ml().NaiveBayes(smoothing=0.5, **_outputs("nb")),
                ml().NaiveBayes(modelType="bernoulli", **_outputs("bernoulli")),
            ],
            extra=[car(buying="unseen")],
        ),
        Case(
            "car-trees",
            ("vector_indexer", "decision_tree_classifier", "random_forest_classifier"),
            "car",
            lambda: [
                *_car_features(vector_indexer=True),
                ml().DecisionTreeClassifier(maxDepth=8, **_outputs("dt")),
                ml().RandomForestClassifier(numTrees=10, maxDepth=6, seed=1, **_outputs("rf")),
            ],
            extra=[car(persons="unseen"), car(safety="unseen", doors="9")],
        ),
        Case(
            "text",
            (
                "tokenizer",
                "regex_tokenizer",
                "stopwords_remover",
                "ngram",
                "hashing_term_frequency",
                "idf",
                "count_vectorizer",
            ),
            "dbpedia",
            _text_features,
            extra=[
                text("  Hello  World \tX "),
                text("ΣΑΣ\u00a0x İs ünïcödé"),
                text(""),
                text("The THE a An it's, Hello!! bc zzzunseen"),
            ],
            sparse=("tf", "seen", "counts", "present", "tfidf"),
        ),
    ]


def _dense(values: list[float]) -> Any:
    from pyspark.ml.linalg import Vectors

    return Vectors.dense(values)


CASES = _cases()
