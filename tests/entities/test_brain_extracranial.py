"""Brain MRI: the diagnosis keys are findings inside the skull; the scalp, the orbit, a paranasal sinus or
the ear give none (corpus conventions of `icu` and `pvt`), while a dural venous sinus stays intracranial.

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

EXTRACRANIAL = [
    ("scalp-after-link", "Incidental 2 cm lipoma in the right parietal scalp."),
    ("subgaleal-before", "Small subgaleal haematoma over the bone flap."),
    ("orbit-before", "Left orbital abscess with proptosis."),
    ("sinus-subject", "Maxillary sinus: mucosal inflammation with an air-fluid level."),
    ("mastoid-after-link", "Fluid and inflammation within the right mastoid air cells."),
]


@pytest.mark.parametrize(("name", "text"), EXTRACRANIAL, ids=[c[0] for c in EXTRACRANIAL])
def test_findings_outside_the_skull_give_no_key(pipeline: Pipeline, name: str, text: str) -> None:
    assert findings(pipeline, text, "brain_mri") == {}


INTRACRANIAL = [
    ("venous-sinus", "Superior sagittal sinus thrombosis.", {"hemorrhage_vascular": []}),
    ("scalp-beside-subdural", "Thin right subdural haematoma. Separate scalp haematoma.", {"hemorrhage_vascular": []}),
    ("sphenoid-wing", "Left sphenoid wing meningioma, 2 cm.", {"non_malignant_tumor": []}),
    ("orbit-then-brain", "Orbits normal; abscess in the right frontal lobe.", {"infection_inflammation": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), INTRACRANIAL, ids=[c[0] for c in INTRACRANIAL])
def test_intracranial_findings_stay(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert findings(pipeline, text, "brain_mri") == expected
