"""Sentence ends in telegraphic reports that start sentences in lower case (issue 13, kor style)."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.sentences import split_sentences


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text, 0, len(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no mass effect.\nold infarct in the pons.", ["no mass effect.", "old infarct in the pons."]),
        ("negative for haemorrhage. small old lacune.", ["negative for haemorrhage.", "small old lacune."]),
        ("no new lesion. stable cyst.", ["no new lesion.", "stable cyst."]),
        ("LLL subseg. atelectasis.", ["LLL subseg. atelectasis."]),
        ("Lt. frontal lesion, bil. basal ganglia spared.", ["Lt. frontal lesion, bil. basal ganglia spared."]),
        ("mild volume loss of the\nright hippocampus", ["mild volume loss of the\nright hippocampus"]),
        ("Fever, ? Abscess. No mass.", ["Fever, ? Abscess.", "No mass."]),
        ("? Koch's meningitis", ["? Koch's meningitis"]),
        ("Abscess? No.", ["Abscess? No."]),
    ],
    ids=["full-stop-at-line-end", "full-stop-after-a-word", "six-letter-word", "six-letter-abbreviation",
         "dotted-abbreviations", "wrapped-line", "question-mark-after-a-comma", "question-mark-opening-a-line",
         "question-answered"],
)
def test_lower_case_sentence_starts(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_negation_stops_at_a_lower_case_sentence(pipeline: Pipeline) -> None:
    text = "s/p resection of meningioma.\nno residual tumour.\nold lacunar infarct, rt. thalamus."
    result = pipeline.extract(Report("t", text, "brain_mri"))
    assert result.findings_json() == {"stroke_infarction": []}


def test_an_inline_history_line_ends_at_its_full_stop(pipeline: Pipeline) -> None:
    text = "Hx) lung ca. brain mets s/p GKS.\nno new lesion. treated left parietal lesion, smaller."
    result = pipeline.extract(Report("t", text, "brain_mri"))
    assert result.findings_json() == {"metastasis": ["improvement"]}
