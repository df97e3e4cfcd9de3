"""Hybrid mode: where are the rules uncertain? Those keys, and only those, go to the LLM.

A target key (a present chest CT lesion that takes locations, a present brain MRI malignant
diagnosis) is *uncertain* when the rule mapper had to leave a stated relation word unused or
had to choose between several diseases:

Chest CT
  1. The note states a location (a location mention that is not negated, unlikely or resolved)
     that the rules gave to no lesion (a lung side counts as given where a lobe of that side
     is): every target lesion of the note is uncertain, since the location may belong to any.
  2. Otherwise, a target lesion with no location while the note states at least one location.
Brain MRI
  1. The note states a change (an episode mention that is not negated, unlikely or
     hypothetical) and has more than one malignant diagnosis: all of them are uncertain (which
     change belongs to which disease is a judgement).
  2. A stated change that the rules gave to no diagnosis (in the impression, or said of
     something the rules took for another subject): the malignant diagnoses are uncertain.
  3. A malignant diagnosis with no episode while the note states a change.

A note with no stated location / change is never uncertain: there is nothing to relate, and
the rules' empty lists stand. Everything else keeps the rules' answer.
"""

from __future__ import annotations

from omop_nlp.model import Certainty, Result
from omop_nlp.relations.llm.schema import relatable_keys
from omop_nlp.rules import ModalityRules

_LOCATION_NOT_THERE = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.RESOLVED)
_EPISODE_NOT_STATED = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.HYPOTHETICAL)


def target_keys(result: Result, rules: ModalityRules) -> list[str]:
    """The present keys that take related keys, in the mappings file's order, less those the report's own
    correction settled (``Finding.corrected``): the writer's later word is the answer, and a model re-reading the
    body could put back a place the addendum took away."""
    return [k for k in relatable_keys(rules) if k in result.findings and not result.findings[k].corrected]


def uncertain_keys(result: Result, rules: ModalityRules) -> list[str]:
    targets = target_keys(result, rules)
    if not targets:
        return []
    if rules.related_type == "location":
        return _chest(result, rules, targets)
    return _brain(result, rules, targets)


def _used(result: Result, rules: ModalityRules) -> set[str]:
    used = {key for m in result.mentions if m.type == rules.entity_type for key in m.related}
    return used | rules.expand(used)


def _chest(result: Result, rules: ModalityRules, targets: list[str]) -> list[str]:
    stated = {m.key for m in result.mentions
              if m.type == rules.related_type and m.certainty not in _LOCATION_NOT_THERE}  # fmt: skip
    if not stated:
        return []
    used = _used(result, rules)
    sides_used = {rules.related[k].side for k in used if k in rules.related}
    orphans = {k for k in stated - used
               if not (k in ("right_lung", "left_lung") and rules.related[k].side in sides_used)}  # fmt: skip
    if orphans:
        return targets
    return [k for k in targets if not result.findings[k].related]


def _brain(result: Result, rules: ModalityRules, targets: list[str]) -> list[str]:
    stated = {m.key for m in result.mentions
              if m.type == rules.related_type and m.certainty not in _EPISODE_NOT_STATED}  # fmt: skip
    if not stated:
        return []
    if len(targets) > 1 or stated - _used(result, rules):
        return targets
    return [k for k in targets if not result.findings[k].related]
