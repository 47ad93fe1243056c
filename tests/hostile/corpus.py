"""The hostile request corpus: malformed bodies, headers and connections, by kind.

`corpus(kind_types, good)` builds, for a container serving the given Content-Types
(with one good body each), every hostile request this suite sends: hand-written ones
(a CSV with a quote left open, JSON 10,000 deep, npy of pickled objects, a 64 KB
header, a body cut off mid-send) and generated ones (each good body truncated at
several points, random bytes from a fixed seed). Each request says what it may get:
`expect` is the set of acceptable statuses (documented 4xx; 200 where the input is
odd but valid, such as a byte-order mark), and `None` for a connection the client
abandons (no answer is read, the server must simply keep serving).
"""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

CSV, JSON, JSONLINES, NPY = (
    "text/csv",
    "application/json",
    "application/jsonlines",
    "application/x-npy",
)
RECORDIO = "application/x-recordio-protobuf"
LIBSVM, X_LIBSVM = "text/libsvm", "text/x-libsvm"
LIMIT = 6 * 1024 * 1024  # the container's default request limit (SAGEMAKER_MAX_REQUEST_SIZE)
CLIENT_ERRORS = frozenset(range(400, 500))
OK_OR_REFUSED = CLIENT_ERRORS | {200, 204}
SEED = 15


@dataclass(frozen=True)
class Hostile:
    """One request: an HTTP one (`body`, `headers`) or raw bytes on a socket (`raw`)."""

    name: str
    category: str
    content_type: str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    path: str = "/invocations"
    method: str = "POST"
    raw: bytes | None = None
    expect: frozenset[int] | None = CLIENT_ERRORS


def _npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _text_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    """(category, name, CSV body, expected) written by hand."""
    refused, either = CLIENT_ERRORS, OK_OR_REFUSED
    yield "ragged CSV", "ragged rows", b"1.0,2.0\n3.0\n", refused
    yield "ragged CSV", "ragged first row", b"1.0\n2.0,3.0\n", refused
    yield "quoted fields", "embedded newline", b'"1.0\n2.0",3.0\n', refused
    yield "quoted fields", "embedded quotes", b'"1.0""2",3.0\n', refused
    yield "quoted fields", "quote left open", b'"1.0,2.0\n', refused
    yield "quoted fields", "quote mid-field", b'1"0,2.0\n', either
    yield "quoted fields", "bare carriage return", b"1.0\r2.0,3.0\n", either
    yield "non-UTF-8", "latin-1 byte", b"1.0,\xe9\n", refused
    yield "non-UTF-8", "UTF-16 body", "1.0,2.0\n".encode("utf-16"), refused
    yield "non-UTF-8", "lone continuation byte", b"\x80,1.0\n", refused
    yield "BOM", "UTF-8 BOM before the row", b"\xef\xbb\xbf1.0,2.0\n", either
    yield "numbers as text", "NaN", b"nan,1.0\n", either
    yield "numbers as text", "Inf", b"inf,-inf\n", either
    yield "numbers as text", "huge", b"1e400,-1e400\n", either
    yield "numbers as text", "tiny", b"1e-400,5e-324\n", either
    yield "numbers as text", "past int64", b"99999999999999999999999,1\n", either
    yield "numbers as text", "5000 digits", b"1" * 5000 + b",1\n", either
    yield "strings for numbers", "words", b"abc,def\n", refused
    yield "strings for numbers", "one word", b"1.0,def\n", refused
    yield "strings for numbers", "booleans", b"true,false\n", either
    yield "empty", "blank lines", b"\n\n\n", either
    yield "empty", "commas only", b",\n", either
    yield "binary", "NUL bytes", b"\x00\x00,\x00\n", refused


def _width_hostiles(good_csv: bytes) -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    """Rows one wider and far wider than the good body's, and one value wide."""
    width = len(good_csv.splitlines()[0].split(b","))
    for columns in sorted({width + 1, 60, 1} - {width}):
        row = (",".join(["1.0"] * columns) + "\n").encode()
        yield (
            "wrong column count",
            f"{columns} columns (the model reads {width})",
            row,
            CLIENT_ERRORS,
        )


