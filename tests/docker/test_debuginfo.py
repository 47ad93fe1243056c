"""Debug sections leave the wheelhouse's libraries; the wheels still install and import."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from inferline.containers.images.debuginfo import DEBUG_SECTION, strip_wheels

pytestmark = pytest.mark.skipif(shutil.which("strip") is None, reason="binutils' strip missing")


def installed_extension() -> Path:
    """fastText's extension as the fasttext-community wheel installed it: with debug info."""
    spec = importlib.util.find_spec("fasttext_pybind")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


def wheel_with(library: Path, wheels: Path, name: str = "fasttext_community") -> Path:
    """A wheel holding `library` and a RECORD, as pip builds or downloads one."""
    wheels.mkdir()
    wheel = wheels / f"{name}-1.0-cp311-cp311-linux_x86_64.whl"
    data = library.read_bytes()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(library.name, data)
        archive.writestr("demo/__init__.py", "")
        archive.writestr(
            f"{name}-1.0.dist-info/RECORD",
            f"{library.name},sha256={digest},{len(data)}\ndemo/__init__.py,,\n"
            f"{name}-1.0.dist-info/RECORD,,\n",
        )
    return wheel


def test_a_library_with_debug_sections_is_stripped_and_its_record_kept_true(
    tmp_path: Path,
) -> None:
    library = installed_extension()
    if DEBUG_SECTION not in library.read_bytes():
        pytest.skip(f"{library.name} was installed without debug sections")
    wheel = wheel_with(library, tmp_path / "wheels")

    assert strip_wheels(tmp_path / "wheels") == [f"{wheel.name}:{library.name}"]
    with zipfile.ZipFile(wheel) as archive:
        stripped = archive.read(library.name)
        record = archive.read("fasttext_community-1.0.dist-info/RECORD").decode()
        assert archive.namelist() == [
            library.name,
            "demo/__init__.py",
            "fasttext_community-1.0.dist-info/RECORD",
        ]
    assert DEBUG_SECTION not in stripped
    assert len(stripped) < library.stat().st_size / 5
    digest = base64.urlsafe_b64encode(hashlib.sha256(stripped).digest()).rstrip(b"=").decode()
    assert f"{library.name},sha256={digest},{len(stripped)}" in record.splitlines()
    assert strip_wheels(tmp_path / "wheels") == []  # nothing left to strip

    # The stripped extension still loads and works, in a fresh interpreter that finds it
    # before the installed one.
    target = tmp_path / "site"
    target.mkdir()
    (target / library.name).write_bytes(stripped)
    corpus = tmp_path / "train.txt"
    corpus.write_text("__label__fruit red apple\n__label__tool steel hammer\n" * 50)
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); import fasttext_pybind, fasttext; "
        "assert fasttext_pybind.__file__.startswith(sys.argv[1]), fasttext_pybind.__file__; "
        "model = fasttext.train_supervised(sys.argv[2], dim=10, thread=1, verbose=0); "
        "print(model.predict('steel hammer')[0][0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", check, str(target), str(corpus)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "__label__tool"), result.stderr


def test_wheels_without_debug_sections_are_left_byte_for_byte(tmp_path: Path) -> None:
    plain = tmp_path / "plain.so"
    plain.write_bytes(b"\x7fELF no debug here")
    wheel = wheel_with(plain, tmp_path / "wheels")
    before = wheel.read_bytes()
    assert strip_wheels(tmp_path / "wheels") == []
    assert wheel.read_bytes() == before


def test_only_the_named_distributions_are_touched(tmp_path: Path) -> None:
    """numpy's patchelf-rewritten libgfortran stops loading once stripped: others stay."""
    library = installed_extension()
    wheel = wheel_with(library, tmp_path / "wheels", name="numpy")
    before = wheel.read_bytes()
    assert strip_wheels(tmp_path / "wheels") == []
    assert wheel.read_bytes() == before
