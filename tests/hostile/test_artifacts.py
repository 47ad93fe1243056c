"""Every hostile archive of tests/hostile/artifacts.py is refused, with nothing written.

A model.tar.gz goes through `inferline serve`'s own path (`modeldir.open_model_dir`
into a cache in the test's folder); an MLeap zip through `load_bundle`. Each must
raise a ModelLoadError naming the problem, leave no extracted file, and write nothing
outside: the test's folder and /tmp are compared before and after.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from inferline.containers.core import modeldir
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml import bundle
from tests.hostile.artifacts import ARTIFACTS, LIMIT, Artifact


def snapshot(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize("artifact", ARTIFACTS, ids=lambda a: f"{a.format}: {a.name}")
def test_a_hostile_archive_is_refused_and_writes_nothing(
    artifact: Artifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tmp_path / "built"
    built.mkdir()
    path = artifact.build(built)
    cache = tmp_path / "cache"
    temp_before = set(Path(tempfile.gettempdir()).iterdir())
    before = snapshot(tmp_path)
    limit = LIMIT if "limit" in artifact.name else None
    with pytest.raises(ModelLoadError, match=artifact.refusal):
        if artifact.format == "MLeap zip":
            if limit is not None:
                monkeypatch.setattr(bundle, "ZIP_MEMORY_LIMIT", limit)
            bundle.load_bundle(path)
        else:
            modeldir.Extraction.acquire(path, limit, cache=cache)
    written = {
        p for p in snapshot(tmp_path) - before if not p.name.endswith((".lock", ".extracting"))
    }
    assert written <= {cache}, f"left behind: {sorted(written)}"
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()
    new_in_temp = {p for p in set(Path(tempfile.gettempdir()).iterdir()) - temp_before}
    assert not [p for p in new_in_temp if "escape" in p.name or "inferline-bundle" in p.name]
