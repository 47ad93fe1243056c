"""Real Linear Learner artefacts: MXNet's NDArray files and symbol graphs, read with numpy.

A Linear Learner training job's model.tar.gz holds `model_algo-1`, a zip of an MXNet
Module checkpoint: `mx-mod-symbol.json` (the graph) and `mx-mod-0000.params` (the
weights, `arg:fc0_weight` and `arg:fc0_bias`), beside `manifest.json` and
`additional-params.json`. MXNet itself is retired (Apache attic, 2023); its last wheel
pins numpy<2, so it cannot be installed beside the rest of inferline. The `.params`
layout is small and fixed (src/ndarray/ndarray.cc, `NDArray::Save` and
`MXNDArraySave` in MXNet 1.x), so it is read here, and checked in the tests against
files MXNet 1.9.1 wrote.

`.params` file, little-endian::

    u64 0x112 (list magic), u64 0 (reserved)
    u64 count, then each array:
        u32 0xF993FAC9 (V2) or 0xF993FACA (V3), i32 storage type (0: dense)
        u32 ndim, i64 dims[ndim]
        i32 device type, i32 device id, i32 dtype flag, then the values, C order
    u64 count, then each name: u64 length, bytes ("arg:..." or "aux:...")
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from inferline.containers.core.errors import ModelLoadError

__all__ = ["parse_params", "read_params"]

LIST_MAGIC = 0x112
ARRAY_MAGICS = (0xF993FAC9, 0xF993FACA)
DENSE = 0
# mshadow's type flags (include/mshadow/base.h).
DTYPES: dict[int, np.dtype[Any]] = {
    0: np.dtype("<f4"),
    1: np.dtype("<f8"),
    2: np.dtype("<f2"),
    3: np.dtype("u1"),
    4: np.dtype("<i4"),
    5: np.dtype("i1"),
    6: np.dtype("<i8"),
}


class _Reader:
    """A cursor over the file's bytes that names the file when it runs out."""

    def __init__(self, raw: bytes, where: str) -> None:
        self.raw, self.where, self.offset = raw, where, 0

    def take(self, size: int) -> bytes:
        if self.offset + size > len(self.raw):
            raise ModelLoadError(f"{self.where} ends early at byte {self.offset}")
        chunk = self.raw[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def unpack(self, layout: str) -> tuple[int, ...]:
        return struct.unpack("<" + layout, self.take(struct.calcsize("<" + layout)))


def read_params(path: Path) -> dict[str, np.ndarray]:
    """Every array in an MXNet `.params` (or `mx.nd.save`) file, by name (`parse_params`)."""
    return parse_params(path.read_bytes(), str(path))


def parse_params(raw: bytes, where: str) -> dict[str, np.ndarray]:
    """Every array in the bytes of an MXNet NDArray file, by name.

    Names keep MXNet's ``arg:``/``aux:`` prefixes; a file saved from a list has names
    ``"0"``, ``"1"``, ...

    Raises:
        ModelLoadError: not an MXNet NDArray file, or one holding sparse arrays; the
            message names `where`.
    """
    reader = _Reader(raw, where)
    magic, _reserved = reader.unpack("QQ")
    if magic != LIST_MAGIC:
        raise ModelLoadError(f"{where} is not an MXNet NDArray file (magic {magic:#x})")
    (count,) = reader.unpack("Q")
    arrays = [_array(reader, number) for number in range(count)]
    (named,) = reader.unpack("Q")
    names = [reader.take(reader.unpack("Q")[0]).decode("utf-8") for _ in range(named)]
    if not names:
        names = [str(number) for number in range(count)]
    if len(names) != count:
        raise ModelLoadError(f"{where} holds {count} arrays but {len(names)} names")
    return dict(zip(names, arrays, strict=True))


def _array(reader: _Reader, number: int) -> np.ndarray:
    (magic,) = reader.unpack("I")
    if magic not in ARRAY_MAGICS:
        raise ModelLoadError(
            f"{reader.where}: array {number} has magic {magic:#x}; only MXNet 1.x's "
            "V2 and V3 arrays are read"
        )
    (storage,) = reader.unpack("i")
    if storage != DENSE:
        raise ModelLoadError(f"{reader.where}: array {number} is sparse (storage {storage})")
    (ndim,) = reader.unpack("I")
    shape = reader.unpack(f"{ndim}q") if ndim else ()
    if ndim == 0 or 0 in shape:  # MXNet writes nothing more for an empty array
        return np.zeros(shape, dtype=np.float32)
    _device_type, _device_id, flag = reader.unpack("iii")
    if flag not in DTYPES:
        raise ModelLoadError(f"{reader.where}: array {number} has unknown dtype flag {flag}")
    dtype = DTYPES[flag]
    size = int(np.prod(shape))
    values: np.ndarray = np.frombuffer(reader.take(size * dtype.itemsize), dtype=dtype)
    return values.reshape(shape)
