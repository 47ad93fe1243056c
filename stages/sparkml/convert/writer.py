"""Writing nodes as a Bundle.ML directory (JSON format): BUNDLE_FILE + ``root/``.

SageMaker extracts model.tar.gz into /opt/ml/model and the SparkML container loads that
directory as the bundle, so the bundle directory is packed as the archive's top level
(with `containers.core.archive.write`).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from inferline.stages.sparkml.bundle import BUNDLE_FILE
from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import Node

# The MLeap release whose JSON layout (Spark 3 attribute names) we write.
MLEAP_FORMAT_VERSION = "0.25.2"


def _dump(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, allow_nan=False) + "\n")


def _sockets(sockets: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"port": port, "name": name} for port, name in sockets]


def write_node(node: Node, folder: Path) -> None:
    folder.mkdir(parents=True)
    attributes = dict(node.attributes)
    if node.op == "pipeline":
        attributes["nodes"] = v.strings([child.name for child in node.children])
    _dump(folder / "model.json", {"op": node.op, "attributes": attributes})
    _dump(
        folder / "node.json",
        {
            "name": node.name,
            "shape": {"inputs": _sockets(node.inputs), "outputs": _sockets(node.outputs)},
        },
    )
    for relative, text in node.files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for child in node.children:
        write_node(child, folder / f"{child.name}.node")


def write_bundle(root: Node, bundle_dir: Path) -> None:
    """Write `root` as ``bundle_dir/BUNDLE_FILE`` + ``bundle_dir/root/``."""
    bundle_dir.mkdir(parents=True, exist_ok=True)
    _dump(
        bundle_dir / BUNDLE_FILE,
        {
            "uid": str(uuid.uuid4()),
            "name": root.name,
            "format": "json",
            "version": MLEAP_FORMAT_VERSION,
            "timestamp": datetime.now().isoformat(timespec="milliseconds"),
            "meta": {"writer": v.string("inferline")},
        },
    )
    write_node(root, bundle_dir / "root")
