"""The blazingtext kind's declaration: a directory holding BlazingText's `model.bin`.

SageMaker's BlazingText, trained in supervised (text classification) mode, writes
fastText's binary model as `model.bin` in its model.tar.gz. It is recognised by
fastText's magic number in the file's first four bytes, so another tool's `model.bin`
is not taken for one. Cheap to import (no fastText, no numpy): the registry reads it to
detect a model.
"""

from __future__ import annotations

import struct
from pathlib import Path

from inferline.stages.kind import Kind

__all__ = ["FASTTEXT_MAGIC", "KIND", "MODEL_FILE"]

MODEL_FILE = "model.bin"
# fastText's FASTTEXT_FILEFORMAT_MAGIC_INT32 (src/fasttext.cc), little-endian int32.
FASTTEXT_MAGIC = struct.pack("<i", 793712314)
CONTENT_TYPES = ("application/json", "application/jsonlines")


def recognises(model_dir: Path) -> bool:
    """A `model.bin` that starts as every fastText binary model does."""
    path = model_dir / MODEL_FILE
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(len(FASTTEXT_MAGIC)) == FASTTEXT_MAGIC


KIND = Kind(
    name="blazingtext",
    # A 5 MB wheel beside scikit-learn rather than an image of its own to build and scan.
    image="sklearn",
    extra="blazingtext",
    requires=("fasttext",),
    loader="inferline.stages.blazingtext:load",
    recognises=recognises,
    looks_for=f"{MODEL_FILE} (fastText)",
    priority=30,
    content_types=CONTENT_TYPES,
)
