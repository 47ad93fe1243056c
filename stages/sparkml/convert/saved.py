"""Reading a Spark ML model saved with ``model.write().save(path)``, without a JVM.

A saved stage is a folder holding ``metadata/part-00000*`` (one JSON line: class,
uid, sparkVersion, paramMap, defaultParamMap) and, for fitted models, ``data/*.parquet``
(read here with pyarrow). A PipelineModel keeps its stages in ``stages/<n>_<uid>/``.
Spark vectors and matrices are stored as structs (type 0 = sparse, 1 = dense).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from inferline.containers.core.errors import ModelLoadError

_UNSET = object()


@dataclass(frozen=True)
class SavedStage:
    """One saved Spark ML stage: its metadata, params and Parquet data."""

    path: Path
    metadata: Mapping[str, Any]

    @property
    def uid(self) -> str:
        return str(self.metadata["uid"])

    @property
    def class_name(self) -> str:
        """The Spark class without its package, e.g. ``StringIndexerModel``."""
        return str(self.metadata["class"]).rsplit(".", 1)[-1]

    @property
    def spark_version(self) -> tuple[int, ...]:
        text = str(self.metadata.get("sparkVersion", "0"))
        return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())

    @cached_property
    def params(self) -> dict[str, Any]:
        """Explicit params over defaults (Spark 2.x metadata has no defaultParamMap)."""
        return {**self.metadata.get("defaultParamMap", {}), **self.metadata.get("paramMap", {})}

    def param(self, name: str, default: Any = _UNSET) -> Any:
        if name in self.params:
            return self.params[name]
        if default is _UNSET:
            raise ModelLoadError(f"{self}: param {name!r} is missing from its metadata")
        return default

    def is_set(self, name: str) -> bool:
        """True when the user set `name` explicitly (not merely a default)."""
        return name in self.metadata.get("paramMap", {})

    def rows(self, folder: str = "data") -> list[dict[str, Any]]:
        """The rows of ``<folder>/*.parquet``, in file order."""
        import pyarrow.parquet as pq

        files = sorted((self.path / folder).glob("*.parquet"))
        if not files:
            raise ModelLoadError(f"{self}: no Parquet files in {self.path / folder}")
        rows: list[dict[str, Any]] = []
        for file in files:
            rows += pq.read_table(file).to_pylist()
        return rows

    def row(self) -> dict[str, Any]:
        """The single data row that most models save."""
        return self.rows()[0]

    def __str__(self) -> str:
        return f"stage {self.uid} ({self.metadata.get('class')})"


def read_metadata(folder: Path) -> dict[str, Any]:
    files = sorted((folder / "metadata").glob("part-*"))
    if not files:
        raise ModelLoadError(
            f"{folder} is not a saved Spark ML model: no metadata/part-* file "
            "(save the fitted model with model.write().save(path))"
        )
    metadata: dict[str, Any] = json.loads(files[0].read_text().splitlines()[0])
    return metadata


def read_stage(folder: Path) -> SavedStage:
    return SavedStage(folder, read_metadata(folder))


def pipeline_stages(pipeline: SavedStage) -> list[SavedStage]:
    """The stages of a saved PipelineModel, in order (folders are ``<n>_<uid>``)."""
    folders = {
        path.name.split("_", 1)[1]: path
        for path in (pipeline.path / "stages").iterdir()
        if path.is_dir() and "_" in path.name
    }
    stages = []
    for uid in pipeline.param("stageUids"):
        if uid not in folders:
            raise ModelLoadError(f"{pipeline}: stage folder for {uid} is missing")
        stages.append(read_stage(folders[uid]))
    return stages


def vector(value: Mapping[str, Any]) -> np.ndarray:
    """A Spark vector struct as a dense float64 array."""
    values = np.asarray(value["values"], dtype=np.float64)
    if value["type"] == 1:
        return values
    dense = np.zeros(int(value["size"]), dtype=np.float64)
    dense[np.asarray(value["indices"], dtype=np.int64)] = values
    return dense


def matrix(value: Mapping[str, Any]) -> np.ndarray:
    """A Spark matrix struct as a dense 2-D float64 array."""
    rows, cols = int(value["numRows"]), int(value["numCols"])
    transposed = bool(value.get("isTransposed"))
    if value["type"] == 1:
        values = np.asarray(value["values"], dtype=np.float64)
        return values.reshape((rows, cols), order="C" if transposed else "F")
    # Sparse: compressed columns (rows when transposed).
    dense = np.zeros((cols, rows) if transposed else (rows, cols), dtype=np.float64)
    pointers = value["colPtrs"]
    for outer in range(len(pointers) - 1):
        for k in range(pointers[outer], pointers[outer + 1]):
            dense[value["rowIndices"][k], outer] = value["values"][k]
    return dense.T if transposed else dense


def spark_double(value: Any) -> float:
    """A double from Spark's param JSON, where infinities are "Inf"/"-Inf"."""
    if isinstance(value, str):
        return {"Inf": np.inf, "-Inf": -np.inf, "NaN": np.nan}.get(value, float(value))
    return float(value)


def param_vector(value: Any) -> np.ndarray:
    """A vector param from the metadata JSON (``{"type": 1, "values": [...]}``)."""
    if isinstance(value, Mapping):
        return vector(value)
    return np.asarray(value, dtype=np.float64)