def _json_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    refused, either = CLIENT_ERRORS, OK_OR_REFUSED
    deep = 10_000
    yield "JSON nested deep", "arrays 10,000 deep", b"[" * deep + b"]" * deep, refused
    yield "JSON nested deep", "objects 10,000 deep", b'{"a":' * deep + b"1" + b"}" * deep, refused
    yield (
        "JSON nested deep",
        "instances 10,000 deep",
        (b'{"instances":' + b"[" * deep + b"]" * deep + b"}"),
        refused,
    )
    yield (
        "JSON duplicate keys",
        "instances twice",
        b'{"instances":[[1,2]],"instances":[[3]]}',
        either,
    )
    yield "JSON duplicate keys", "data twice", b'{"data":[1,2],"data":"x"}', either
    yield "malformed JSON", "unclosed object", b'{"instances": [[1.0, 2.0]]', refused
    yield "malformed JSON", "trailing comma", b'{"instances": [[1.0, 2.0],]}', refused
    yield "malformed JSON", "single quotes", b"{'instances': [[1.0, 2.0]]}", refused
    yield "malformed JSON", "NaN literal", b'{"instances": [[NaN, Infinity]]}', either
    yield "malformed JSON", "a bare string", b'"hello"', refused
    yield "malformed JSON", "a bare number", b"42", refused
    yield "malformed JSON", "null", b"null", refused
    yield "wrong JSON shape", "rows mixed with scalars", b"[[1.0, 2.0], 3.0]", refused
    yield "wrong JSON shape", "columns not a list", b'{"columns": 5, "data": [[1, 2]]}', refused
    yield "wrong JSON shape", "strings for numbers", b'{"instances": [["a", "b"]]}', refused
    yield (
        "wrong JSON shape",
        "sparse shape of 10^12",
        (
            b'{"instances":[{"data":{"features":{"keys":[0],"shape":[1000000000000],'
            b'"values":[1.0]}}}]}'
        ),
        either,
    )
    yield (
        "wrong JSON shape",
        "sparse shape of 2^24",
        (b'{"instances":[{"data":{"features":{"keys":[0],"shape":[16777216],"values":[1.0]}}}]}'),
        either,
    )
    yield "wrong JSON shape", "huge numbers", b'{"instances": [[1e400, -1e400]]}', either
    yield "non-UTF-8", "latin-1 in a string", b'{"instances": [["\xe9", 1]]}', refused
    yield "BOM", "UTF-8 BOM before JSON", b'\xef\xbb\xbf{"instances": [[1.0, 2.0]]}', either


def _jsonlines_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    refused, either = CLIENT_ERRORS, OK_OR_REFUSED
    yield (
        "JSON Lines bad line",
        "bad line in the middle",
        b"[1.0, 2.0]\n{oops\n[3.0, 4.0]\n",
        refused,
    )
    yield (
        "JSON Lines bad line",
        "deep line in the middle",
        (b"[1.0, 2.0]\n" + b"[" * 10_000 + b"]" * 10_000 + b"\n[3.0, 4.0]\n"),
        refused,
    )
    yield "JSON Lines bad line", "non-UTF-8 line", b"[1.0, 2.0]\n\xff\xfe\n", refused
    yield "JSON Lines bad line", "CR-only line ends", b"[1.0, 2.0]\r[3.0, 4.0]\r", either


def _npy_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    refused = CLIENT_ERRORS
    objects = np.array([{"__reduce__": "os.system"}, None], dtype=object)
    yield "npy object dtype", "pickled objects", _npy(objects, allow_pickle=True), refused
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    claims = b"\x93NUMPY\x01\x00" + len(header.ljust(118) + b"\n").to_bytes(2, "little")
    yield "npy lying header", "claims 8 TB", claims + header.ljust(118) + b"\n", refused
    yield "npy lying header", "3-D array", _npy(np.zeros((2, 2, 2))), refused
    yield "npy lying header", "truncated data", _npy(np.zeros((2, 2)))[:-3], refused
    yield "npy lying header", "a zip (npz) body", b"PK\x03\x04" + bytes(40), refused
    yield "npy lying header", "version 9.9", b"\x93NUMPY\x09\x09" + bytes(20), refused


