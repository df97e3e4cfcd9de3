"""An opacity the report explains as something other than a lung lesion is no lesion (guideline section 2
rules 1 and 10): a healing rib fracture, overlapping shadows. Sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nodular density along the lateral right 6th rib represents a healing rib fracture.", {}),
        ("Focal nodular opacity at the left base likely represents a healing fracture.", {}),
        ("Questioned nodule at the right apex, probably overlapping shadows.", {}),
        ("Small nodular density in the left midlung, thought to represent confluence of overlapping shadows.", {}),
        # the explanation belongs to its own finding only
        ("Nodule in the lingula. Old healed fracture of a left rib.", {"nodule": ["lingula"]}),
        ("A 6 mm nodule in the RUL, projecting over the anterior 2nd rib.", {"nodule": ["rul"]}),
    ],
    ids=["rib-fracture", "likely-fracture", "overlapping-shadows", "confluence", "fracture-elsewhere", "over-rib"],
)
def test_opacity_explained_as_no_lung_lesion(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
