"""Apache Spark engine: ``spark-run`` (NOTE -> NOTE_NLP with mapInPandas). Needs the [spark] extra."""

from omop_nlp.engines.spark.batch import BatchSpec, SiteConcepts, note_nlp_batches
from omop_nlp.engines.spark.job import SparkRunOptions, SparkRunSummary, spark_run

__all__ = ["BatchSpec", "SiteConcepts", "SparkRunOptions", "SparkRunSummary", "note_nlp_batches", "spark_run"]
