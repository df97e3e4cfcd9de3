"""Sources: where reports come from (JSONL files, the OMOP NOTE table)."""
