"""Guideline section 2 rules 2 and 8 where "subpleural" is the distribution of a pattern, not one lesion's place
(issue 13): the lesions said with the pattern share the pleura with its lobes ("reticulation of subpleural and basal
predominance, with traction bronchiectasis"); a subpleural lesion keeps the pleura to itself. A present / absent
mark after a finding ("(+)") interrupts no phrase. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Fine reticulation of subpleural and basal predominance in both lungs, with traction bronchiolectasis.",
     {"interstitial_thickening": ["bll", "pleura"], "bronchiectasis": ["bll", "pleura"]}),
    ("Patchy ground glass with peripheral and subpleural distribution in both lower lobes, with septal thickening.",
     {"ggo": ["bll", "pleura"], "interstitial_thickening": ["bll", "pleura"]}),
    ("Honeycombing in a subpleural predominant pattern in the lower lobes, with traction bronchiectasis.",
     {"fibrosis": ["bll", "pleura"], "bronchiectasis": ["bll", "pleura"]}),
    # one subpleural lesion: its companion takes the lobe only
    ("A subpleural nodule in the right upper lobe with adjacent ground-glass.",
     {"nodule": ["pleura", "rul"], "ggo": ["rul"]}),
    ("Septal thickening (+) and ground-glass opacity in both lower lobes.",
     {"interstitial_thickening": ["bll"], "ggo": ["bll"]}),
    ("Consolidation (+) in the right middle lobe.", {"consolidation": ["rml"]}),
    # a subpleural lesion "in the same distribution" as a placed one: the pleura is its spread, the lobes its place
    ("Ground-glass opacity in both upper lobes, and subpleural septal thickening in the same distribution.",
     {"ggo": ["bul"], "interstitial_thickening": ["bul", "pleura"]}),
])  # fmt: skip
def test_subpleural_distribution(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a comma clause that says where placed findings are worse names no place of its own
    ("Both lungs: diffuse septal thickening, more marked in the left lung.",
     {"interstitial_thickening": ["left_lung", "right_lung"]}),
    ("Ground-glass opacity in both lower lobes, slightly worse on the left side.", {"ggo": ["bll"]}),
    # ... also after a companion that takes its place from the placed lesion, and where the clause says a change
    ("Bronchiectasis throughout both lower lobes, with bronchial wall thickening, worse on the left.",
     {"bronchiectasis": ["bll"], "bronchial_wall_thickening": ["bll"]}),
    ("Tree-in-bud nodules in both upper lobes, with some bronchiectasis, increased in the left upper lobe.",
     {"nodule": ["bul"], "bronchiectasis": ["bul"]}),
    # ... but a place that is the only one, or one of a list of places, stays
    ("Septal thickening, more in the right lung.", {"interstitial_thickening": ["right_lung"]}),
    ("A few nodules in the left upper lobe and more in the right upper lobe.", {"nodule": ["lul", "rul"]}),
])  # fmt: skip
def test_weighting_clause_adds_no_place(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
