"""What the converter builds: bundle nodes, and what it knows about each column.

A saved Spark model does not record the vector sizes of its columns (Spark keeps them
in DataFrame metadata), yet MLeap's VectorAssembler and Interaction need them. The
converter therefore walks the stages in order and tracks each column it produces in
`Columns`: scalar, list or vector (with its size), the labels of a StringIndexer
output (IndexToString reads them), and per-element category counts (Interaction
one-hot expands nominal features).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from inferline.containers.core.errors import ModelLoadError


@dataclass(frozen=True)
class Column:
    """What the converter knows about one frame column."""

    kind: Literal["scalar", "vector", "list"] = "scalar"
    size: int | None = None  # vector length, when known
    labels: tuple[str, ...] | None = None  # nominal values of an indexed column
    categories: tuple[int, ...] | None = None  # per vector element: 1 numeric, n nominal

    def element_categories(self) -> tuple[int, ...]:
        """Category counts per element: 1 for numeric, the label count for nominal."""
        if self.kind == "scalar":
            return (len(self.labels) if self.labels else 1,)
        if self.categories is not None:
            return self.categories
        return (1,) * (self.size or 0)


SCALAR = Column()
STRINGS = Column(kind="list")


def vector(size: int | None, categories: tuple[int, ...] | None = None) -> Column:
    return Column(kind="vector", size=size, categories=categories)


class Columns:
    """The columns produced so far; raw inputs are scalars unless sizes are given."""

    def __init__(self, vector_sizes: Mapping[str, int] | None = None) -> None:
        self._known: dict[str, Column] = {
            name: vector(int(size)) for name, size in (vector_sizes or {}).items()
        }

    def __getitem__(self, name: str) -> Column:
        return self._known.get(name, SCALAR)

    def __setitem__(self, name: str, column: Column) -> None:
        self._known[name] = column

    def size(self, name: str, needed_by: object) -> int:
        """The vector size of `name`, or a ModelLoadError saying how to supply it."""
        column = self[name]
        if column.kind == "vector" and column.size is not None:
            return column.size
        if column.kind == "scalar" and name not in self._known:
            raise ModelLoadError(
                f"{needed_by} reads vector column {name!r}, which no earlier stage produces, "
                f"so its size is unknown; pass vector_sizes={{{name!r}: <size>}} "
                "(CLI: --vector-size NAME=SIZE)"
            )
        raise ModelLoadError(f"{needed_by} needs a vector in {name!r}, which holds a {column.kind}")


@dataclass
class Node:
    """One bundle node: ``<name>.node/`` with node.json, model.json and extra files."""

    name: str
    op: str
    attributes: dict[str, Any] = field(default_factory=dict)
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (port, column)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    children: list[Node] = field(default_factory=list)  # pipelines only
