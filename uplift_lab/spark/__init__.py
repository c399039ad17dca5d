"""--engine spark: the same loop on Apache Spark (pip install -e '.[spark]').

session (the one small, offline SparkSession), io (inputs as Spark frames), design, analyze and
score (each the DuckDB definition, computed by Spark). pyspark is imported inside functions, so
importing this package never needs it.
"""