def _libsvm_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    """Indices that would size a huge matrix, and lines that are not index:value."""
    refused, either = CLIENT_ERRORS, OK_OR_REFUSED
    yield "huge declared size", "LibSVM index 2^32 - 1", b"1 4294967295:1\n", refused
    yield "huge declared size", "LibSVM index 10^12", b"0 999999999999:1\n", refused
    yield (
        "huge declared size",
        "LibSVM index of 5000 digits",
        b"0 " + b"9" * 5000 + b":1\n",
        refused,
    )
    yield "huge declared size", "LibSVM index past int64", b"0 99999999999999999999:1\n", refused
    yield "malformed LibSVM", "negative index", b"0 -1:1\n", refused
    yield "malformed LibSVM", "value missing", b"0 0:\n", refused
    yield "malformed LibSVM", "value not a number", b"0 0:abc\n", refused
    yield "malformed LibSVM", "index not a number", b"0 x:1\n", refused
    yield "malformed LibSVM", "colon only", b"0 :\n", refused
    yield "malformed LibSVM", "label only", b"1\n", either
    yield "numbers as text", "LibSVM NaN and Inf values", b"0 0:nan 1:inf\n", either
    yield "non-UTF-8", "LibSVM latin-1 byte", b"0 0:1 \xe9:1\n", refused


def _record(keys: list[int], shape: list[int], values: int = 1) -> bytes:
    """One RecordIO record of a sparse Float32Tensor, built with the SageMaker SDK's
    protobuf class (its writer would not write keys or shapes this hostile)."""
    import warnings

    from inferline.containers.core.codecs.recordio import frame_record

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecation on import
        from sagemaker.amazon.record_pb2 import Record

    record = Record()
    tensor = record.features["values"].float32_tensor
    tensor.values.extend([1.0] * values)
    tensor.keys.extend(keys)
    tensor.shape.extend(shape)
    return frame_record(record.SerializeToString())


def _recordio_hostiles() -> Iterator[tuple[str, str, bytes, frozenset[int]]]:
    """Records declaring shapes, keys and varints no body holds, and broken framing."""
    refused = CLIENT_ERRORS
    header = (0xCED7230A).to_bytes(4, "little")
    yield "huge declared size", "RecordIO sparse shape 10^12", _record([0], [10**12]), refused
    yield "huge declared size", "RecordIO sparse key 2^32", _record([2**32], [2]), refused
    yield "huge declared size", "RecordIO key 10^12, no shape", _record([10**12], []), refused
    yield (
        "huge declared size",
        "RecordIO varint of 1 MB",
        header + (1_000_002).to_bytes(4, "little") + b"\x08" + b"\xff" * 1_000_000 + b"\x01",
        refused,
    )
    yield "malformed RecordIO", "keys without values", _record([0, 1], [2], values=1), refused
    yield "malformed RecordIO", "bad magic", b"\x00" * 8, refused
    yield "malformed RecordIO", "length past the body", header + b"\xff\xff\x00\x00", refused
    yield "malformed RecordIO", "multi-part flag", header + (1 << 29).to_bytes(4, "little"), refused
    yield "malformed RecordIO", "truncated header", header[:3], refused
    yield "malformed RecordIO", "no features", header + b"\x02\x00\x00\x00\x10\x01\x00\x00", refused


BY_TYPE = {
    CSV: _text_hostiles,
    JSON: _json_hostiles,
    JSONLINES: _jsonlines_hostiles,
    NPY: _npy_hostiles,
    LIBSVM: _libsvm_hostiles,
    X_LIBSVM: _libsvm_hostiles,
    RECORDIO: _recordio_hostiles,
}


