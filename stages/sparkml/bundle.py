"""Loading an MLeap Bundle.ML (JSON format) and running its graph on N rows.

    bundle = load_bundle("model.zip")        # a directory, a .zip or a model.tar.gz
    out = bundle.transform({"sex": np.array(["F"], dtype=object), "length": np.array([0.5])})
    out["features"]                          # 2-D array, or csr_matrix where Spark is sparse

Reading follows the pipelines' ``nodes`` lists, never a directory listing (MLeap
ignores orphan folders too). Ops are built once at load; an op this runtime does not
implement is refused then, with "unsupported op <name>".
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from inferline.containers.core import archive as archive_module  # `archive` names zips below
from inferline.containers.core.errors import ModelLoadError, UnprocessableEntity
from inferline.stages.sparkml.attributes import Attributes
from inferline.stages.sparkml.columns import Frame, rows_of, to_api, to_runtime
from inferline.stages.sparkml.kind import BUNDLE_FILE
from inferline.stages.sparkml.ops import OPS, Op
from inferline.stages.sparkml.ops.base import NodeSpec
from inferline.stages.sparkml.ops.pipeline import Pipeline

__all__ = ["BUNDLE_FILE", "ZIP_MEMORY_LIMIT", "Bundle", "load_bundle"]

ZIP_MEMORY_LIMIT = 4 * 1024**3
"""Most bytes a zipped bundle may expand to (it is read whole into memory): 4 GiB."""


class Bundle:
    """A loaded bundle: the root op plus the columns it reads and writes."""

    def __init__(self, name: str, root: Op, info: Mapping[str, Any]) -> None:
        self.name = name
        self.root = root
        self.info = dict(info)
        produced: list[str] = []
        needed: list[str] = []
        for step in _steps(root):
            needed += [c for c in step.reads if c not in produced and c not in needed]
            produced += [c for c in step.writes if c not in produced]
        self.input_columns: list[str] = needed
        self.output_columns: list[str] = produced

    def transform(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """The input columns plus every produced column, for N rows at once."""
        result = self.run({name: to_runtime(column) for name, column in frame.items()})
        return {name: to_api(column) for name, column in result.items()}

    def run(self, frame: Frame) -> Frame:
        """`transform` on runtime columns (sparse vectors stay `Sparse`): the serving path."""
        missing = [name for name in self.input_columns if name not in frame]
        if missing:
            raise UnprocessableEntity(
                f"missing input column(s) {', '.join(map(repr, missing))}; "
                f"the bundle reads {', '.join(self.input_columns)}"
            )
        lengths = {rows_of(column) for column in frame.values()}
        if len(lengths) > 1:
            raise UnprocessableEntity(f"input columns differ in length: {sorted(lengths)}")
        # IEEE arithmetic as the JVM does it: overflow gives inf, 0/0 gives NaN, silently.
        with np.errstate(all="ignore"):
            return self.root.transform(frame)


def load_bundle(path: str | Path, members: int = archive_module.MAX_ARCHIVE_MEMBERS) -> Bundle:
    """Load a bundle from a directory (BUNDLE_FILE + root/), a .zip or a model.tar.gz.

    A .zip or model.tar.gz holding more than `members` entries is refused before it
    is read (INFERLINE_MAX_ARCHIVE_MEMBERS).

    Raises:
        ModelLoadError: not a bundle, protobuf format, malformed JSON, an archive that
            is unsafe or too large, or an op this runtime does not implement
            ("unsupported op <name>").
    """
    path = Path(path)
    if archive_module.is_archive(path):
        with tempfile.TemporaryDirectory(prefix="inferline-bundle-") as scratch:
            archive_module.extract(path, Path(scratch), members=members)
            return _load(_DirectoryFiles(_bundle_dir(Path(scratch), path)))
    if path.is_file():
        return _load(_ZipFiles.open(path, members))
    if path.is_dir():
        return _load(_DirectoryFiles(_bundle_dir(path, path)))
    raise ModelLoadError(f"bundle {path} does not exist")


def _load(files: _Files) -> Bundle:
    info = files.json(BUNDLE_FILE)
    if str(info.get("format", "json")).lower() != "json":
        raise ModelLoadError(
            f"bundle format {info.get('format')!r} is not supported; only JSON bundles load "
            "(serialize with SerializationFormat.Json, MLeap's default)"
        )
    root = _Loader(files).node("root")
    return Bundle(str(info.get("name") or root.name), root, info)


class _Loader:
    def __init__(self, files: _Files) -> None:
        self.files = files

    def spec(self, folder: str) -> NodeSpec:
        if self.files.exists(f"{folder}/model.pb") and not self.files.exists(
            f"{folder}/model.json"
        ):
            raise ModelLoadError(f"{folder} holds a protobuf model; only JSON bundles load")
        model = self.files.json(f"{folder}/model.json")
        node = (
            self.files.json(f"{folder}/node.json")
            if self.files.exists(f"{folder}/node.json")
            else {}
        )
        op = str(model.get("op", ""))
        name = str(node.get("name") or PurePosixPath(folder).name.removesuffix(".node"))
        shape = node.get("shape") or {}
        return NodeSpec(
            folder=folder,
            name=name,
            op=op,
            inputs={s["port"]: s["name"] for s in shape.get("inputs", [])},
            outputs={s["port"]: s["name"] for s in shape.get("outputs", [])},
            attributes=Attributes(model.get("attributes"), f"{op} node {name!r}"),
            loader=self,
        )

    def node(self, folder: str) -> Op:
        spec = self.spec(folder)
        op_class = OPS.get(spec.op)
        if op_class is None:
            raise ModelLoadError(f"unsupported op {spec.op} (node {spec.name!r} in {folder})")
        try:
            return op_class(spec)
        except (ValueError, TypeError, KeyError, IndexError) as error:
            # ModelLoadError is not among these; a malformed model.json or tree.json is.
            raise ModelLoadError(
                f"{spec.op} node {spec.name!r} in {folder} is malformed: {error!r}"
            ) from None

    def text(self, path: str) -> str:
        return self.files.read(path).decode("utf-8")


def _steps(op: Op) -> list[Op]:
    """The ops of the graph in execution order, nested pipelines flattened."""
    if isinstance(op, Pipeline):
        return [step for child in op.children for step in _steps(child)]
    return [op]


class _Files:
    def read(self, path: str) -> bytes:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def json(self, path: str) -> dict[str, Any]:
        if not self.exists(path):
            raise ModelLoadError(f"bundle file {path} is missing")
        try:
            document = json.loads(self.read(path))
        except (ValueError, UnicodeDecodeError) as error:
            raise ModelLoadError(f"bundle file {path} is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise ModelLoadError(f"bundle file {path} must hold a JSON object")
        return document


class _DirectoryFiles(_Files):
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()


class _ZipFiles(_Files):
    """A zip read whole into memory: bundles are small, and no handle stays open."""

    def __init__(self, entries: dict[str, bytes]) -> None:
        self.entries = entries

    @classmethod
    def open(cls, path: Path, members: int) -> _ZipFiles:
        try:
            # Counted from the file first: opening lists every entry into memory.
            archive_module.check_zip_members(path, members)
            with zipfile.ZipFile(path) as archive:
                # Unsafe names, links and bombs are refused before a member is read.
                archive_module.check_zip(archive, path, _zip_limit())
                names = [n for n in archive.namelist() if not n.endswith("/")]
                markers = sorted(
                    (n for n in names if PurePosixPath(n).name == BUNDLE_FILE),
                    key=lambda n: n.count("/"),
                )
                if not markers:
                    raise ModelLoadError(f"{path} holds no {BUNDLE_FILE}; is it an MLeap bundle?")
                prefix = markers[0][: -len(BUNDLE_FILE)]
                return cls(
                    {n[len(prefix) :]: archive.read(n) for n in names if n.startswith(prefix)}
                )
        except (zipfile.BadZipFile, OSError) as error:
            raise ModelLoadError(f"cannot read bundle {path}: {error}") from None

    def read(self, path: str) -> bytes:
        return self.entries[path]

    def exists(self, path: str) -> bool:
        return path in self.entries


def _zip_limit() -> int:
    """Bytes a zipped bundle may expand to: it is read into memory, so at most
    ZIP_MEMORY_LIMIT, and never more than an extraction on this disk may take."""
    return min(ZIP_MEMORY_LIMIT, archive_module.default_limit(Path(tempfile.gettempdir())))


def _bundle_dir(directory: Path, given: Path) -> Path:
    """`directory`, or its only subfolder holding BUNDLE_FILE (a re-tarred folder)."""
    if (directory / BUNDLE_FILE).is_file():
        return directory
    nested = [p.parent for p in directory.glob(f"*/{BUNDLE_FILE}")]
    if len(nested) == 1:
        return nested[0]
    raise ModelLoadError(f"{given} holds no {BUNDLE_FILE}; is it an MLeap bundle?")
