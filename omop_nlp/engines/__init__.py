"""How notes meet the pipeline outside `run`: inside spaCy (``omop_nlp.engines.spacy``) and on Apache Spark
(``omop_nlp.engines.spark``, `spark-run`)."""
