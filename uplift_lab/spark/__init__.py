"""--engine spark: the same loop on Apache Spark (pip install -e '.[spark]').

session (the one small, offline SparkSession, and the one place a missing pyspark or Java
becomes a one-line error), then the steps segment, design, analyze, score and target (with
target_solver): each the DuckDB definition, computed by Spark on Spark DataFrames the workflows
open through :mod:`uplift_lab.io.spark`. The steps import pyspark at their top, so only the
workflows' Spark branches import them, after a session has started; session imports it inside
its functions, so importing it (and this package) never needs pyspark.
"""