def corpus(good: dict[str, bytes]) -> list[Hostile]:
    """Every hostile request for a container reading `good`'s Content-Types."""
    requests: list[Hostile] = []
    rng = random.Random(SEED)
    for content_type, body in sorted(good.items()):
        written = BY_TYPE.get(content_type, lambda: iter(()))()
        if content_type == CSV:
            written = itertools.chain(written, _width_hostiles(body))
        for category, name, hostile_body, expect in written:
            requests.append(
                Hostile(
                    f"{content_type}: {name}", category, content_type, hostile_body, expect=expect
                )
            )
        for cut in sorted({1, len(body) // 3, len(body) // 2, len(body) - 1} - {0}):
            requests.append(
                Hostile(
                    f"{content_type}: cut at byte {cut}",
                    "truncated body",
                    content_type,
                    body[:cut],
                    expect=OK_OR_REFUSED,
                )
            )
        for number in range(4):
            noise = rng.randbytes(rng.randint(1, 300))
            requests.append(
                Hostile(
                    f"{content_type}: random bytes #{number}",
                    "random bytes",
                    content_type,
                    noise,
                    expect=OK_OR_REFUSED,
                )
            )
        requests += [
            Hostile(
                f"{content_type}: empty body", "empty body", content_type, b"", expect=OK_OR_REFUSED
            ),
            Hostile(
                f"{content_type}: garbage",
                "malformed bytes",
                content_type,
                b"\xff\xfe\x00{[ not a body",
            ),
            Hostile(
                f"{content_type}: BOM before the good body",
                "BOM",
                content_type,
                b"\xef\xbb\xbf" + body,
                expect=OK_OR_REFUSED,
            ),
            Hostile(
                f"{content_type}: one byte over the limit",
                "over the size limit",
                content_type,
                bytes(LIMIT + 1),
                expect=frozenset({413}),
            ),
            Hostile(
                f"{content_type}: {content_type};charset=latin-1",
                "wrong Content-Type",
                f"{content_type}; charset=latin-1",
                body,
                expect=OK_OR_REFUSED,
            ),
        ]
    content_type, body = sorted(good.items())[0]
    big_header = {"X-Hostile": "a" * 64 * 1024}
    requests += [
        Hostile(
            "unknown Content-Type",
            "wrong Content-Type",
            "application/x-unknown",
            body,
            expect=frozenset({415}),
        ),
        Hostile("no Content-Type", "missing Content-Type", None, body, expect=frozenset({415})),
        Hostile(
            "Content-Type ;;;", "wrong Content-Type", ";;;", body, expect=frozenset({400, 415})
        ),
        Hostile(
            "Content-Type image/png",
            "wrong Content-Type",
            "image/png",
            body,
            expect=frozenset({415}),
        ),
        Hostile(
            "Accept image/png",
            "wrong Accept",
            content_type,
            body,
            {"Accept": "image/png"},
            expect=frozenset({406}),
        ),
        Hostile(
            "Accept ;q=x garbage",
            "wrong Accept",
            content_type,
            body,
            {"Accept": "text/csv;q=abc, ;;"},
            expect=OK_OR_REFUSED,
        ),
        Hostile(
            "Accept of 200 types",
            "wrong Accept",
            content_type,
            body,
            {"Accept": ", ".join(f"x/y{n}" for n in range(200))},
            expect=frozenset({406}),
        ),
        Hostile(
            "a 64 KB header",
            "64 KB header",
            content_type,
            body,
            big_header,
            expect=frozenset({431, 400}),
        ),
        Hostile(
            "a 64 KB Content-Type",
            "64 KB header",
            "text/csv;" + "a" * 64 * 1024,
            body,
            expect=frozenset({431, 400}),
        ),
        Hostile(
            "GET /invocations",
            "wrong method",
            content_type,
            b"",
            method="GET",
            expect=frozenset({405}),
        ),
        Hostile(
            "POST /nowhere",
            "wrong path",
            content_type,
            body,
            path="/nowhere",
            expect=frozenset({404}),
        ),
        Hostile(
            "a path with an encoded newline",
            "log forgery",
            content_type,
            body,
            path="/invocations%0aFORGED%20200",
            expect=frozenset({404}),
        ),
        Hostile(
            "far over the limit (declared 100 MB)",
            "over the size limit",
            raw=_declared(content_type, 100 * 1024 * 1024, body),
            expect=frozenset({413}),
        ),
        Hostile(
            "cut off mid-body",
            "cut off mid-body",
            raw=_declared(content_type, 10_000, body[:5]),
            expect=None,
        ),
        Hostile(
            "cut off mid-headers",
            "cut off mid-body",
            raw=b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Ty",
            expect=None,
        ),
        Hostile(
            "bad chunk size",
            "malformed framing",
            raw=_chunked(content_type, b"zz\r\n1.0\r\n0\r\n\r\n"),
            expect=frozenset({400}),
        ),
        Hostile(
            "chunk cut off",
            "cut off mid-body",
            raw=_chunked(content_type, b"100\r\n1.0,"),
            expect=None,
        ),
        Hostile(
            "request line of garbage",
            "malformed framing",
            raw=b"\x16\x03\x01\x02\x00 garbage\r\n\r\n",
            expect=frozenset({400}),
        ),
    ]
    return requests


def _declared(content_type: str, length: int, body: bytes) -> bytes:
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _chunked(content_type: str, chunks: bytes) -> bytes:
    head = (
        f"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + chunks


def inference_id_hostiles() -> list[tuple[str, str]]:
    """Inference ids that would forge or garble a log line if written raw: (name, value)."""
    return [
        ("escape sequence", "id-\x1b[31mRED\x1b[0m"),
        ("vertical tab and form feed", "id-\x0bx\x0cy"),
        ("DEL and C1", "id-\x7f\x85"),
    ]
