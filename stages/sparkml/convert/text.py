"""Converters for Spark's text transformers: tokenizers, stop words, n-grams, TF, IDF."""

from __future__ import annotations

from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import STRINGS, Columns, Node, vector
from inferline.stages.sparkml.convert.registry import converts, multi_ports, simple
from inferline.stages.sparkml.convert.saved import SavedStage
from inferline.stages.sparkml.convert.saved import vector as read_vector


@converts("Tokenizer")
def tokenizer(stage: SavedStage, columns: Columns) -> list[Node]:
    columns[stage.param("outputCol")] = STRINGS
    return [simple(stage, "tokenizer", {})]


@converts("RegexTokenizer")
def regex_tokenizer(stage: SavedStage, columns: Columns) -> list[Node]:
    columns[stage.param("outputCol")] = STRINGS
    return [
        simple(
            stage,
            "regex_tokenizer",
            {
                "regex": v.string(stage.param("pattern", "\\s+")),
                "match_gaps": v.boolean(stage.param("gaps", True)),
                "token_min_length": v.integer(stage.param("minTokenLength", 1)),
                "lowercase_text": v.boolean(stage.param("toLowercase", True)),
            },
        )
    ]


@converts("StopWordsRemover")
def stopwords_remover(stage: SavedStage, columns: Columns) -> list[Node]:
    inputs, outputs = multi_ports(stage)
    for _, target in outputs:
        columns[target] = STRINGS
    return [
        Node(
            stage.uid,
            "stopwords_remover",
            {
                "stop_words": v.strings(stage.param("stopWords")),
                "case_sensitive": v.boolean(stage.param("caseSensitive", False)),
            },
            inputs,
            outputs,
        )
    ]


@converts("NGram")
def ngram(stage: SavedStage, columns: Columns) -> list[Node]:
    columns[stage.param("outputCol")] = STRINGS
    return [simple(stage, "ngram", {"n": v.long(stage.param("n", 2))})]


@converts("HashingTF")
def hashing_term_frequency(stage: SavedStage, columns: Columns) -> list[Node]:
    num_features = int(stage.param("numFeatures", 1 << 18))
    columns[stage.param("outputCol")] = vector(num_features)
    # Spark 3 switched HashingTF to standard murmur3 (version 2); Spark 2 models hash with v1.
    version = 2 if stage.spark_version >= (3, 0) else 1
    return [
        simple(
            stage,
            "hashing_term_frequency",
            {
                "num_features": v.long(num_features),
                "binary": v.boolean(stage.param("binary", False)),
                "hashUnsafeBytesVersion": v.integer(version),
            },
        )
    ]


@converts("CountVectorizerModel")
def count_vectorizer(stage: SavedStage, columns: Columns) -> list[Node]:
    vocabulary = list(stage.row()["vocabulary"])
    columns[stage.param("outputCol")] = vector(len(vocabulary))
    return [
        simple(
            stage,
            "count_vectorizer",
            {
                "vocabulary": v.strings(vocabulary),
                "binary": v.boolean(stage.param("binary", False)),
                "min_tf": v.double(stage.param("minTF", 1.0)),
            },
        )
    ]


@converts("IDFModel")
def idf(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    weights = read_vector(row["idf"])
    columns[stage.param("outputCol")] = vector(len(weights))
    attributes = {"idf": v.tensor(weights)}
    if "docFreq" in row:
        attributes["docFreq"] = v.longs(row["docFreq"])
        attributes["numDocs"] = v.long(row["numDocs"])
    return [simple(stage, "idf", attributes)]
