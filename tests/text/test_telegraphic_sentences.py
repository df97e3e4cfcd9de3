"""Sentences of telegraphic and list-style reports (issue 13 item 2). Text written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text, 0, len(text))]


def test_dot_before_lower_case_ends_a_sentence_unless_an_abbreviation() -> None:
    text = "no residual tumor. old lacune, lt. thalamus. postop. gliosis."
    assert sentences(text) == ["no residual tumor.", "old lacune, lt. thalamus.", "postop. gliosis."]


def test_inline_bullet_starts_a_sentence() -> None:
    assert sentences("No effusion • small RUL nodule") == ["No effusion", "• small RUL nodule"]


def test_image_reference_number_starts_no_item() -> None:
    assert sentences("Nodule (series 2, image 41) in the RML.") == ["Nodule (series 2, image 41) in the RML."]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


@pytest.mark.parametrize(("text", "modality", "expected"), [
    ("no recurrent tumor. old lacunar infarct in the pons.", "brain_mri", {"stroke_infarction": []}),
    ("No effusion • 6 mm nodule in the LLL", "chest_ct", {"nodule": ["lll"]}),
    ("LLL subseg. atelectasis. no effusion.", "chest_ct", {"atelectasis": ["lll"]}),
])
def test_negation_stays_in_its_sentence(pipeline: Pipeline, text: str, modality: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected
