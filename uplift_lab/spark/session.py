"""The Spark session of ``--engine spark``: started once per process, small and offline.

Nothing is downloaded at run time: no ``spark.jars.packages`` (Ivy) is ever set, the UI is off,
and the session time zone is UTC so timestamps mean what they mean on DuckDB. A missing pyspark
or Java is one line naming the fix, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from uplift_lab.errors import InputError, UsageError, literal

DEFAULT_MASTER = "local[*]"
SHUFFLE_PARTITIONS = 8  # small data in tests and on a laptop; a cluster sets its own (--conf)
NO_PYSPARK = (  # UsageError templates: {engine=spark} is the engine parameter set to spark
    "{engine=spark} needs pyspark, which is not installed. Install the extra: "
    "pip install -e '.[spark]' (or use {engine=duckdb})"
)
NO_JAVA = (
    "{engine=spark} needs Java 17 or 21 (no 'java' on PATH and JAVA_HOME unset). Install a JDK "
    "(apt-get install openjdk-17-jre-headless), or use {engine=duckdb}"
)

_SESSIONS: dict[str, Any] = {}


@contextlib.contextmanager
def spark_errors(source: object) -> Iterator[None]:
    """Spark's analysis and execution errors (a bad column, an unreadable file) as one line."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise InputError(f"{source}: Spark failed: {first[:300]}") from None


def java_available() -> bool:
    """True when a ``java`` executable can be found (JAVA_HOME or PATH), as pyspark looks."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def pyspark_available() -> bool:
    """True when pyspark can be imported."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def under_spark_submit() -> bool:
    """True when spark-submit (or the pyspark shell) started this interpreter: its JVM gateway
    is in the environment, and its --master and --conf are the ones to use."""
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT"))


def _submitted() -> dict[str, str]:
    """The settings spark-submit passed to the JVM (--conf, --master, spark-defaults.conf)."""
    from pyspark import SparkConf, SparkContext

    SparkContext._ensure_initialized()
    return dict(SparkConf().getAll())


def spark_session(master: str = DEFAULT_MASTER, **conf: str) -> Any:
    """The process's SparkSession for ``master`` (created on first use, then reused).

    ``conf`` adds Spark settings (``spark.sql.shuffle.partitions`` and the like). A session
    already running for another master is reused as it is: Spark allows one per process. Under
    spark-submit the default master (``local[*]``) gives way to spark-submit's ``--master`` (a
    master set in code would override it); an explicit ``--spark-master`` still wins.
    """
    if not pyspark_available():
        raise UsageError(NO_PYSPARK)
    if not java_available():
        raise UsageError(NO_JAVA)
    # pyspark 4 warns on every pandas conversion under pandas 3; what we use is covered by
    # the equality tests, so the warning is noise for the user.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if master in _SESSIONS:
        return _SESSIONS[master]
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.legacy.parquet.nanosAsLong": "true",  # pandas' timestamps (see io.spark)
        "spark.driver.extraJavaOptions": "-Dderby.system.home=/tmp/uplift-lab-derby",
        **conf,
    }
    if under_spark_submit():  # spark-submit's --conf wins over these defaults
        settings = {k: v for k, v in settings.items() if k in conf or k not in _submitted()}
    # Python workers run this interpreter (its pandas, pyarrow, lightgbm) unless the user or the
    # cluster says otherwise (PYSPARK_PYTHON, spark.pyspark.python).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("uplift-lab")
    if not (under_spark_submit() and master == DEFAULT_MASTER):
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # JVM start-up failures: one line, not a Py4J traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"{{engine=spark}}: could not start Spark at master '{literal(master)}': "
            f"{literal(first)}. Check {{master}} and the Java installation"
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = session
    return session
