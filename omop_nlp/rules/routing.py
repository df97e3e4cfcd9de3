"""``mappings/routing.yaml``: how a note is routed to a modality (title, note class, words)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from omop_nlp.rules.common import Regex, Terms
from omop_nlp.rules.load import RulesModel, load_model
from omop_nlp.rules.modality import Modality


class RoutingRules(RulesModel):
    """Routing, in order: an explicit modality, the note title, the note class concept, then the text."""

    title_patterns: dict[Modality, list[Regex]] = Field(
        default_factory=dict, description="modality -> regular expressions searched (case-insensitive) in note_title")
    note_class_concept_ids: dict[Modality, list[int]] = Field(
        default_factory=dict, description="modality -> NOTE.note_class_concept_id values of its reports")
    text_hints: dict[Modality, Terms] = Field(
        default_factory=dict, description="modality -> words that count for it, besides its entity values, "
        "when the text decides")


def load_routing_rules(base: Path | None = None) -> RoutingRules:
    return load_model(RoutingRules, "routing.yaml", base)
