"""Hand-built MLeap bundles for tests: write bundle.json, node.json and model.json ourselves.

    path = write_bundle(tmp_path, [node("string_indexer", {"labels": strings(["a", "b"])},
                                        inputs={"input": "x"}, outputs={"output": "x_idx"})])

Values use MLeap's JSON encoding (see docs/sparkml-ops.md); the helpers below
produce it, so tests can also write the format's odd corners by hand ({} and null).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


def double(value: float) -> dict[str, Any]:
    return {"double": value}


def long(value: int) -> dict[str, Any]:
    return {"long": value}


def integer(value: int) -> dict[str, Any]:
    return {"int": value}


def boolean(value: bool) -> dict[str, Any]:
    return {"boolean": True} if value else {}  # MLeap leaves false out


def string(value: str) -> dict[str, Any]:
    return {"string": value}


def strings(values: list[str]) -> dict[str, Any]:
    return {"type": "list", "string": values}


def doubles(values: list[float | None]) -> dict[str, Any]:
    return {"type": "list", "double": values}


def longs(values: list[int]) -> dict[str, Any]:
    return {"type": "list", "long": values}


def ints(values: list[int]) -> dict[str, Any]:
    return {"type": "list", "int": values}


def tensor(values: Any) -> dict[str, Any]:
    """A dense tensor; 2-D arrays are flattened column-major, as Spark writes matrices."""
    array = np.asarray(values, dtype=np.float64)
    return {
        "type": "tensor",
        "double": array.flatten(order="F").tolist(),
        "shape": {"dimensions": [{"size": n, "name": ""} for n in array.shape]},
    }


def shapes(*sizes: int | None) -> dict[str, Any]:
    """vector_assembler input_shapes: None for a scalar, n for an n-vector."""
    return {
        "type": "list",
        "data_shape": [
            {"base": "scalar", "isNullable": True}
            if n is None
            else {
                "base": "tensor",
                "isNullable": True,
                "tensorShape": {"dimensions": [{"size": n, "name": ""}]},
            }
            for n in sizes
        ],
    }


@dataclass
class Node:
    op: str
    attributes: dict[str, Any]
    inputs: dict[str, str]
    outputs: dict[str, str]
    name: str = ""
    files: dict[str, str] = field(default_factory=dict)  # extra files, e.g. tree.json
    children: list[Node] = field(default_factory=list)


def node(
    op: str,
    attributes: dict[str, Any] | None = None,
    inputs: dict[str, str] | None = None,
    outputs: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    name: str = "",
) -> Node:
    return Node(op, attributes or {}, inputs or {}, outputs or {}, name, files or {})


def tree_lines(*lines: dict[str, Any]) -> str:
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def write_node(folder: Path, item: Node) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps({"op": item.op, "attributes": item.attributes}))
    (folder / "node.json").write_text(
        json.dumps(
            {
                "name": item.name,
                "shape": {
                    "inputs": [{"port": p, "name": c} for p, c in item.inputs.items()],
                    "outputs": [{"port": p, "name": c} for p, c in item.outputs.items()],
                },
            }
        )
    )
    for relative, text in item.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)


def write_bundle(directory: Path, nodes: list[Node], name: str = "pipeline_test") -> Path:
    """A pipeline bundle of `nodes` (in order) in `directory`; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bundle.json").write_text(
        json.dumps(
            {
                "uid": "00000000-0000-4000-8000-000000000000",
                "name": name,
                "format": "json",
                "version": "0.25.2",
                "timestamp": "2026-11-23T08:35:10.123",
            }
        )
    )
    root = node("pipeline", {"nodes": strings([])}, name=name)
    _write_pipeline(directory / "root", root, nodes)
    return directory


def _write_pipeline(folder: Path, pipeline: Node, nodes: list[Node]) -> None:
    names = []
    for index, item in enumerate(nodes):
        item.name = item.name or f"{item.op}_{index}"
        names.append(item.name)
        if item.op == "pipeline":
            _write_pipeline(folder / f"{item.name}.node", item, item.children)
        else:
            write_node(folder / f"{item.name}.node", item)
    pipeline.attributes = {**pipeline.attributes, "nodes": strings(names)}
    write_node(folder, pipeline)


def leap(**columns: Any) -> dict[str, np.ndarray]:
    """A frame from Python lists: strings become object columns, numbers float64."""
    frame: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if values and isinstance(values[0], (str, type(None))):
            frame[name] = np.array(values, dtype=object)
        else:
            frame[name] = np.asarray(values, dtype=np.float64)
    return frame
