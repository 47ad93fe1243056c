"""The op contract: a node of the bundle graph, built once at load, run on N rows.

Each op is a small class registered under its MLeap op name. It is built from a
`NodeSpec` (its node.json sockets and model.json attributes), validates and
precomputes everything it can at load time, and maps a frame to a frame. Only the
output ports present in node.json are produced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.attributes import Attributes
from inferline.stages.sparkml.columns import Column, Frame


class NodeLoader(Protocol):
    """Reads further files of the bundle for ops that own children or extra files."""

    def node(self, folder: str) -> Op: ...

    def spec(self, folder: str) -> NodeSpec: ...

    def text(self, path: str) -> str: ...


@dataclass(frozen=True)
class NodeSpec:
    """One node as stored: its folder, op name, sockets and attributes."""

    folder: str
    name: str
    op: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    attributes: Attributes
    loader: NodeLoader

    def error(self, message: str) -> ModelLoadError:
        return ModelLoadError(f"{self.op} node {self.name!r}: {message}")


class Op:
    """A transformer of the graph; subclasses implement `transform`."""

    op_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, spec: NodeSpec) -> None:
        self.name = spec.name
        self.inputs = spec.inputs
        self.outputs = spec.outputs

    @property
    def reads(self) -> list[str]:
        return list(self.inputs.values())

    @property
    def writes(self) -> list[str]:
        return list(self.outputs.values())

    def transform(self, frame: Frame) -> Frame:
        raise NotImplementedError


OPS: dict[str, type[Op]] = {}
OpClass = TypeVar("OpClass", bound=type[Op])


def register(*names: str) -> Callable[[OpClass], OpClass]:
    """Class decorator: the op answers to these MLeap op names."""

    def add(cls: OpClass) -> OpClass:
        cls.op_names = names
        for name in names:
            OPS[name] = cls
        return cls

    return add


HANDLE_INVALID = ("error", "skip", "keep")


def handle_invalid(spec: NodeSpec, default: str = "error") -> str:
    """The node's handle_invalid mode (Spark's handleInvalid), checked at load."""
    mode = spec.attributes.string("handle_invalid", default) or default
    if mode not in HANDLE_INVALID:
        raise spec.error(f"handle_invalid must be one of {', '.join(HANDLE_INVALID)}, got {mode!r}")
    return mode


_NUMBERED = re.compile(r"^(input|output)(\d*)$")


def column_pairs(spec: NodeSpec) -> list[tuple[int, str, str]]:
    """(port number, input column, output column) of a per-column op, in port order.

    Single-column nodes use ``input``/``output``; multi-column ones ``input0..``/
    ``output0..`` (MLeap reads ``input`` as ``input0``). Pairs whose output port is
    absent from node.json are left out.
    """

    def numbered(ports: dict[str, str], kind: str) -> dict[int, str]:
        found: dict[int, str] = {}
        for port, column in ports.items():
            match = _NUMBERED.match(port)
            if match and match.group(1) == kind:
                found[int(match.group(2) or 0)] = column
        return found

    sources, targets = numbered(spec.inputs, "input"), numbered(spec.outputs, "output")
    if not sources:
        raise spec.error("node.json has no input port")
    return [(k, sources[k], targets[k]) for k in sorted(sources) if k in targets]


class ColumnOp(Op):
    """An op applied column by column: input k -> output k."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.pairs = column_pairs(spec)

    def transform(self, frame: Frame) -> Frame:
        out = dict(frame)
        for k, source, target in self.pairs:
            out[target] = self.compute(frame[source], k, source)
        return out

    def compute(self, column: Column, k: int, name: str) -> Any:
        raise NotImplementedError
