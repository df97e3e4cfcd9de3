"""A Markdown table whose header names a finding per column (omop_nlp/text/layout.py ``table_columns``, the
annotator's cell findings): each cell states its column's finding at the row's place, as its own words say
("absent" denies it, a grade states it), and the header itself states nothing. Own sentences."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.layout import table_columns

GRID = ("| Region | Consolidation | Effusion | Change |\n"
        "| --- | --- | --- | --- |\n"
        "| Right lower lobe | patchy | absent | new |\n"
        "| Left lower lobe | — | — | — |\n"
        "| Left upper lobe | dense | small | worse |\n")


def _result(pipeline: Pipeline, text: str, modality: str = "chest_ct"):
    return pipeline.extract(Report("t", text, modality))


def test_table_columns_pair_each_cell_with_its_header() -> None:
    said = [(GRID[h[0]:h[1]], GRID[c[0]:c[1]]) for h, c in table_columns(GRID)]
    assert ("Consolidation", "patchy") in said and ("Effusion", "absent") in said
    assert all(cell != "—" for _, cell in said)  # a dash cell says nothing
    assert all(header != "Region" for header, _ in said)  # the first column is the row's place


def test_a_cell_states_its_column_finding_at_the_row_place(pipeline: Pipeline) -> None:
    assert _result(pipeline, GRID).findings_json() == {"consolidation": ["lul", "rll"],
                                                       "pleural_effusion": []}


def test_an_absent_cell_denies_its_own_column_only(pipeline: Pipeline) -> None:
    mentions = _result(pipeline, GRID).mentions
    assert ("pleural_effusion", Certainty.NEGATED) in {(m.key, m.certainty) for m in mentions}
    assert {m.certainty for m in mentions if m.key == "consolidation"} == {Certainty.PRESENT}


def test_a_header_that_names_no_finding_lends_nothing(pipeline: Pipeline) -> None:
    text = ("| Lobe | Finding | Size |\n| --- | --- | --- |\n| RUL | solid nodule | 5 mm |\n"
            "| RML | — | — |\n")
    assert _result(pipeline, text).findings_json() == {"nodule": ["rul"]}


def test_a_table_without_its_separator_row_is_no_grid() -> None:
    assert table_columns("| Zone | Consolidation |\n| Right lower lobe | patchy |\n") == []


def test_a_count_of_none_in_a_cell_denies_and_a_count_states(pipeline: Pipeline) -> None:
    text = "| Side | Nodules | Effusion |\n| --- | --- | --- |\n| Right lung | 0 | none |\n| Left lung | 3 | trace |\n"
    mentions = _result(pipeline, text).mentions
    assert [(m.key, m.certainty) for m in mentions if m.key == "nodule"] == [
        ("nodule", Certainty.NEGATED), ("nodule", Certainty.PRESENT)]
    assert _result(pipeline, text).findings_json() == {"nodule": ["left_lung"], "pleural_effusion": []}


def test_the_same_finding_named_outside_the_table_keeps_its_own_mention(pipeline: Pipeline) -> None:
    text = "Consolidation in the right upper lobe.\n\n" + GRID
    assert _result(pipeline, text).findings_json()["consolidation"] == ["lul", "rll", "rul"]
