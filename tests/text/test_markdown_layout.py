"""Markdown as layout (omop_nlp/text/layout.py): bold, italic, heading and quote marks and rules are blanks, a table
row reads as a line whose first cell heads the others, a dash cell says nothing, and struck draft text keeps its
words (the annotator withdraws what it names: tests/entities/test_struck_draft.py). Own sentences."""

from __future__ import annotations

from mention_asserts import findings

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.layout import layout_view, struck_spans

TABLE = ("## Findings\n\n"
         "| Lobe | Finding | Change |\n"
         "| --- | :---: | --- |\n"
         "| RML | — | — |\n"
         "| lingula | ground-glass opacity | new |\n"
         "| LLL | consolidation | — |\n")


def _certainties(pipeline: Pipeline, text: str, modality: str = "chest_ct") -> set[tuple[str, Certainty]]:
    return {(m.key, m.certainty) for m in pipeline.extract(Report("t", text, modality)).mentions}


def test_the_view_keeps_length_and_reads_a_row_as_a_headed_line() -> None:
    view = layout_view(TABLE)
    assert len(view) == len(TABLE)
    assert "lingula:  ground-glass opacity,  new." in view
    assert "#" not in view and "| lingula:" in view  # the opening bar stays, as a bullet


def test_a_table_row_gives_its_first_cell_as_the_place(pipeline: Pipeline) -> None:
    assert findings(pipeline, TABLE) == {"consolidation": ["lll"], "ggo": ["lingula"]}


def test_an_organ_row_is_no_header_of_the_rows_below(pipeline: Pipeline) -> None:
    text = ("| Site | Finding |\n| --- | --- |\n| Thyroid | 8 mm nodule |\n| Left upper lobe | 4 mm nodule |\n"
            "| Spleen | cyst |\n| Right lower lobe | consolidation |\n")
    assert findings(pipeline, text) == {"consolidation": ["rll"], "nodule": ["lul"]}


def test_a_dash_cell_denies_nothing_beside_a_finding(pipeline: Pipeline) -> None:
    assert (("consolidation", Certainty.PRESENT)) in _certainties(pipeline, TABLE)


def test_a_zero_or_none_cell_answers_the_row(pipeline: Pipeline) -> None:
    text = "| Item | Result |\n| --- | --- |\n| Microhaemorrhages | 0 |\n| Acute infarcts | none |\n"
    assert findings(pipeline, text, "brain_mri") == {}
    assert {k for k, c in _certainties(pipeline, text, "brain_mri") if c is Certainty.NEGATED} == {
        "hemorrhage_vascular", "stroke_infarction"}


def test_a_bold_label_answered_with_a_denial_is_denied(pipeline: Pipeline) -> None:
    text = "### Lungs\n**Consolidation:** No consolidation or collapse.\n**Effusion:** None.\n"
    assert findings(pipeline, text) == {}


def test_a_bold_place_label_still_heads_its_line(pipeline: Pipeline) -> None:
    text = "**Left lower lobe:** Patchy consolidation, new since the last scan.\n"
    assert findings(pipeline, text) == {"consolidation": ["lll"]}


def test_a_quote_and_its_list_read_as_plain_lines(pipeline: Pipeline) -> None:
    text = "> **Summary**\n> - Right upper lobe nodule, 5 mm\n> - No effusion\n"
    assert findings(pipeline, text) == {"nodule": ["rul"]}


def test_a_ruler_of_asterisks_in_a_legacy_header_is_no_bold_mark() -> None:
    assert layout_view("*** FINAL ***\nNo effusion.") == "*** FINAL ***\nNo effusion."


def test_struck_spans_find_only_closed_struck_text() -> None:
    text = "- ~~Mild effusion~~ none. Approx ~3 mm."
    assert struck_spans(text) == [(2, 19)]
    assert struck_spans("no struck text here") == []


def test_no_long_blank_line_is_made_of_a_row_of_bars() -> None:
    bars = "|" * 3000 + "\nNo effusion.\n"
    assert layout_view(bars) == bars  # a separator-like row stays as it is
