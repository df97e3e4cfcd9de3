"""The side of a lesion on chest radiograph-style text (guideline section 2 rules 2, 4, 9).

Side comparisons name both sides, a differential shares its places, a segment word may stand between a
side and its lobe, and a place that modifies a finding of no key is not the next lesion's when that lesion
names its own; a lung that heads the line ("Right lung:") gives its side to a zone named there without one, and so
does the one side where the report placed the lesion before ("the lower lobe site"). Every
report here is written for this file.
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


def effusion_sides(pipeline: Pipeline, text: str) -> set[str]:
    """Pleural effusion takes no scored location; its side words stay on its mentions."""
    result = pipeline.extract(Report("t", text, "chest_ct"))
    return {k for m in result.findings["pleural_effusion"].mentions for k in m.related}


CASES = [
    # "X greater than Y" names both sides, with or without a zone word
    ("comparison-after", "Patchy basal collapse, right more than left.", {"atelectasis": {"right_lung", "left_lung"}}),
    ("comparison-with-zone", "Right greater than left basilar linear atelectasis.", {"atelectasis": {"rll", "lll"}}),
    ("comparison-with-hilum", "Calcified granulomata about the right worse than left hilum.",
     {"nodule": {"right_lung", "left_lung"}}),
    # a differential ("A versus B") shares the places named after it
    ("versus-shares-places", "Band of discoid atelectasis versus scar in the lingula and right lower lobe.",
     {"atelectasis": {"lingula", "rll"}, "fibrosis": {"lingula", "rll"}}),
    # a segment word between a side and its lobe
    ("side-segment-lobe", "A 2.4 cm lobulated mass in the right superior lower lobe.", {"mass": {"rll"}}),
    # a place heading a finding of no key is not given to a lesion that names its own place
    ("no-key-head-then-placed-lesion", "Right lower lobe pneumonia and a small scar at the left apex.",
     {"fibrosis": {"lul"}}),
    ("hypoventilation-is-no-key", "Mild bibasal hypoventilation and plate atelectasis in the lingula.",
     {"atelectasis": {"lingula"}}),
    # ... but it still modifies a lesion that names none ("RML airspace disease may reflect atelectasis")
    ("no-key-head-explained", "Left lower lobe airspace disease, which may reflect collapse.",
     {"atelectasis": {"lll"}}),
    ("places-in-one-list", "Ill-defined nodules in the RUL and possibly LLL.", {"nodule": {"rul", "lll"}}),
    # the costophrenic angle and the retrocardiac region are the base of their side (rule 9)
    ("costophrenic-angle", "Tiny calcified granuloma projecting in the left costophrenic recess.", {"nodule": {"lll"}}),
    ("side-retrocardiac", "Small right retrocardiac nodule.", {"nodule": {"rll"}}),
    ("retrocardiac-alone", "Patchy retrocardiac collapse.", {"atelectasis": {"lll"}}),
    ("on-side", "One calcified granuloma on right.", {"nodule": {"right_lung"}}),
    ("side-chest", "A faint 5 mm nodule in the left chest.", {"nodule": {"left_lung"}}),
    # "surrounding" refers back to the place named last
    ("surrounding-refers-back", "Lobulated 3 cm mass in the lingula. Mild surrounding collapse.",
     {"mass": {"lingula"}, "atelectasis": {"lingula"}}),
    # a side before a place of no side is the lesion's lung (rules 8, 9)
    ("side-pleural-based", "A 9 mm left pleural-based nodule.", {"nodule": {"left_lung", "pleura"}}),
    ("blunting-is-no-key", "Mild right costophrenic angle blunting and a 6 mm left upper lobe nodule.",
     {"nodule": {"lul"}}),
    # a placed lesion keeps its place when a later place belongs to a finding of no key after it
    ("headed-then-other-finding",
     "In the left lower lobe there is patchy consolidation with blunting of both costophrenic angles.",
     {"consolidation": {"lll"}}),
    ("unplaced-lesion-takes-later-place", "Collapse with volume loss in the right lower lobe.",
     {"atelectasis": {"rll"}}),
    # a place-only sentence naming its own finding of no key does not continue the lesion before it
    ("no-continuation-over-other-finding", "Granuloma in the RML. Some hilar prominence on the left.",
     {"nodule": {"rml"}}),
    ("continuation", "A 7 mm nodule is seen. It lies in the lingula.", {"nodule": {"lingula"}}),
    # a lung that heads the line gives its side to a zone named there without one
    ("side-heading-inline", "- Left lung: Few small nodules in the lower lobe.\n- Right lung: Clear.",
     {"nodule": {"lll"}}),
    ("side-heading-earlier-on-the-line", "- Right lung: No effusion. Band of scarring in the upper lobe.",
     {"fibrosis": {"rul"}}),
    ("side-heading-line-above", "Left lung:\nPatchy consolidation in the lower lobe.\nNo nodule.",
     {"consolidation": {"lll"}}),
    ("side-heading-keeps-a-sided-zone", "- Right lung: Ground-glass opacity in both lower lobes.",
     {"ggo": {"rll", "lll"}}),
    ("no-side-heading-both-zones", "Lungs: Reticulation in the lower lobes.",
     {"interstitial_thickening": {"rll", "lll"}}),
    ("side-comparison-abbreviated", "Lungs: R > L basal atelectasis.", {"atelectasis": {"rll", "lll"}}),
    # one zone without a side is the lobe of the side where the report placed that lesion before
    ("bare-zone-after-a-sided-place", "Consolidation in the left lower lobe. Aspiration is likely given the "
     "consolidation and lower lobe site.", {"consolidation": {"lll"}}),
    ("bare-zone-plural-names-both", "Bronchiectasis in the right lower lobe. Further bronchiectasis in the lower "
     "lobes.", {"bronchiectasis": {"rll", "lll"}}),
    ("bare-zone-lesion-placed-on-both-sides", "Nodules in the RUL and LUL. Another nodule in the upper lobe.",
     {"nodule": {"rul", "lul"}}),
    ("bare-zone-other-lesion", "Atelectasis in the right lower lobe. Scarring in the lower lobe.",
     {"atelectasis": {"rll"}, "fibrosis": {"rll", "lll"}}),
    # lobes of both sides given as the largest members of a set in both lungs are examples: both lungs stay
    ("largest-members-on-both-sides", "Innumerable metastatic nodules in both lungs; the biggest in the right "
     "upper lobe (2 cm) and in the lingula (16 mm).", {"nodule": {"right_lung", "left_lung", "rul", "lingula"}}),
    ("largest-and-the-others-placed", "Several nodules in both lungs: the largest in the right lower lobe, the "
     "others in the left upper lobe.", {"nodule": {"rll", "lul"}}),
    ("one-phrase-both-sides-without-largest", "Bilateral nodules in the right upper lobe and the left upper lobe.",
     {"nodule": {"rul", "lul"}}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lesion_sides(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert scored(pipeline, text) == expected


EFFUSIONS = [
    ("comparison", "Moderate pleural effusions, left larger than right.", {"right_lung", "left_lung"}),
    ("versus-differential", "Blunted angle: thin left pleural thickening versus tiny effusion.", {"left_lung"}),
    ("differential-then-bilateral", "Trace pleural effusion versus pleural thickening bilaterally.",
     {"right_lung", "left_lung"}),
    # a place joined by "with" to another phrase is that phrase's, not the effusion's
    ("with-starts-other-phrase", "Better expansion of the lung bases with a persistent right basal effusion.",
     {"rll"}),
    # "small right and moderate left": the first side is the effusion's too
    ("elided-head", "Small right and moderate left pleural effusions.", {"right_lung", "left_lung"}),
    ("side-pleural-opacity", "Left pleural opacity, probably a loculated effusion.", {"left_lung", "pleura"}),
    # a finding of no key inside a list of lesions does not end the list
    ("list-through-no-key", "Unchanged right lower lobe collapse, infiltrate and effusion.", {"rll"}),
]


@pytest.mark.parametrize(("name", "text", "expected"), EFFUSIONS, ids=[c[0] for c in EFFUSIONS])
def test_effusion_sides(pipeline: Pipeline, name: str, text: str, expected: set) -> None:
    assert effusion_sides(pipeline, text) == expected
