"""Guideline section 2 rules 2-3: a place written after a finding of no key that opens the sentence ("Pneumonia
RLL with ground glass at RML", the telegraphic word order of some writers) is that finding's place: the lesion after
it borrows it only while it names no place of its own. Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("own-place-wins", "Pneumonia LLL with ground glass at lingula.", {"ggo": ["lingula"]}),
    ("no-own-place-borrows", "Aspiration pneumonia RLL with consolidation.", {"consolidation": ["rll"]}),
    ("place-before-lesion-unchanged", "RUL with small nodule.", {"nodule": ["rul"]}),
    ("thickened-enhancing-pleura", "A small residual pleural effusion with thickened, enhancing pleura on the right.",
     {"pleural_effusion": [], "pleural_thickening": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_place_after_finding_of_no_key(pipeline: Pipeline, name: str, text: str,
                                       expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
