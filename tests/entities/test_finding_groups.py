"""A structured report's finding groups (corpus style `dsr`, omop_nlp/entities/groups.py): a finding item and the
item lines after it at its indentation speak of one finding; a denying "Presence" item denies it, a site of another
organ makes it that organ's, and the site's place is its place. Reports written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"


def _negated(pipeline: Pipeline, text: str, modality: str) -> set[str]:
    result = pipeline.extract(Report("t", text, modality))
    return {m.key for m in result.mentions if m.certainty is Certainty.NEGATED}


@pytest.mark.parametrize(("modality", "text", "expected"), [
    pytest.param(CT, "Chest SR export\n> Group\n  >> Finding = Consolidation\n  >> Presence = Absent\n"
                 "> Group\n  >> Finding = Nodule\n  >> Finding site = Lower lobe of left lung\n  >> Size = 4 mm\n",
                 {"nodule": ["lll"]}, id="absent-denies-its-own-group-only"),
    pytest.param(CT, "Findings tree:\nGROUP\n    Finding = Pleural effusion\n    Laterality = Left\n"
                 "    Presence = Present\n", {"pleural_effusion": []}, id="present-keeps-it"),
    pytest.param(CT, "Findings tree:\n  > Finding = Mass (coded)\n  > Finding site = Left adrenal gland\n"
                 "  > Long axis = 19 mm\n", {}, id="site-of-another-organ"),
    pytest.param(CT, "Findings tree:\n  > Finding = Nodule\n  > Finding site = Middle lobe of right lung\n"
                 "  > Long axis = 5 mm\n", {"nodule": ["rml"]}, id="site-line-places-the-finding"),
    pytest.param(MR, "MR brain export\n- CONTAINS: Finding = Acute infarct\n- CONTAINS: Presence = Absent\n"
                 "- CONTAINS: Finding = Meningioma\n- CONTAINS: Presence = Present\n",
                 {"non_malignant_tumor": []}, id="brain-relationship-words"),
])  # fmt: skip
def test_the_sibling_items_speak_of_the_groups_finding(pipeline: Pipeline, modality: str, text: str,
                                                      expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


def test_a_denying_presence_item_puts_the_finding_in_negated(pipeline: Pipeline) -> None:
    text = "Tree:\n  >> Finding = Cerebral microbleeds\n  >> Finding site =\n  >> Presence = Absent\n"
    assert _negated(pipeline, text, MR) == {"hemorrhage_vascular"}


def test_a_presence_item_at_another_indentation_is_another_groups(pipeline: Pipeline) -> None:
    """The group ends where the indentation changes: the denial below belongs to the group it opens."""
    text = "Tree:\n    Finding = Atelectasis\n    Size = small\n  Other group\n  Presence = Absent\n"
    assert pipeline.extract(Report("t", text, CT)).findings_json() == {"atelectasis": []}
    assert _negated(pipeline, text, CT) == set()
