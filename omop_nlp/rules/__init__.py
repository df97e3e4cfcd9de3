"""Typed, validated models of every file under ``mappings/`` (the rules).

One module per kind of file: ``modality`` (``<modality>.yaml``), ``routing``, ``sections``,
``note_selection``, ``context`` (``context_rules/<language>.yaml``) and ``prompts``
(``prompts/<modality>.yaml``);
``load`` reads YAML with the line of every key, ``fingerprint`` versions the rules. How to add a
section: docs/mappings.md.
"""

from omop_nlp.rules.common import Code
from omop_nlp.rules.fingerprint import rules_fingerprint
from omop_nlp.rules.load import MappingError, mappings_dir
from omop_nlp.rules.modality import MODALITIES, EntityKey, KeyDef, ModalityRules, RelatedKey, load_rules

__all__ = ["MODALITIES", "Code", "EntityKey", "KeyDef", "MappingError", "ModalityRules", "RelatedKey",
           "load_rules", "mappings_dir", "rules_fingerprint"]
