"""Text ops with Java semantics: Tokenizer splitting, HashingTF murmur3, CountVectorizer."""

from __future__ import annotations

import numpy as np

from inferline.stages.sparkml.bundle import load_bundle
from inferline.stages.sparkml.ops.text import murmur3_32
from tests.sparkml.bundles import double, leap, long, node, string, strings, tensor, write_bundle

IO = {"inputs": {"input": "x"}, "outputs": {"output": "y"}}


def run(tmp_path, op, attributes, frame):
    return load_bundle(write_bundle(tmp_path / op, [node(op, attributes, **IO)])).transform(frame)


def tokens(*rows):
    column = np.empty(len(rows), dtype=object)
    column[:] = [list(r) for r in rows]
    return {"x": column}


def test_tokenizer_follows_java_split(tmp_path):
    out = run(tmp_path, "tokenizer", {}, leap(x=["  Hello  World \tX ", "ΣΑΣ\u00a0x", ""]))
    assert out["y"][0] == ["", "", "hello", "", "world", "", "x"]  # verified against Spark 4.1
    assert out["y"][1] == ["σας\xa0x"]  # NBSP is not \s in Java
    assert out["y"][2] == [""]


def test_regex_tokenizer_gaps_and_matches(tmp_path):
    gaps = run(
        tmp_path,
        "regex_tokenizer",
        {
            "regex": string("\\s+"),
            "match_gaps": {"boolean": True},
            "token_min_length": {"int": 2},
            "lowercase_text": {"boolean": True},
        },
        leap(x=["A bb  CCC d"]),
    )
    assert gaps["y"][0] == ["bb", "ccc"]
    matches = run(
        tmp_path,
        "regex_tokenizer",
        {"regex": string("[a-z]+"), "match_gaps": {}, "lowercase_text": {}},
        leap(x=["ab1Cd2ef"]),
    )
    assert matches["y"][0] == ["ab", "d", "ef"]


def test_stopwords_and_ngrams(tmp_path):
    stop = run(
        tmp_path,
        "stopwords_remover",
        {"stop_words": strings(["the", "a"]), "case_sensitive": {}},
        tokens(["The", "cat", "a", "hat"]),
    )
    assert stop["y"][0] == ["cat", "hat"]
    grams = run(tmp_path, "ngram", {"n": long(2)}, tokens(["a", "b", "c"], ["a"]))
    assert grams["y"].tolist() == [["a b", "b c"], []]


def test_murmur3_matches_the_reference_vectors():
    # Standard MurmurHash3_x86_32 test vectors (as signed Java ints).
    assert murmur3_32(b"", 0) == 0
    assert murmur3_32(b"", 1) == 0x514E28B7
    assert murmur3_32(b"hello", 0) == 0x248BFA47
    assert murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747B28C) == 0x2FA826CD


def test_hashing_tf_matches_spark(tmp_path):
    # Spark 4.1: HashingTF(numFeatures=16) on ['a','b','a'] is (16,[3,5],[2.0,1.0]).
    out = run(
        tmp_path,
        "hashing_term_frequency",
        {"num_features": long(16), "binary": {}, "hashUnsafeBytesVersion": {"int": 2}},
        tokens(["a", "b", "a"]),
    )
    assert out["y"].shape == (1, 16)
    assert out["y"].indices.tolist() == [3, 5] and out["y"].data.tolist() == [2.0, 1.0]
    binary = run(
        tmp_path,
        "hashing_term_frequency",
        {
            "num_features": long(16),
            "binary": {"boolean": True},
            "hashUnsafeBytesVersion": {"int": 2},
        },
        tokens(["a", "b", "a"]),
    )
    assert binary["y"].data.tolist() == [1.0, 1.0]


def test_count_vectorizer_and_idf(tmp_path):
    attributes = {"vocabulary": strings(["b", "a", "c"]), "binary": {}, "min_tf": double(1.0)}
    out = run(tmp_path, "count_vectorizer", attributes, tokens(["a", "a", "b", "zzz"]))
    assert out["y"].toarray().tolist() == [[1, 2, 0]]
    fraction = run(
        tmp_path,
        "count_vectorizer",
        {**attributes, "min_tf": double(0.5)},
        tokens(["a", "a", "b", "zzz"]),
    )
    assert fraction["y"].toarray().tolist() == [[0, 2, 0]]  # 2 of 4 tokens
    idf = load_bundle(
        write_bundle(
            tmp_path / "tfidf",
            [
                node("count_vectorizer", attributes, {"input": "x"}, {"output": "tf"}),
                node("idf", {"idf": tensor([0.5, 2.0, 1.0])}, {"input": "tf"}, {"output": "y"}),
            ],
        )
    ).transform(tokens(["a", "b"]))
    assert idf["y"].toarray().tolist() == [[0.5, 2.0, 0.0]]


def test_word_to_vector_averages_over_all_words(tmp_path):
    attributes = {
        "words": strings(["a", "b"]),
        "indices": {"type": "list", "long": [1, 0]},
        "word_vectors": {"type": "list", "double": [1.0, 2.0, 10.0, 20.0]},
    }
    out = run(tmp_path, "word_to_vector", attributes, tokens(["a", "b", "zzz", "a"], []))
    # a -> row 1 [10, 20], b -> row 0 [1, 2]; unknown words count in the divisor.
    assert out["y"].tolist() == [[21 / 4, 42 / 4], [0.0, 0.0]]


def test_regex_classes_are_ascii_as_in_java(tmp_path):
    out = run(
        tmp_path,
        "regex_tokenizer",
        {
            "regex": string("\\W+"),
            "match_gaps": {"boolean": True},
            "lowercase_text": {"boolean": True},
        },
        leap(x=["Tónar, a-b"]),
    )
    assert out["y"][0] == ["t", "nar", "a", "b"]  # Java's \W splits at ó


def test_word_filter_keeps_long_words_of_letters(tmp_path):
    out = run(
        tmp_path, "word_filter", {"length": {"int": 3}}, tokens(["a", "four", "abc1", "élan"])
    )
    assert out["y"][0] == ["four", "élan"]
