"""Adapters that run the engine inside other NLP frameworks (spaCy: ``omop_nlp.engines.spacy``)."""
