"""Upper-case reports hard-wrapped at a fixed width (legacy RIS exports, faxed outside reports): a line that stops
on a word no sentence ends with goes on below; a line-per-finding list keeps its lines apart. Own sentences."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.sentences import split_sentences


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text, 0, len(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("MILD EMPHYSEMA. NO\nPNEUMOTHORAX.", ["MILD EMPHYSEMA.", "NO\nPNEUMOTHORAX."]),
    ("BAND OF SCARRING IN THE\nLINGULA.", ["BAND OF SCARRING IN THE\nLINGULA."]),
    ("SMALL NODULE AND\nA SECOND ONE BESIDE IT.", ["SMALL NODULE AND\nA SECOND ONE BESIDE IT."]),
    ("NO PNEUMOTHORAX\nNODULE IN THE LEFT UPPER LOBE", ["NO PNEUMOTHORAX", "NODULE IN THE LEFT UPPER LOBE"]),
    ("No effusion. No\nNodule seen today.", ["No effusion.", "No", "Nodule seen today."]),
])  # fmt: skip
def test_hard_wrapped_upper_case_lines(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_a_wrapped_denial_denies_below(pipeline: Pipeline) -> None:
    text = "FINDINGS: RIGHT LOWER LOBE CONSOLIDATION. NO\nPLEURAL EFFUSION. SUBSEGMENTAL ATELECTASIS AT\nTHE LEFT BASE."
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == {
        "consolidation": ["rll"], "atelectasis": ["lll"]}


def test_not_supported_dismisses(pipeline: Pipeline) -> None:
    text = "Impression: Small vessel change. Demyelination is not supported."
    assert set(pipeline.extract(Report("t", text, "brain_mri")).findings_json()) == set()
