"""The registry finds kinds through entry points: no central list, third-party kinds too.

The third-party checks install a real (tiny) distribution on a path of its own, with
its dist-info and entry_points.txt as pip writes them, and run a fresh interpreter on
it: importlib.metadata is what finds it, exactly as for an installed package.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.core.errors import ConfigurationError, ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.containers.images import IMAGES
from inferline.stages.kind import Kind

PROJECT = Path(__file__).resolve().parents[2]
DOC = PROJECT / "docs" / "stage-kinds.md"
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "xgboost")

ECHO_MODULE = '''
"""A third-party stage kind: answers each body with itself."""
from pathlib import Path

from inferline.containers.core.errors import BadRequest
from inferline.containers.core.invocation import Answer
from inferline.stages.kind import Kind


class EchoStage:
    def invoke(self, invocation):
        if not invocation.body:
            raise BadRequest("nothing to echo")
        return Answer(invocation.body, "text/plain")

    def execution_parameters(self, defaults):
        return defaults


def load(model_dir, settings):
    return EchoStage()


KIND = Kind(
    name="echo",
    image="echo",
    loader="echo_kind:load",
    content_types=("text/plain",),
    recognises=lambda model_dir: (Path(model_dir) / "echo.txt").is_file(),
    looks_for="echo.txt",
    priority=5,
)
'''


def run_python(code: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=120,
    )


def install_echo(site: Path, entry: str = "echo = echo_kind:KIND") -> Path:
    """A distribution `echo-kind` registering `entry` in the inferline.stages group."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "echo_kind.py").write_text(ECHO_MODULE)
    dist_info = site / "echo_kind-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-kind\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[{stages.ENTRY_POINT_GROUP}]\n{entry}\n")
    return site


def test_the_built_in_kinds_are_registered_through_entry_points() -> None:
    expected = {"sklearn", "sparkml", "xgboost", "linear-learner", "blazingtext"}
    assert expected <= set(stages.kinds())
    assert stages.names() == sorted(stages.kinds())
    for name, kind in stages.kinds().items():
        assert isinstance(kind, Kind) and kind.name == name


def test_a_third_party_package_adds_a_kind(tmp_path: Path) -> None:
    site = install_echo(tmp_path / "site")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "echo.txt").write_text("")
    probe = f"""
        import json
        from pathlib import Path
        from inferline import stages
        from inferline.containers.core.invocation import Invocation
        from inferline.containers.core.media import MediaType
        from inferline.containers.core.settings import Settings
        from inferline.containers.images import IMAGES

        model_dir = Path({str(model_dir)!r})
        stage = stages.load(None, model_dir, Settings())
        answer = stage.invoke(Invocation(b"hello", MediaType.parse("text/plain")))
        print(json.dumps({{
            "kinds": list(stages.kinds()),
            "detected": stages.detect(model_dir),
            "answer": answer.body.decode(),
            "image": IMAGES["echo"].stages,
        }}))
    """
    result = run_python(probe, site)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["kinds"][0] == "echo"  # priority 5: asked before sparkml's 10
    assert seen["detected"] == "echo"
    assert seen["answer"] == "hello"
    assert seen["image"] == ["echo"]


def test_the_contract_suite_picks_up_a_new_kind_and_fails_it_without_an_example(
    tmp_path: Path,
) -> None:
    site = install_echo(tmp_path / "site")
    result = run_python(
        """
        import sys
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-k", "echo",
                              "tests/conformance/test_contract.py"]))
        """,
        site,
    )
    assert result.returncode != 0, result.stdout
    assert "[echo]" in result.stdout
    assert "'echo' provides no example model" in result.stdout


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("echo = echo_kind:load", "must be an inferline.stages.Kind named 'echo'"),
        ("other = echo_kind:KIND", "must be an inferline.stages.Kind named 'other'"),
        ("echo = no_such_module_here:KIND", "does not import"),
        ("sklearn = echo_kind:KIND", "'sklearn' is registered twice"),
    ],
)
def test_a_broken_registration_is_a_configuration_error(
    tmp_path: Path, entry: str, message: str
) -> None:
    site = install_echo(tmp_path / "site", entry)
    probe = """
        from inferline import stages
        from inferline.containers.core.errors import ConfigurationError
        try:
            stages.kinds()
        except ConfigurationError as error:
            print(error)
    """
    result = run_python(probe, site)
    assert result.returncode == 0, result.stderr
    assert message in result.stdout


