"""How notes meet the pipeline: ``local`` (JSONL files in this process), ``spacy`` (the engine
inside a spaCy pipeline); the CDM run is ``omop_nlp.omop.runner``. Every engine builds its
pipeline with ``omop_nlp.build.build_pipeline``."""
