"""Findings of mentions read back from storage (``ModalityEngine.stored_findings``): NOTE_NLP keeps a mention's
offsets, not its sentence, and the CDM review report must still find what extract found.

Each report is written for this file.
"""

from __future__ import annotations

import dataclasses

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

REPORTS = [
    pytest.param("brain_mri",
                 "Clinical history: Breast cancer with brain metastases treated by radiosurgery two years ago.\n"
                 "Findings: The parafalcine meningioma has grown slightly since the last study.\n"
                 "Impression: 1. Slowly enlarging parafalcine meningioma. 2. No evidence of metastatic disease.",
                 id="impression-denies-the-history-while-another-sentence-states-a-change"),
    pytest.param("chest_ct",
                 "Findings: Possible consolidation in the left lower lobe.\n"
                 "The right upper lobe opacity is scarring; consolidation is unlikely.",
                 id="a-dismissal-stays-in-its-own-sentence"),
    pytest.param("chest_ct",
                 "Findings: Small right pleural effusion. Mild atelectasis of the left lower lobe.\n"
                 "Addendum: the pleural effusion reported above was dictated in error; there is none.",
                 id="a-correcting-addendum-withdraws-a-finding"),
]  # fmt: skip


@pytest.mark.parametrize(("modality", "text"), REPORTS)
def test_stored_mentions_give_the_findings_extract_gave(pipeline: Pipeline, modality: str, text: str) -> None:
    result = pipeline.extract(Report(id="t", text=text, modality=modality))
    stored = [dataclasses.replace(m, sentence=0) for m in result.mentions]  # as rebuilt from NOTE_NLP rows
    findings = pipeline.engines[modality].stored_findings(text, stored)
    assert {k: f.related for k, f in findings.items()} == result.findings_json()
    assert [m.sentence for m in stored] == [m.sentence for m in result.mentions]


@pytest.mark.parametrize(("modality", "text"), REPORTS)
def test_the_outline_splits_sentences_as_the_annotator_does(pipeline: Pipeline, modality: str, text: str) -> None:
    annotator = pipeline.engines[modality].annotator
    outline, annotated = annotator.outline(text), annotator.annotate(text)
    assert outline.text == annotated.text and outline.tokens == annotated.tokens
    assert [dataclasses.replace(s, items=[]) for s in annotated.sentences] == outline.sentences
    assert len(outline.sentences) >= 2 and not any(s.items for s in outline.sentences)
