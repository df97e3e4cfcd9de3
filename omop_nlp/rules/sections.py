"""``mappings/sections.yaml``: report section headers, what each section means, and its LOINC code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from omop_nlp.rules.common import Code, TermsByLanguage
from omop_nlp.rules.load import RulesModel, load_model

SectionKind = Literal["findings", "comparison", "history", "indication", "recommendation", "technique"]


class SectionRule(RulesModel):
    """One section: its headers and what a mention in it means."""

    kind: SectionKind = Field(description="findings of this examination, or a section whose mentions are history / "
                              "comparison (historical) or indication / recommendation / technique (hypothetical)")
    code: Code | None = Field(None, description="the section's LOINC code (NOTE_NLP.section_concept_id)")
    headers: TermsByLanguage = Field(description="header words per language; the first section listing a header "
                                     "takes it")


class SectionsRules(RulesModel):
    """The sections a report is split into; text before any header is findings."""

    sections: dict[str, SectionRule] = Field(description="section name -> its rule")


def load_sections_rules(base: Path | None = None) -> SectionsRules:
    return load_model(SectionsRules, "sections.yaml", base)
