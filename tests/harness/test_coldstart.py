"""`inferline up`'s cold start (docs/harness.md, "Cold start and restart: the warm zygote").

The command line imports only the module of the command it runs; `inferline up` starts
its images' zygotes right after reading the definition, before the rest of the harness
is imported, and the runtime forks the containers from those same zygotes; a zygote
does not import packages its image does not ship (pyarrow).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inferline.containers import cli
from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint, process, zygote
from inferline.containers.harness.process import ProcessContainer
from tests.echo import echo_chain

# Not needed to parse `inferline up` and read its definition: each was imported before
# the zygotes started (the serving stack, S3 and the control plane's botocore models).
NOT_FOR_PARSING_UP = ("flask", "gunicorn", "numpy", "pandas", "sklearn", "boto3", "botocore")


def test_each_command_maps_to_the_module_that_registers_it() -> None:
    registered: dict[str, str] = {}
    for name in cli.COMMAND_MODULES:
        subparsers = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(subparsers)
        registered.update(dict.fromkeys(subparsers.choices, name))
    assert cli.COMMANDS == registered


def test_help_still_lists_every_command() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "inferline.containers", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(command in shown for command in cli.COMMANDS)


def test_inferline_up_reads_its_definition_without_the_serving_stack(
    echo_model: Path, tmp_path: Path
) -> None:
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(echo_chain(echo_model, tmp_path / "state", ("one",))))
    probe = (
        "import sys\n"
        "from inferline.containers import cli\n"
        "from inferline.containers.core import definition\n"
        f"args = cli.parser('up').parse_args(['up', {str(path)!r}])\n"
        "definition.load(args.definition, None)\n"
        "print('\\n'.join(sys.modules))\n"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    tops = {module.partition(".")[0] for module in imported}
    assert tops.isdisjoint(NOT_FOR_PARSING_UP), sorted(tops.intersection(NOT_FOR_PARSING_UP))
    assert not [m for m in imported if m.startswith("inferline.containers.controlplane")]


@pytest.mark.skipif(not zygote.supported(), reason="zygotes are Linux-only")
def test_prestart_starts_the_zygote_the_containers_are_forked_from(
    echo_model: Path, tmp_path: Path
) -> None:
    spec = definition.parse(echo_chain(echo_model, tmp_path / "state", ("one", "two")))
    base = process.inherited_environment()
    absent = process.ABSENT_FROM_IMAGE["sklearn"]
    earlier = zygote.for_container("sklearn", absent, base, base)
    assert earlier is not None
    earlier.close()  # an earlier test's (or this one's): prestart must start its own
    before = _children()
    process.prestart(spec)
    (started,) = _children() - before  # one zygote for the one image
    warm = zygote.for_container("sklearn", absent, base, base)
    assert warm is not None and warm.process.pid == started
    try:
        with LocalEndpoint(spec) as endpoint:
            assert endpoint.invoke(b"hi", content_type="text/plain").body
            containers = endpoint.endpoint.deployment.containers
            for container in containers:
                assert isinstance(container, ProcessContainer)
                forked = container.process
                assert isinstance(forked, zygote.ForkedProcess)
                stat = Path(f"/proc/{forked.pid}/stat").read_text().rpartition(")")[2].split()
                assert int(stat[1]) == started  # its parent is the prestarted zygote
            # The zygote has imported the serving stack, and not what the image lacks.
            mapped = Path(f"/proc/{started}/maps").read_text()
            assert "numpy" in mapped and "pyarrow" not in mapped
    finally:
        warm.close()


def _children() -> set[int]:
    """This process's child processes, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
        except (OSError, NotADirectoryError):
            continue
        if entry.name.isdigit() and int(stat[1]) == os.getpid():
            found.add(int(entry.name))
    return found
