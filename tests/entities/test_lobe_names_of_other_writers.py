"""Lobe names of writers who do not write "right upper lobe" (issue 13; guideline section 2 rule 5): the Japanese
segment notation with its side ("left S1+2", "right S6") maps to the lobe of the segment; the Spanish lobe names
("inferior lobe", "LSD", "lóbulo medio") to their lobe. A segment number with no side (a liver segment) is no
place. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    # right S1-S3 upper, S4-S5 middle, S6-S10 lower; left S1+2 and S3 upper, S4-S5 lingula, S6-S10 lower
    ("An 8 mm solid nodule is seen in right S3.", {"nodule": ["rul"]}),
    ("Ground-glass nodule in left S1+2, 6 mm.", {"ggo": ["lul"]}),
    ("Linear atelectasis in right S5.", {"atelectasis": ["rml"]}),
    ("Band-like scar in left S4.", {"fibrosis": ["lingula"]}),
    ("Consolidation in left S9 and S10.", {"consolidation": ["lll"]}),
    ("Nodules in right S2 and left S8.", {"nodule": ["lll", "rul"]}),
    ("Reticulation in bilateral S10.", {"interstitial_thickening": ["bll"]}),
    ("Liver: a small cyst in S7. Lungs: a nodule in right S7+8.", {"nodule": ["rll"]}),
    # Spanish lobe names: superior / inferior lobe, the LSD .. LII abbreviations and the full names
    ("Is observed a nodular image in the right superior lobe.", {"nodule": ["rul"]}),
    ("Atelectasis of the left inferior lobe.", {"atelectasis": ["lll"]}),
    ("Spiculated mass in LID with a satellite nodule in LM.", {"mass": ["rll"], "nodule": ["rml"]}),
    ("Consolidation in LSI and bronchiectasis in LII.", {"consolidation": ["lul"], "bronchiectasis": ["lll"]}),
    ("Ground glass in the lóbulo superior derecho.", {"ggo": ["rul"]}),
    ("Subsegmental atelectasis in both inferior lobes.", {"atelectasis": ["bll"]}),
    ("Small nodule in right lung S6.", {"nodule": ["rll"]}),
    ("Scar in the língula.", {"fibrosis": ["lingula"]}),
])  # fmt: skip
def test_lobe_names_of_other_writers(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
