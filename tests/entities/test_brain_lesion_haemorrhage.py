"""Bleeding inside a tumour or another lesion is a haemorrhage seen in this examination (guideline
section 3, `hemorrhage_vascular`; corpus README: intratumoral, intralesional, haemorrhagic component).
Expected blood products after surgery stay no key. Sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Known melanoma. Enhancing left parietal metastasis with a small intratumoural haemorrhage.",
                     {"metastasis": [], "hemorrhage_vascular": []}, id="intratumoural"),
        pytest.param("Right temporal glioblastoma; SWI shows intralesional haemorrhage.",
                     {"glioma": [], "hemorrhage_vascular": []}, id="intralesional"),
        pytest.param("Ring-enhancing abscess with a haemorrhagic component.",
                     {"infection_inflammation": [], "hemorrhage_vascular": []}, id="haemorrhagic-component"),
        pytest.param("Several haemorrhagic metastases in both hemispheres.",
                     {"metastasis": [], "hemorrhage_vascular": []}, id="haemorrhagic-metastases"),
        pytest.param("Solitary cerebellar metastasis. No intralesional haemorrhage.", {"metastasis": []},
                     id="denied"),
        pytest.param("Postoperative blood products line the resection cavity of the treated glioma.", {"glioma": []},
                     id="postoperative-blood-products"),
    ],
)
def test_bleeding_inside_a_lesion(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "brain_mri")).findings_json() == expected