def test_declarations_are_cheap_to_import() -> None:
    """Detection imports every declaration: none may bring in numpy or a model runtime."""
    probe = f"""
        import json, sys
        from inferline import stages
        kinds = stages.kinds()
        print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
    """
    result = run_python(probe)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_serving_sklearn_imports_neither_spark_ml_nor_xgboost(tmp_path: Path) -> None:
    from sklearn.preprocessing import StandardScaler

    from inferline.stages.sklearn import artifact

    artifact.save(StandardScaler().fit([[0.0], [2.0]]), tmp_path)
    probe = f"""
        import json, sys
        from pathlib import Path
        from inferline import stages
        from inferline.containers.core.settings import Settings
        stage = stages.load(None, Path({str(tmp_path)!r}), Settings())
        print(json.dumps(sorted(sys.modules)))
    """
    result = run_python(probe)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "sklearn" in loaded and "inferline.stages.sklearn.stage" in loaded
    leaked = sorted(
        name
        for name in loaded
        if name == "xgboost" or name.startswith(("xgboost.", "inferline.stages.sparkml."))
        if name != "inferline.stages.sparkml.kind"
    )
    assert leaked == []


def test_nothing_recognised_lists_what_each_kind_looks_for(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError) as raised:
        stages.detect(tmp_path)
    message = str(raised.value)
    for kind in stages.kinds().values():
        if kind.recognises is not None:
            assert f"{kind.looks_for} ({kind.name})" in message
        else:
            assert kind.name in message
    assert "--stage" in message and "INFERLINE_STAGE" in message


def test_detection_asks_the_kinds_in_priority_order(tmp_path: Path) -> None:
    """A bundle.json beside a stray model.pkl is still a Spark ML bundle."""
    (tmp_path / "bundle.json").write_text("{}")
    (tmp_path / "model.pkl").write_text("")
    assert stages.detect(tmp_path) == "sparkml"
    (tmp_path / "bundle.json").unlink()
    assert stages.detect(tmp_path) == "sklearn"


def test_an_unknown_kind_names_the_registered_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as raised:
        stages.load("tensorflow", tmp_path, Settings())
    message = str(raised.value)
    assert "'tensorflow'" in message
    assert all(name in message for name in stages.kinds())


def test_a_kind_whose_dependencies_are_missing_names_its_extra(tmp_path: Path) -> None:
    ghost = Kind(
        name="ghost",
        image="ghost",
        loader="inferline_no_such_module:load",
        content_types=("text/csv",),
        extra="ghost",
        requires=("inferline_no_such_module",),
    )
    with pytest.raises(
        ConfigurationError, match=r"inferline_no_such_module missing.*inferline\[ghost\]"
    ):
        ghost.load(tmp_path, Settings())


def test_each_image_serves_the_kinds_that_name_it() -> None:
    for kind in stages.kinds().values():
        image = IMAGES[kind.image]
        assert kind.name in image.stages
        assert kind.extra is None or kind.extra in image.extras
    assert sorted(s for image in IMAGES.values() for s in image.stages) == sorted(stages.kinds())
    assert IMAGES["xgboost"].default_stage == "xgboost"
    assert IMAGES["sparkml"].default_stage == "sparkml"
    assert IMAGES["sklearn"].default_stage is None  # three kinds: detected or named
    assert set(IMAGES["sklearn"].stages) == {"sklearn", "linear-learner", "blazingtext"}


def test_the_docs_table_shows_each_built_in_kind_as_declared() -> None:
    rows = re.findall(
        r"^\| `([a-z-]+)` \| (.+?) \| inferline-([a-z]+) \|(.*)\|$", DOC.read_text(), re.M
    )
    documented = {name: (detected, image, variables) for name, detected, image, variables in rows}
    built_in = {
        name: kind
        for name, kind in stages.kinds().items()
        if kind.loader.startswith("inferline.stages.")
    }
    assert set(documented) == set(built_in)
    for name, kind in built_in.items():
        detected, image, variables = documented[name]
        assert image == kind.image, name
        shown = detected.replace("`", "")
        assert (kind.looks_for in shown) if kind.recognises else ("named only" in shown), name
        assert set(re.findall(r"`([A-Z_]+)`", variables)) == set(kind.variables), name
