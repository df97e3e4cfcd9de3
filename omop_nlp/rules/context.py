"""``mappings/context_rules/<language>.yaml``: ConText-style assertion triggers of one language."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from omop_nlp.rules.common import Terms
from omop_nlp.rules.load import RulesModel, load_model, mappings_dir

CONTEXT_DIR = "context_rules"
Category = Literal["negated", "unlikely", "outranked", "resolved", "hypothetical", "historical", "quoted", "hedged",
                   "question", "pseudo", "partial", "terminate"]
Direction = Literal["forward", "backward", "both", "prefix", "suffix", "list", "terminate"]
DEFAULT_MAX_TOKENS = 10


class ContextRules(RulesModel):
    """Triggers by category and direction, and how far their scope reaches."""

    max_tokens: dict[str, int] = Field(
        default_factory=dict, description="scope in tokens: per side (forward, backward) or per category and side "
        f"(resolved_backward); {DEFAULT_MAX_TOKENS} where none is given. A `both` trigger uses the forward limit")
    rules: dict[Category, dict[Direction, Terms]] = Field(
        description="category -> direction -> trigger phrases. outranked triggers dismiss like unlikely ones the "
        "side of a preference that the report did not suspect before (\"X favoured over Y\"); question triggers "
        "hedge like hedged ones and also mark the report's clinical question (\"Sepsis; r/o stroke.\" before the "
        "findings); quoted triggers give another reader's words (\"Outside report: ...\"), historical even where "
        "that reader hedged; pseudo triggers look like one but are none; partial triggers name a part of a set, "
        "which a resolution then leaves the rest of (\"two of the nodules have resolved\"); "
        "terminate ends a trigger's scope. forward applies to concepts after the trigger, backward before it, "
        "both after it when a concept follows at once, else before it, prefix only to a concept that starts "
        "right after it (\"non-haemorrhagic infarct\" denies the haemorrhage only), suffix only to a concept that "
        "ends right before it (\"meningioma resection\": the treatment names the lesion as history), list like forward "
        "over every item of the list after it, not ended by the terminators that join items (\"Differential includes "
        "abscess, lymphoma and a glioma\"); terminate "
        "under a category ends the scope of that category's triggers only (historical: \",\" in \"History of "
        "cancer, s/p lobectomy, new nodule\"); in the category terminate, forward ends the scope of forward triggers "
        "only (a new item of a list: \"No effusion, chronic nodule\") and both the scope of every trigger")
    answer_marks: Terms = Field(
        default_factory=list, description="marks that answer the field or question before them (\":\", \"?\", "
        "\"->\"): a negation that starts with or follows one, with no concept after it in its clause, denies the "
        "concept before it and outranks the question there (\"r/o nodule in the RUL -> not seen\", \"Effusion? "
        "None.\", \"Bronchiectasis: No\")")

    suffixes_after_place: Terms = Field(
        default_factory=list, description="suffix triggers (listed under a category's suffix) that still name the "
        "finding after its place phrase, opened by a `place_openers` word (\"meningioma of the right sphenoid wing "
        "resected in 2021\"); a dated treatment verb, not a place noun (\"nodule at the resection site\" stays)")
    place_openers: Terms = Field(
        default_factory=list, description="words that open the place phrase of a finding (\"of\", \"in\") for "
        "`suffixes_after_place`")

    @field_validator("max_tokens")
    @classmethod
    def _known_limits(cls, limits: dict[str, int]) -> dict[str, int]:
        sides = ("forward", "backward")
        known = {*sides, *(f"{c}_{s}" for c in Category.__args__ for s in sides)}
        unknown = sorted(set(limits) - known)
        if unknown:
            raise ValueError(f"unknown limit(s) {', '.join(unknown)}; expected forward, backward or <category>_<side>")
        return limits

    def triggers(self, composed: Terms = ()) -> dict[Category, dict[Direction, Terms]]:
        """The rules' triggers with ``composed`` added to the forward quoted ones: the other readers of the study
        followed by what they did ("outside report describes", "AI flagged"), listed once in sections.yaml
        ``outside_readers``, whose sentence openings read them too."""
        if not composed:
            return self.rules
        quoted = self.rules.get("quoted", {})
        return {**self.rules, "quoted": {**quoted, "forward": [*quoted.get("forward", []), *composed]}}

    def max_tokens_for(self, category: str, direction: str) -> int:
        side = "backward" if direction == "backward" else "forward"
        return self.max_tokens.get(f"{category}_{side}", self.max_tokens.get(side, DEFAULT_MAX_TOKENS))


def context_languages(base: Path | None = None) -> list[str]:
    """The languages with a trigger file, in name order."""
    return sorted(p.stem for p in ((base or mappings_dir()) / CONTEXT_DIR).glob("*.yaml"))


def load_context_rules(language: str, base: Path | None = None) -> ContextRules:
    return load_model(ContextRules, f"{CONTEXT_DIR}/{language}.yaml", base)
