"""Differentials that a clinician's letter or a regional writer ranks down (guideline section 3 rule 1: named only
as unlikely is absent): a dismissal by the diagnosis's short name dismisses it named in full ("glioblastoma ... GBM
is less likely", ``presence.same_names``), "both of these" dismisses the last two diagnoses named
(``presence.back_references``), and "though less likely" after a granted consideration ranks it down. Every report
here is written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("gbm-names-glioblastoma", "Differential: lymphoma or glioblastoma. We favour lymphoma; GBM is less likely.",
     {"lymphoma": []}),
    ("pcnsl-names-primary-cns-lymphoma",
     "Possible glioblastoma or primary CNS lymphoma. PCNSL is unlikely given the necrosis.", {"glioma": []}),
    ("other-name-keeps-it", "Differential: glioblastoma or lymphoma. Metastasis is less likely.",
     {"glioma": [], "lymphoma": []}),
    ("both-of-these", "The report raised an abscess and a metastasis, but the perfusion makes both of these "
     "unlikely.", {}),
    ("both-of-them-names-two-only", "Known glioblastoma. Lymphoma and toxoplasmosis were raised; both of them are "
     "unlikely.", {"glioma": []}),
    ("though-less-likely", "Toxoplasmosis is a consideration given the serology, though less likely.", {}),
    ("though-keeps-other", "Metastases are likely, and an abscess is a consideration, though unlikely.",
     {"metastasis": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_letter_dismissal(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, "brain_mri") == expected
