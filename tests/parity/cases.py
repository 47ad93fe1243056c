"""The parity cases: one small pyspark pipeline per bundle op, on the project's data sets.

Each case names the MLeap op it proves, the data set it fits on, the stages (built
lazily, since pyspark is imported only when Spark runs), rows Spark accepts although
they are invalid or unseen (keep modes), and rows Spark refuses (error modes), which
the runtime must refuse too.
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

ABALONE_ROW = {"sex": "F", "length": 0.5, "diameter": 0.4, "height": 0.13, "whole": 0.7,
               "shucked": 0.3, "viscera": 0.15, "shell": 0.2, "rings": 9, "is_male": 0.0}
CAR_ROW = {"buying": "low", "maint": "med", "doors": "4", "persons": "more",
           "lug_boot": "big", "safety": "high", "class": "vgood"}
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
    op: str
    data: str  # abalone | car | dbpedia
    stages: Callable[[], list[Any]]
    extra: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


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


def _assemble(ml: Any, columns: list[str] = NUMERIC, out: str = "features") -> Any:
    return ml.VectorAssembler(inputCols=columns, outputCol=out)


def _car_features(ml: Any, vector_indexer: bool = False) -> list[Any]:
    """The car-evaluation preprocessor: index, one-hot, assemble; label from class."""
    stages = [ml.StringIndexer(inputCols=CAR, outputCols=[f"{c}_idx" for c in CAR],
                               handleInvalid="keep"),
              ml.StringIndexer(inputCol="class", outputCol="label")]
    if vector_indexer:
        return stages + [_assemble(ml, [f"{c}_idx" for c in CAR], "raw"),
                         ml.VectorIndexer(inputCol="raw", outputCol="features", maxCategories=5,
                                          handleInvalid="keep")]
    return stages + [
        ml.OneHotEncoder(inputCols=[f"{c}_idx" for c in CAR], outputCols=[f"{c}_vec" for c in CAR]),
        _assemble(ml, [f"{c}_vec" for c in CAR]),
    ]


def _text(ml: Any, *after: Any) -> list[Any]:
    return [ml.Tokenizer(inputCol="content", outputCol="tokens"), *after]


def _cases() -> list[Case]:
    ml = _ml  # each lambda builds its stages only when the case runs
    return [
        # --- the SageMaker examples' ops
        Case("string_indexer-multi-keep", "string_indexer", "car", lambda: [
            ml().StringIndexer(inputCols=CAR, outputCols=[f"{c}_idx" for c in CAR],
                               handleInvalid="keep")],
            extra=[car(buying="unseen"), car(maint=None, safety="?")]),
        Case("string_indexer-error", "string_indexer", "abalone", lambda: [
            ml().StringIndexer(inputCol="sex", outputCol="sex_idx")],
            rejected=[abalone(sex="X")]),
        Case("string_indexer-skip-alphabetical", "string_indexer", "car", lambda: [
            ml().StringIndexer(inputCol="buying", outputCol="buying_idx", handleInvalid="skip",
                               stringOrderType="alphabetAsc")],
            extra=[car(buying="zzz"), car(buying="high")]),
        Case("string_indexer-integers", "string_indexer", "abalone", lambda: [
            ml().StringIndexer(inputCol="rings", outputCol="rings_idx", handleInvalid="keep")],
            extra=[abalone(rings=1000)]),
        Case("one_hot_encoder-keep", "one_hot_encoder", "car", lambda: [
            ml().StringIndexer(inputCols=CAR, outputCols=[f"{c}_idx" for c in CAR],
                               handleInvalid="keep"),
            ml().OneHotEncoder(inputCols=[f"{c}_idx" for c in CAR],
                               outputCols=[f"{c}_vec" for c in CAR], handleInvalid="keep")],
            extra=[car(buying="unseen", doors=None)]),
        Case("one_hot_encoder-no-drop-last", "one_hot_encoder", "abalone", lambda: [
            ml().StringIndexer(inputCol="sex", outputCol="sex_idx"),
            ml().OneHotEncoder(inputCol="sex_idx", outputCol="sex_vec", dropLast=False)]),
        Case("vector_assembler", "vector_assembler", "abalone", lambda: [
            ml().StringIndexer(inputCol="sex", outputCol="sex_idx"),
            ml().OneHotEncoder(inputCol="sex_idx", outputCol="sex_vec"),
            _assemble(ml(), ["sex_vec", *NUMERIC])],
            rejected=[abalone(length=NAN)]),
        Case("vector_assembler-keep", "vector_assembler", "abalone", lambda: [
            ml().VectorAssembler(inputCols=NUMERIC, outputCol="features", handleInvalid="keep")],
            extra=[abalone(length=NAN)]),
        Case("reverse_string_indexer", "reverse_string_indexer", "abalone", lambda: [
            ml().StringIndexer(inputCol="sex", outputCol="sex_idx", handleInvalid="keep"),
            ml().IndexToString(inputCol="sex_idx", outputCol="sex_again")],
            extra=[abalone(sex="X")]),
        Case("reverse_string_indexer-labels", "reverse_string_indexer", "car", lambda: [
            ml().StringIndexer(inputCol="class", outputCol="class_idx"),
            ml().IndexToString(inputCol="class_idx", outputCol="named",
                               labels=["w", "x", "y", "z"])]),
        Case("tokenizer", "tokenizer", "dbpedia", lambda: _text(ml()),
             extra=[text("  Hello  World \tX "), text("ΣΑΣ\u00a0x İs"), text("")]),
        Case("standard_scaler", "standard_scaler", "abalone", lambda: [
            _assemble(ml()),
            ml().StandardScaler(inputCol="features", outputCol="centred", withMean=True),
            ml().StandardScaler(inputCol="features", outputCol="scaled")]),
        Case("vector_indexer", "vector_indexer", "car",
             lambda: _car_features(ml(), vector_indexer=True),
             extra=[car(buying="unseen"), car(persons="9")]),
        Case("random_forest_classifier", "random_forest_classifier", "car", lambda: [
            *_car_features(ml(), vector_indexer=True),
            ml().RandomForestClassifier(numTrees=10, maxDepth=6, seed=1)],
            extra=[car(safety="unseen")]),
        Case("random_forest_regression", "random_forest_regression", "abalone", lambda: [
            _assemble(ml()),
            ml().RandomForestRegressor(labelCol="rings", numTrees=10, maxDepth=6, seed=1)]),
        # --- other feature transformers
        Case("min_max_scaler", "min_max_scaler", "abalone", lambda: [
            _assemble(ml()), ml().MinMaxScaler(inputCol="features", outputCol="mm", min=-1.0,
                                               max=2.0)],
            extra=[abalone(length=5.0, height=-1.0)]),
        Case("max_abs_scaler", "max_abs_scaler", "abalone", lambda: [
            _assemble(ml()), ml().MaxAbsScaler(inputCol="features", outputCol="ma")],
            extra=[abalone(length=10.0, whole=-10.0)]),
        Case("imputer", "imputer", "abalone", lambda: [
            ml().Imputer(inputCols=["length", "whole"], outputCols=["length_i", "whole_i"],
                         strategy="median"),
            ml().Imputer(inputCol="height", outputCol="height_i", missingValue=0.0)],
            extra=[abalone(length=NAN, whole=NAN, height=0.0)]),
        Case("bucketizer", "bucketizer", "abalone", lambda: [
            ml().Bucketizer(splits=[-INF, 0.3, 0.5, 0.7, INF], inputCol="length",
                            outputCol="length_b", handleInvalid="keep"),
            ml().Bucketizer(splitsArray=[[0.0, 0.2, 0.4, 1.0], [-INF, 1.0, INF]],
                            inputCols=["diameter", "whole"], outputCols=["d_b", "w_b"],
                            handleInvalid="keep")],
            extra=[abalone(length=NAN, diameter=1.0, whole=NAN)]),
        Case("bucketizer-error", "bucketizer", "abalone", lambda: [
            ml().Bucketizer(splits=[0.0, 0.5, 1.0], inputCol="length", outputCol="length_b")],
            rejected=[abalone(length=2.0)]),
        Case("binarizer", "binarizer", "abalone", lambda: [
            ml().Binarizer(threshold=0.4, inputCol="length", outputCol="long"),
            _assemble(ml()),
            ml().Binarizer(threshold=0.2, inputCol="features", outputCol="bits")]),
        Case("normalizer", "normalizer", "abalone", lambda: [
            _assemble(ml()), ml().Normalizer(inputCol="features", outputCol="l1", p=1.0),
            ml().Normalizer(inputCol="features", outputCol="l3", p=3.0)]),
        Case("pca", "pca", "abalone", lambda: [
            _assemble(ml()), ml().PCA(k=3, inputCol="features", outputCol="pca")]),
        Case("polynomial_expansion", "polynomial_expansion", "abalone", lambda: [
            _assemble(ml(), ["length", "diameter", "height"]),
            ml().PolynomialExpansion(degree=3, inputCol="features", outputCol="poly")]),
        Case("elementwise_product", "elementwise_product", "abalone", lambda: [
            _assemble(ml()), ml().ElementwiseProduct(
                scalingVec=_dense([1.0, -2.0, 0.5, 0.0, 3.0, 1e-3, 7.0]), inputCol="features",
                outputCol="scaled")]),
        Case("interaction", "interaction", "abalone", lambda: [
            ml().StringIndexer(inputCol="sex", outputCol="sex_idx"),
            ml().OneHotEncoder(inputCol="sex_idx", outputCol="sex_vec"),
            _assemble(ml(), ["length", "diameter"], "pair"),
            ml().Interaction(inputCols=["sex_vec", "pair", "whole"], outputCol="crossed"),
            ml().Interaction(inputCols=["sex_idx", "length"], outputCol="nominal")]),
        Case("vector_slicer", "vector_slicer", "abalone", lambda: [
            _assemble(ml()), ml().VectorSlicer(indices=[6, 0, 3], inputCol="features",
                                               outputCol="some")]),
        # --- text
        Case("regex_tokenizer", "regex_tokenizer", "dbpedia", lambda: [
            ml().RegexTokenizer(inputCol="content", outputCol="words", pattern="\\W+",
                                minTokenLength=2),
            ml().RegexTokenizer(inputCol="content", outputCol="caps", pattern="[A-Z][a-z]+",
                                gaps=False, toLowercase=False)],
            extra=[text("  Hello, World!! a bc"), text("")]),
        Case("stopwords_remover", "stopwords_remover", "dbpedia", lambda: _text(
            ml(), ml().StopWordsRemover(inputCol="tokens", outputCol="kept")),
            extra=[text("The THE a An it's")]),
        Case("ngram", "ngram", "dbpedia", lambda: _text(
            ml(), ml().NGram(n=3, inputCol="tokens", outputCol="trigrams")),
            extra=[text("one two"), text("")]),
        Case("hashing_term_frequency", "hashing_term_frequency", "dbpedia", lambda: _text(
            ml(), ml().HashingTF(inputCol="tokens", outputCol="tf", numFeatures=64),
            ml().HashingTF(inputCol="tokens", outputCol="seen", numFeatures=1 << 18, binary=True)),
            extra=[text("ΣΑΣ ünïcödé 12 Tónar")]),
        Case("count_vectorizer", "count_vectorizer", "dbpedia", lambda: _text(
            ml(), ml().CountVectorizer(inputCol="tokens", outputCol="counts", vocabSize=300,
                                       minDF=2.0),
            ml().CountVectorizer(inputCol="tokens", outputCol="present", vocabSize=50,
                                 minTF=0.05, binary=True)),
            extra=[text("zzzunseen the the the")]),
        Case("idf", "idf", "dbpedia", lambda: _text(
            ml(), ml().HashingTF(inputCol="tokens", outputCol="tf", numFeatures=512),
            ml().IDF(inputCol="tf", outputCol="tfidf", minDocFreq=2))),
        # --- predictors
        Case("linear_regression", "linear_regression", "abalone", lambda: [
            _assemble(ml()), ml().LinearRegression(labelCol="rings", regParam=0.01, maxIter=20)]),
        Case("logistic_regression-binary", "logistic_regression", "abalone", lambda: [
            _assemble(ml()), ml().LogisticRegression(labelCol="is_male", threshold=0.4,
                                                     maxIter=20)]),
        Case("logistic_regression-multinomial", "logistic_regression", "car", lambda: [
            *_car_features(ml()), ml().LogisticRegression(family="multinomial", regParam=0.01,
                                                          maxIter=20)]),
        Case("linear_svc", "linear_svc", "abalone", lambda: [
            _assemble(ml()), ml().LinearSVC(labelCol="is_male", maxIter=10)]),
        Case("naive_bayes-multinomial", "naive_bayes", "car", lambda: [
            *_car_features(ml()), ml().NaiveBayes(smoothing=0.5)]),
        Case("naive_bayes-bernoulli", "naive_bayes", "car", lambda: [
            *_car_features(ml()), ml().NaiveBayes(modelType="bernoulli")]),
        Case("decision_tree_classifier", "decision_tree_classifier", "car", lambda: [
            *_car_features(ml(), vector_indexer=True), ml().DecisionTreeClassifier(maxDepth=8)],
            extra=[car(persons="unseen")]),
        Case("decision_tree_regression", "decision_tree_regression", "abalone", lambda: [
            _assemble(ml()), ml().DecisionTreeRegressor(labelCol="rings", maxDepth=6)]),
        Case("gbt_classifier", "gbt_classifier", "abalone", lambda: [
            _assemble(ml()), ml().GBTClassifier(labelCol="is_male", maxIter=10, maxDepth=3,
                                                seed=1)]),
        Case("gbt_regression", "gbt_regression", "abalone", lambda: [
            _assemble(ml()), ml().GBTRegressor(labelCol="rings", maxIter=10, maxDepth=3, seed=1)]),
        Case("k_means", "k_means", "abalone", lambda: [
            _assemble(ml()), ml().KMeans(k=4, seed=1, maxIter=5,
                                                               predictionCol="cluster")]),
    ]


def _dense(values: list[float]) -> Any:
    from pyspark.ml.linalg import Vectors

    return Vectors.dense(values)


CASES = _cases()
