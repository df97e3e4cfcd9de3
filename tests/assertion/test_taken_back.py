"""A finding the writer takes back or quotes from an earlier read (mappings/context_rules/en.yaml): "stated in
error", "is a vessel seen end-on" deny it; "the preliminary read described ..." quotes an earlier read and
asserts nothing now. Sentences written for this file; the mention's own certainty is checked."""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


def _certainty(pipeline: Pipeline, text: str, key: str, modality: str) -> list[Certainty]:
    result = pipeline.extract(Report("t", text, modality))
    return [m.certainty for m in result.mentions if m.key == key]


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("The left effusion in the first dictation was stated in error.", "pleural_effusion", [Certainty.NEGATED]),
    ("The 5 mm nodule in the lingula is a vessel seen end-on.", "nodule", [Certainty.NEGATED]),
    ("The preliminary read described right lower lobe consolidation; a mass is present.", "consolidation",
     [Certainty.HISTORICAL]),
    ("The preliminary read described right lower lobe consolidation; a mass is present.", "mass",
     [Certainty.PRESENT]),
    ("The acute infarct reported above was dictated in error.", "stroke_infarction", [Certainty.NEGATED]),
])  # fmt: skip
def test_taken_back_or_quoted(pipeline: Pipeline, text: str, key: str, expected: list[Certainty]) -> None:
    modality = "brain_mri" if key == "stroke_infarction" else "chest_ct"
    assert _certainty(pipeline, text, key, modality) == expected


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("Amendment: the following finding is withdrawn: small right pleural effusion.", "pleural_effusion",
     [Certainty.NEGATED]),
    ("The right middle lobe nodule reported first is withdrawn.", "nodule", [Certainty.NEGATED]),
    # no earlier study to compare with is no denial of what the sentence names
    ("With no prior study, a small right pleural effusion is noted.", "pleural_effusion", [Certainty.PRESENT]),
])  # fmt: skip
def test_withdrawn_by_an_amendment(pipeline: Pipeline, text: str, key: str, expected: list[Certainty]) -> None:
    assert _certainty(pipeline, text, key, "chest_ct") == expected
