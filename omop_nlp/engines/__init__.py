"""How notes meet the pipeline: ``files`` (a JSONL file in this process), ``cdm`` (the OMOP NOTE
table, batch by batch, with the ledger and worker processes), ``spacy`` (the engine inside a
spaCy pipeline) and ``spark`` (on Apache Spark, ``spark-run``). Engines sit above the stages,
sources, sinks and the database layer (``omop/``), and build their pipeline with
``omop_nlp.build.build_pipeline`` only."""
