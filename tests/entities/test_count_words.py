"""A side word that counts the findings after it places none of them: "both nodules" are two nodules, each where
the report put it, while "bilateral nodules" and "nodules in both lungs" lie in both lungs (location_grammar
count_words). Each case is a report written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("A 5 mm nodule in the RML and a 4 mm nodule in the LUL. Both nodules are calcified.",
                     {"nodule": ["lul", "rml"]}, id="both-counts"),
        pytest.param("Two nodules, RUL and lingula. Both accepted nodules are unchanged.",
                     {"nodule": ["lingula", "rul"]}, id="a-word-between"),
        pytest.param("Both of the nodules are stable.", {"nodule": []}, id="both-of-the"),
        pytest.param("Bilateral nodules.", {"nodule": ["left_lung", "right_lung"]}, id="bilateral-places"),
        pytest.param("Nodules in both lungs.", {"nodule": ["left_lung", "right_lung"]}, id="both-lungs-places"),
        pytest.param("Nodules in both lower lobes.", {"nodule": ["bll"]}, id="both-with-a-zone"),
    ],
)
def test_a_count_word_places_no_finding(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
