"""Text ops: tokenizers, stop words, n-grams and term-frequency vectors.

Java semantics matter here: Spark's Tokenizer splits on the regex ``\\s`` (ASCII
whitespace only) and drops trailing empty tokens but keeps leading ones; HashingTF
hashes UTF-8 bytes with MurmurHash3 (x86, 32-bit, seed 42).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, cast

import numpy as np

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import Column, Sparse, objects, rows_of
from inferline.stages.sparkml.ops.base import ColumnOp, NodeSpec, register

JAVA_WHITESPACE = re.compile(r"[ \t\n\x0b\f\r]")


def java_split(pattern: re.Pattern[str], text: str) -> list[str]:
    """``String.split(regex)``: trailing empty strings removed, no match -> [text]."""
    parts = pattern.split(text)
    leading = pattern.match(text)
    if len(parts) > 1 and parts[0] == "" and leading is not None and leading.end() == 0:
        parts = parts[1:]  # Java drops a leading empty string from a zero-width match only
    while parts and parts[-1] == "":
        parts.pop()
    return parts if len(parts) or text else [text]


def texts(column: Column, name: str) -> list[str | None]:
    """A scalar column as text (None kept), or a 422 for a vector."""
    if isinstance(column, Sparse) or column.ndim != 1:
        raise UnprocessableEntity(f"column {name!r} must hold text, got a vector")
    return [v if v is None or isinstance(v, str) else str(v) for v in column]


def token_lists(column: Column, name: str) -> list[list[str]]:
    """A column of token lists, or a 422 naming the offending row."""
    if isinstance(column, Sparse) or column.ndim != 1:
        raise UnprocessableEntity(f"column {name!r} must hold lists of strings, got a vector")
    out = []
    for row, value in enumerate(column):
        if not isinstance(value, (list, tuple, np.ndarray)):
            raise UnprocessableEntity(
                f"column {name!r} must hold lists of strings, got {value!r} (row {row + 1})"
            )
        out.append(list(value))
    return out


def _null(name: str) -> UnprocessableEntity:
    return UnprocessableEntity(f"column {name!r} holds a null; the tokenizer needs text")


@register("tokenizer")
class Tokenizer(ColumnOp):
    """Lower-case, then split on single ASCII whitespace characters (Spark's Tokenizer)."""

    def compute(self, column: Column, k: int, name: str) -> Any:
        rows = texts(column, name)
        if None in rows:
            raise _null(name)
        present = cast(list[str], rows)  # no None left, as just checked
        return objects([java_split(JAVA_WHITESPACE, text.lower()) for text in present])


@register("regex_tokenizer")
class RegexTokenizer(ColumnOp):
    """Split on (gaps) or match (tokens) a regex, keep tokens of at least min length."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        # Java's \w, \d, \s and \b are ASCII-only unless UNICODE_CHARACTER_CLASS is set.
        self.pattern = re.compile(attrs.string("regex", r"\s+"), re.ASCII)
        self.gaps = attrs.boolean("match_gaps", True)
        self.min_length = attrs.integer("token_min_length", 1)
        self.lowercase = attrs.boolean("lowercase_text", True)

    def compute(self, column: Column, k: int, name: str) -> Any:
        out = []
        for text in texts(column, name):
            if text is None:
                raise _null(name)
            text = text.lower() if self.lowercase else text
            tokens = (
                java_split(self.pattern, text)
                if self.gaps
                else [m.group(0) for m in self.pattern.finditer(text)]
            )
            out.append([t for t in tokens if len(t) >= self.min_length])
        return objects(out)


@register("stopwords_remover")
class StopWordsRemover(ColumnOp):
    """Drops stop words, case-sensitively or by lower-cased comparison."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.case_sensitive = attrs.boolean("case_sensitive", False)
        words = attrs.strings("stop_words")
        self.stop = frozenset(words if self.case_sensitive else (w.lower() for w in words))

    def compute(self, column: Column, k: int, name: str) -> Any:
        if self.case_sensitive:
            return objects(
                [[t for t in row if t not in self.stop] for row in token_lists(column, name)]
            )
        return objects(
            [
                [t for t in row if t is None or t.lower() not in self.stop]
                for row in token_lists(column, name)
            ]
        )


@register("ngram")
class NGram(ColumnOp):
    """Space-joined windows of n tokens; fewer than n tokens give none."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.n = spec.attributes.integer("n", 2)

    def compute(self, column: Column, k: int, name: str) -> Any:
        n = self.n
        return objects(
            [
                [" ".join(row[i : i + n]) for i in range(len(row) - n + 1)]
                for row in token_lists(column, name)
            ]
        )


def term_counts(rows: Iterable[Mapping[int, int]], size: int, binary: bool) -> Sparse:
    """Sparse rows of term counts (or 1.0 for each present term when `binary`)."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for counts in rows:
        keys = sorted(counts)
        indices += keys
        data += [1.0] * len(keys) if binary else [float(counts[i]) for i in keys]
        indptr.append(len(indices))
    return Sparse(
        np.array(data),
        np.array(indices, dtype=np.int64),
        np.array(indptr, dtype=np.int64),
        size,
    )


@register("hashing_term_frequency")
class HashingTermFrequency(ColumnOp):
    """Term counts at murmur3(term) mod num_features; sparse."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.size = attrs.integer("num_features", 1 << 18)
        self.binary = attrs.boolean("binary", False)
        # Spark 2 hashed the tail bytes differently; bundles without the version are v1.
        version = attrs.integer("hashUnsafeBytesVersion", 1)
        size, legacy = self.size, version < 2

        @lru_cache(maxsize=65536)
        def index(term: str) -> int:
            return murmur3_32(str(term).encode("utf-8"), 42, legacy) % size

        self.index = index

    def compute(self, column: Column, k: int, name: str) -> Any:
        counts = (Counter(self.index(term) for term in row) for row in token_lists(column, name))
        return term_counts(counts, self.size, self.binary)


@register("count_vectorizer")
class CountVectorizer(ColumnOp):
    """Counts of vocabulary terms; min_tf (count, or fraction of the row's tokens) filters."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        vocabulary = attrs.strings("vocabulary")
        self.size = len(vocabulary)
        self.lookup = {term: i for i, term in enumerate(vocabulary)}
        self.binary = attrs.boolean("binary", False)
        self.min_tf = attrs.double("min_tf", 1.0)

    def compute(self, column: Column, k: int, name: str) -> Any:
        return term_counts(map(self._counts, token_lists(column, name)), self.size, self.binary)

    def _counts(self, row: list[str]) -> dict[int, int]:
        counts = Counter(self.lookup[t] for t in row if t in self.lookup)
        floor = self.min_tf if self.min_tf >= 1.0 else self.min_tf * len(row)
        return {i: c for i, c in counts.items() if c >= floor}


@register("idf")
class IDF(ColumnOp):
    """x * idf, element-wise; sparse stays sparse."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.idf = spec.attributes.tensor("idf")

    def compute(self, column: Column, k: int, name: str) -> Any:
        if isinstance(column, Sparse):
            return column.with_data(column.data * self.idf[column.indices])
        return np.asarray(column, dtype=np.float64) * self.idf


@register("word_filter")
class WordFilter(ColumnOp):
    """MLeap's WordLengthFilter: keep words of letters only, longer than `length`."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.length = spec.attributes.integer("length", 3)

    def compute(self, column: Column, k: int, name: str) -> Any:
        return objects(
            [
                [w for w in row if len(w) > self.length and w.isalpha()]
                for row in token_lists(column, name)
            ]
        )


@register("word_to_vector")
class WordToVector(ColumnOp):
    """A sentence's vector: the sum of its known words' vectors over its word count."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        words = attrs.strings("words")
        indices = attrs.integers("indices")
        flat = attrs.doubles("word_vectors")
        if not words or len(flat) % len(words) or len(indices) != len(words):
            raise spec.error("words, indices and word_vectors do not agree in size")
        vectors = flat.reshape(len(words), -1)
        self.size = vectors.shape[1]
        self.vectors = {word: vectors[i] for word, i in zip(words, indices, strict=True)}
        kernel = attrs.string("kernel", "default")
        if kernel not in ("default", "avg", ""):
            raise spec.error(f"unsupported word_to_vector kernel {kernel!r}")

    def compute(self, column: Column, k: int, name: str) -> Any:
        out = np.zeros((rows_of(column), self.size))
        for row, sentence in enumerate(token_lists(column, name)):
            known = [self.vectors[w] for w in sentence if w in self.vectors]
            if known:
                out[row] = np.sum(known, axis=0) / len(sentence)
        return out


_C1, _C2, _MASK = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF


def _mix_k1(k1: int) -> int:
    k1 = (k1 * _C1) & _MASK
    k1 = ((k1 << 15) | (k1 >> 17)) & _MASK
    return (k1 * _C2) & _MASK


def _mix_h1(h1: int, k1: int) -> int:
    h1 ^= k1
    h1 = ((h1 << 13) | (h1 >> 19)) & _MASK
    return (h1 * 5 + 0xE6546B64) & _MASK


def murmur3_32(data: bytes, seed: int, legacy: bool = False) -> int:
    """MurmurHash3 x86_32 as a signed Java int; `legacy` = Spark 2's per-byte tail."""
    h1 = seed & _MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        h1 = _mix_h1(h1, _mix_k1(int.from_bytes(data[i : i + 4], "little")))
    tail = data[whole:]
    if legacy:
        for byte in tail:
            signed = byte - 256 if byte > 127 else byte
            h1 = _mix_h1(h1, _mix_k1(signed & _MASK))
    elif tail:
        h1 ^= _mix_k1(int.from_bytes(tail, "little"))
    h1 ^= len(data)
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _MASK
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _MASK
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 & 0x80000000 else h1
