"""Assertion on template and oncology wording (issue 13): an unticked box negates the finding right after
it or the field before it; "non-small cell" is no negation; a lesion named as the reason for a follow-up
after treatment is history.

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("box-after-heading", "LUNGS: Clear.\nPLEURA: [ ] effusion [ ] plaque\nHEART: Normal.", {}),
    ("box-after-field", "Consolidation: [ ]\nAtelectasis: [x] right base", {"atelectasis": ["rll"]}),
    ("box-then-none", "Effusion: [ ] none [x] small", {"pleural_effusion": []}),
    ("non-small-cell", "Known non-small cell lung cancer in the right upper lobe, larger.", {"mass": ["rul"]}),
    ("follow-up-after", "Follow-up after radiotherapy to a right upper lobe carcinoma. Fibrosis in the right "
     "upper lobe.", {"fibrosis": ["rul"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_template_and_oncology_assertion(pipeline: Pipeline, name: str, text: str,
                                         expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


def test_brain_template_boxes(pipeline: Pipeline) -> None:
    text = "VASCULAR: [ ] aneurysm [ ] AVM\nHaemorrhage: [ ]\nEnhancing right frontal glioblastoma."
    assert findings(pipeline, text, "brain_mri") == {"glioma": []}
