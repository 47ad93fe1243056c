"""BlazingText's text-classification artefact: fastText's binary `model.bin`.

BlazingText's supervised mode is fastText's (same training, same file), so the stage
serves the file with fastText itself, through the `fasttext` module that the
`fasttext-community` wheel provides (the upstream `fasttext` 0.9.3 has no wheel for
Python 3.11 and its predict breaks on numpy 2). BlazingText's Word2Vec modes
(skipgram, cbow) write a `model.bin` too; those are word vectors, not classifiers, and
are refused by name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fasttext  # type: ignore[import-untyped]  # ships no py.typed marker or stubs

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.blazingtext.kind import MODEL_FILE

__all__ = ["LABEL_PREFIX", "MODEL_FILE", "class_of", "label_of", "load_classifier", "save", "train"]

LABEL_PREFIX = "__label__"
"""fastText's (and BlazingText's) default label prefix."""


def load_classifier(model_dir: Path) -> Any:
    """The fastText classifier saved as `model_dir/model.bin`.

    Raises:
        ModelLoadError: no model.bin, fastText cannot read it, or it holds word vectors.
    """
    path = model_dir / MODEL_FILE
    if not path.is_file():
        raise ModelLoadError(f"no {MODEL_FILE} file in {model_dir}")
    try:
        model = fasttext.load_model(str(path))
    except ValueError as error:  # fastText's own words: "<path> has wrong file format!"
        raise ModelLoadError(f"fastText cannot read {path}: {error}") from None
    check_supervised(model, str(path))
    return model


def check_supervised(model: Any, what: str) -> None:
    """Refuse a fastText model that is not a text classifier.

    Raises:
        ModelLoadError: not a fastText model, or one trained in a Word2Vec mode (skipgram
            or cbow).
    """
    get_args = getattr(getattr(model, "f", None), "getArgs", None)
    if get_args is None:
        raise ModelLoadError(f"{what} is not a fastText model (fasttext.train_supervised's)")
    mode = get_args().model
    if mode != fasttext.FastText.model_name.supervised:
        raise ModelLoadError(
            f"{what} is a BlazingText/fastText {mode.name} model (word vectors); the "
            "blazingtext stage serves text classification (supervised mode) models only"
        )


def save(model: Any, model_dir: Path) -> Path:
    """Write a fastText classifier as `model_dir/model.bin`, where BlazingText puts it.

    Raises:
        ModelLoadError: it is not a text classifier.
    """
    check_supervised(model, type(model).__name__)
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    model.save_model(str(path))
    return path


def train(sources: Sequence[str], labels: Sequence[object], **options: Any) -> Any:
    """A fastText classifier fitted as BlazingText's supervised mode fits one.

    `sources` are space-separated tokens, one sentence each; each label becomes
    ``__label__<label>``. `options` are fastText's (`epoch`, `lr`, `wordNgrams`, `dim`,
    `seed`, `thread`, ...); fastText reads its training data from a file, so one is
    written to a temporary folder first.
    """
    if len(sources) != len(labels):
        raise ValueError(f"{len(sources)} sentences but {len(labels)} labels")
    with tempfile.TemporaryDirectory(prefix="inferline-fasttext-") as folder:
        path = Path(folder) / "train.txt"
        with path.open("w", encoding="utf-8") as handle:
            for source, label in zip(sources, labels, strict=True):
                handle.write(f"{label_of(label)} {one_line(source)}\n")
        return fasttext.train_supervised(str(path), verbose=0, **options)


def label_of(name: object) -> str:
    """BlazingText's label for a class: ``__label__<class>`` (kept when already prefixed)."""
    text = str(name)
    return text if text.startswith(LABEL_PREFIX) else LABEL_PREFIX + text


def class_of(label: str) -> str:
    """The class a fastText label names: ``__label__Artist`` -> ``Artist``."""
    return label.removeprefix(LABEL_PREFIX)


def one_line(text: str) -> str:
    """`text` on one line: fastText reads one sentence per line, splitting on whitespace."""
    return " ".join(text.split())
