""""Shadow" as the head noun of translated Chinese templates (corpus README, `chn` choices): it takes the key of
its qualifier, and a shadow of no key's qualifier names none; "pleura thickening" is pleural thickening. Every
report here is written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("consolidation-shadow", "Patchy consolidation shadow in the RLL.", {"consolidation": ["rll"]}),
    ("mass-shadow", "A lobulated mass shadow in the LUL.", {"mass": ["lul"]}),
    ("nodule-shadow", "A nodule shadow of 4 mm in the RML.", {"nodule": ["rml"]}),
    ("cord-like-shadow", "Cord-like shadows in the LLL.", {"fibrosis": ["lll"]}),
    ("fibrous-stripe-shadow", "Fibrous stripe shadow in the RUL.", {"fibrosis": ["rul"]}),
    ("grid-like-shadow", "Grid-like shadows under the pleura of both lower lobes.",
     {"interstitial_thickening": ["bll", "pleura"]}),
    ("mesh-like-shadow", "Mesh-like shadow in the RUL.", {"interstitial_thickening": ["rul"]}),
    ("patchy-shadow-names-no-key", "Patchy shadow in the RLL.", {}),
    ("pleura-thickening", "Bilateral pleura thickening.", {"pleural_thickening": []}),
    ("nodular-pleura-thickening", "Nodular pleura thickening along the right chest wall.", {"pleural_thickening": []}),
    ("denied-mass-shadow", "No nodular or mass shadow is seen in either lung.", {}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_shadow_takes_the_key_of_its_qualifier(pipeline: Pipeline, name: str, text: str,
                                                 expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
