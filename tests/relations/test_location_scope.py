"""Lesion -> location across lines: list scope, references back, asides (issue 13 items 2-4).

Every report here is written for this file; findings compare as the evaluator scores them.
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.rules import load_rules

SCHEMA = load_rules("chest_ct")


def scored(pipeline: Pipeline, text: str) -> dict[str, set[str]]:
    result = pipeline.extract(Report("t", text, "chest_ct"))
    return {k: SCHEMA.expand(f.related) for k, f in result.findings.items()}


CASES = [
    # a lead-in line naming a lesion scopes the numbered / bulleted place-only items under it
    ("lead-in-numbered", "Several small nodules are present, including:\n1) RML, im 31: 3 mm\n2) LUL, im 57: 5 mm",
     {"nodule": {"rml", "lul"}}),
    ("lead-in-bullets", "Scattered nodules as follows:\n• right lower lobe, 4 mm\n• lingula, 2 mm",
     {"nodule": {"rll", "lingula"}}),
    ("list-item-own-lobe", "Left lower lobe:\n- 3 mm nodule\n- RUL 6 mm nodule", {"nodule": {"lll", "rul"}}),
    ("lead-in-ends-at-prose", "Nodules, listed:\n- RUL 4 mm\nNo effusion.\nLLL atelectasis.",
     {"nodule": {"rul"}, "atelectasis": {"lll"}}),
    # references back to the place named last
    ("same-site", "Clustered nodularity in the RML. Subtle ground-glass at the same site.",
     {"nodule": {"rml"}, "ggo": {"rml"}}),
    ("that-segment",
     "Bronchiectasis in the lateral basal segment of the left lower lobe. A tiny nodule in that segment.",
     {"bronchiectasis": {"lll"}, "nodule": {"lll"}}),
    ("resection-site", "Changes of a right lower lobectomy. Soft tissue nodule at the resection site, 9 mm.",
     {"nodule": {"rll"}}),
    # a differential sentence names what the finding before it may be, at that finding's place
    ("differential-of-the-finding-before", "Patchy opacity in the right middle lobe. Differential considerations "
     "include collapse or consolidation.", {"atelectasis": {"rml"}, "consolidation": {"rml"}}),
    ("ddx-of-the-finding-before", "Hazy density at the left base. DDx: ground-glass opacity vs atelectasis.",
     {"ggo": {"lll"}, "atelectasis": {"lll"}}),
    # a suspected lung cancer named in the sentence after the lesion, as what that lesion may be, is at its place
    ("suspected-cancer-next-sentence", "Lobulated nodule in the left lower lobe. This is concerning for malignancy.",
     {"nodule": {"lll"}, "mass": {"lll"}}),
    ("suspected-cancer-in-a-differential", "Irregular RML nodule. Differential includes lung cancer or an "
     "inflammatory nodule.", {"nodule": {"rml"}, "mass": {"rml"}}),
    ("own-place-wins", "Mass in the LUL. A separate nodule in the RUL, not the same lobe.",
     {"mass": {"lul"}, "nodule": {"rul"}}),
    # asides between a place and its lesion, or inside a list of places
    ("image-ref-elided-heads", "Right upper (5:23) and right lower (5:71) nodules.", {"nodule": {"rul", "rll"}}),
    ("series-ref-between", "Left upper lobe (series 4, image 112) ground-glass nodule.", {"ggo": {"lul"}}),
    ("image-refs-in-list", "Nodules in the RML (img 40) and LLL (img 95).", {"nodule": {"rml", "lll"}}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_location_scope(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert scored(pipeline, text) == expected


MORE = [
    # fissures give the lung of their side; a perifissural nodule is a nodule of that lung
    ("fissure-side", "Tiny perifissural nodule along the right major fissure.", {"nodule": {"right_lung"}}),
    ("minor-fissure", "Two small nodules abutting the minor fissure.", {"nodule": {"right_lung"}}),
    # a place that opens the sentence is every lesion's of that sentence
    ("fronted-place", "Within the left lower lobe there is bronchiectasis and a 4 mm calcified granuloma.",
     {"bronchiectasis": {"lll"}, "nodule": {"lll"}}),
    # a lesion said with / explaining a placed lesion shares its place
    ("with-shares-place", "Patchy consolidation in the RML with peribronchial thickening.",
     {"consolidation": {"rml"}, "bronchial_wall_thickening": {"rml"}}),
    ("explanation-shares-place", "Irregular LUL nodule worrisome for bronchogenic carcinoma.",
     {"nodule": {"lul"}, "mass": {"lul"}}),
    ("within-next-lesion", "Bronchiolectasis inside the ground-glass of the right lower lobe.",
     {"bronchiectasis": {"rll"}, "ggo": {"rll"}}),
    # ... even where it is also said "with" a lesion placed more widely before it
    ("within-next-lesion-after-with", "Ground glass in both upper lobes, with bronchiolectasis within the ground "
     "glass (traction) in the left upper lobe.", {"ggo": {"rul", "lul"}, "bronchiectasis": {"lul"}}),
    # a place that heads a procedure is no lesion's
    ("place-of-a-procedure", "Status post left upper lobe segmentectomy, with new atelectasis at the left base.",
     {"atelectasis": {"lll"}}),
    ("distribution-qualifier", "Consolidation in both lower lobes, worse on the left.",
     {"consolidation": {"rll", "lll"}}),
    ("same-lobe-in-one-sentence", "Cavitary mass in the RUL with surrounding ground-glass in the same lobe.",
     {"mass": {"rul"}, "ggo": {"rul"}}),
    # lesions "around" the finding of the line before lie in its place, the dash of a telegraphic line too
    ("around-the-finding-before", "Cavitating consolidation in the left lower lobe.\nAround it, a few small nodules.",
     {"consolidation": {"lll"}, "nodule": {"lll"}}),
    ("around-dash", "Mass in the lingula.\nAround - several satellite nodules.",
     {"mass": {"lingula"}, "nodule": {"lingula"}}),
    # the place of a finding that has gone is still the place "at its site" refers to
    ("its-site-of-a-resolved-finding", "The RML mass has gone; a thin band of fibrosis remains at its site.",
     {"fibrosis": {"rml"}}),
    ("its-place-of-a-cleared-finding", "The lingular consolidation has cleared, leaving faint ground glass in "
     "its place.", {"ggo": {"lingula"}}),
    ("bilateral-word-beside-lobes", "Bilateral ground-glass opacities in both upper lobes.", {"ggo": {"rul", "lul"}}),
    ("part-solid-is-two-keys", "Part-solid nodule in the RUL, 11 mm.", {"ggo": {"rul"}, "nodule": {"rul"}}),
    ("subpleural-is-not-shared", "Subpleural reticulation in the left lower lobe with traction bronchiectasis.",
     {"interstitial_thickening": {"lll", "pleura"}, "bronchiectasis": {"lll"}}),
    ("pleural-feature-is-no-place", "Lobulated RLL nodule with a pleural tag.", {"nodule": {"rll"}}),
    ("radiograph-zones", "Nodule in the left upper zone; linear atelectasis in the right lower lung field.",
     {"nodule": {"lul"}, "atelectasis": {"rll"}}),
]


@pytest.mark.parametrize(("name", "text", "expected"), MORE, ids=[c[0] for c in MORE])
def test_places_shared_in_a_sentence(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert scored(pipeline, text) == expected
