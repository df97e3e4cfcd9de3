"""Sinks: where results go (interchange JSONL, NOTE_NLP, CDM facts, FHIR)."""
