"""Brain MRI episodes in the Russian-school course words (guideline section 3 rule 2): "negative dynamics" is
progression, "positive dynamics" improvement, "without (significant) dynamics" stable. Reports written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

MR = "brain_mri"


@pytest.mark.parametrize(("text", "expected"), [
    ("Known metastases after radiosurgery, compared with the prior study: negative dynamics of the occipital "
     "metastasis.", {"metastasis": ["progression"]}),
    ("Known PCNSL after chemotherapy, compared with the prior study: positive dynamics of the lymphoma.",
     {"lymphoma": ["improvement"]}),
    ("Known oligodendroglioma after resection, compared with the prior study. The residual glioma is without "
     "dynamics.", {"glioma": ["stable"]}),
])  # fmt: skip
def test_dynamics_as_episodes(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, MR) == expected
