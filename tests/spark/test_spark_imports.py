"""pyspark is an optional extra: only the Spark steps (uplift_lab.spark) and the Spark readers
(uplift_lab.io.spark) import it, and importing the CLI, io, a workflow or the session module
never does (so without the extra everything but --engine spark works, and --engine spark says
in one line what to install)."""

from __future__ import annotations

import subprocess
import sys

import grimp

SPARK_MODULES = ("uplift_lab.spark", "uplift_lab.io.spark")


def test_only_the_spark_modules_import_pyspark() -> None:
    graph = grimp.build_graph("uplift_lab", include_external_packages=True)
    importers = graph.find_modules_that_directly_import("pyspark")
    assert importers  # the check sees the Spark modules' imports
    outside = sorted(
        module
        for module in importers
        if not any(module == m or module.startswith(m + ".") for m in SPARK_MODULES)
    )
    assert outside == []


def test_importing_cli_io_workflows_and_the_session_does_not_import_pyspark() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import uplift_lab.cli, uplift_lab.io, uplift_lab.spark.session, uplift_lab.workflows\n"
        "for m in pkgutil.iter_modules(uplift_lab.workflows.__path__):\n"
        "    importlib.import_module('uplift_lab.workflows.' + m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('pyspark', 'py4j')))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert found == "[]"
