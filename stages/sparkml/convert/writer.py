"""Writing nodes as a Bundle.ML directory (JSON format): BUNDLE_FILE + ``root/``.

SageMaker extracts model.tar.gz into /opt/ml/model and the SparkML container loads that
directory as the bundle, so the bundle directory is packed as the archive's top level
(with `containers.core.archive.write`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import Node
from inferline.stages.sparkml.kind import BUNDLE_FILE

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


def write_bundle(root: Node, bundle_dir: Path, saved_at_ms: int = 0) -> None:
    """Write `root` as ``bundle_dir/BUNDLE_FILE`` + ``bundle_dir/root/``.

    Nothing depends on the time of writing, so the same model converts to the same
    bytes: the bundle's timestamp is `saved_at_ms` (when Spark saved the model, from
    its metadata), and its uid (MLeap draws a random one) is derived from root/'s files.
    """
    bundle_dir.mkdir(parents=True, exist_ok=True)
    write_node(root, bundle_dir / "root")
    saved_at = datetime.fromtimestamp(saved_at_ms / 1000, tz=UTC).replace(tzinfo=None)
    _dump(
        bundle_dir / BUNDLE_FILE,
        {
            "uid": str(_content_uid(bundle_dir / "root")),
            "name": root.name,
            "format": "json",
            "version": MLEAP_FORMAT_VERSION,
            # MLeap writes a LocalDateTime: no zone, milliseconds.
            "timestamp": saved_at.isoformat(timespec="milliseconds"),
            "meta": {"writer": v.string("inferline")},
        },
    )


def _content_uid(folder: Path) -> uuid.UUID:
    """A UUID from the names and bytes of the files under `folder`: same files, same uid."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return uuid.uuid5(uuid.NAMESPACE_URL, f"inferline:bundle:{digest.hexdigest()}")
