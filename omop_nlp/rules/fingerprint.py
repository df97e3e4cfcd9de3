"""The version of the rules: a hash of what the mappings *say*, not of how the files are written.

It is part of ``nlp_system``, so every NOTE_NLP row and fact names the rules that made it. A
comment, blank lines, quoting or flow/block style, or the order of a model's own keys change
nothing; a word, a code or the order of entries (entities, related keys, sections), which prompts
and first-match rules follow, make a new version.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from omop_nlp.rules.context import CONTEXT_DIR, context_languages, load_context_rules
from omop_nlp.rules.load import RulesModel, mappings_dir
from omop_nlp.rules.modality import MODALITIES, load_rules
from omop_nlp.rules.note_selection import NOTE_SELECTION_FILE, load_note_selection_rules
from omop_nlp.rules.prompts import PROMPTS_DIR, load_prompt_template
from omop_nlp.rules.routing import load_routing_rules
from omop_nlp.rules.sections import load_sections_rules


def loaded_rules(base: Path | None = None) -> dict[str, RulesModel]:
    """Every mappings file, validated, by its path under ``mappings/``."""
    root = base or mappings_dir()
    files: dict[str, RulesModel] = {f"{m}.yaml": load_rules(m, base) for m in MODALITIES}
    files["routing.yaml"] = load_routing_rules(base)
    files["sections.yaml"] = load_sections_rules(base)
    if (root / NOTE_SELECTION_FILE).is_file():
        files[NOTE_SELECTION_FILE] = load_note_selection_rules(base)
    files.update({f"{CONTEXT_DIR}/{lang}.yaml": load_context_rules(lang, base) for lang in context_languages(base)})
    files.update({f"{PROMPTS_DIR}/{m}.yaml": load_prompt_template(m, base)
                  for m in MODALITIES if (root / PROMPTS_DIR / f"{m}.yaml").is_file()})
    return files


def rules_fingerprint(base: Path | None = None) -> str:
    """A short hash of the canonical JSON of every validated mappings file."""
    content = {name: model.model_dump(mode="json") for name, model in sorted(loaded_rules(base).items())}
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]
