"""The pipeline op: its children run in order, each adding columns to the frame."""

from __future__ import annotations

from inferline.stages.sparkml.columns import Frame
from inferline.stages.sparkml.ops.base import NodeSpec, Op, register


@register("pipeline")
class Pipeline(Op):
    """A left fold over the nodes listed in ``nodes`` (not the folders present)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        names = spec.attributes.strings("nodes", [])
        self.children = [spec.loader.node(f"{spec.folder}/{name}.node") for name in names]

    @property
    def reads(self) -> list[str]:
        return [column for child in self.children for column in child.reads]

    @property
    def writes(self) -> list[str]:
        return [column for child in self.children for column in child.writes]

    def transform(self, frame: Frame) -> Frame:
        for child in self.children:
            frame = child.transform(frame)
        return frame
