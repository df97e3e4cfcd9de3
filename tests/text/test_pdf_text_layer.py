"""Reports that reached the chart through a PDF's text layer: ligature characters and soft hyphens inside words
(omop_nlp/text/tokens.py); a two-column page read straight across, put back in reading order
(omop_nlp/text/columns.py) while every mention still gives the note's offsets; running page headers and footers, and
words split at a line end (omop_nlp/text/layout.py); an aside that opens a line (omop_nlp/text/sentences.py). Own
sentences."""

from __future__ import annotations

from dataclasses import replace

from mention_asserts import findings

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.columns import reading_order
from omop_nlp.text.layout import layout_view
from omop_nlp.text.sections import load_section_rules
from omop_nlp.text.sentences import split_sentences
from omop_nlp.text.tokens import tokenize

# the left column's sentences run on below the right column's words, as the extractor read them
TWO_COLUMNS = ("CT THORAX\n"
               "FINDINGS                                  INDICATION\n"
               "A 9 mm nodule sits in the left            Known sarcoidosis, breathless.\n"
               "upper lobe. There is no                   TECHNIQUE\n"
               "consolidation. No pleural                 Thin sections, no contrast.\n"
               "effusion.\n"
               "IMPRESSION\n"
               "Left upper lobe nodule.\n")


def test_ligatures_and_soft_hyphens_read_as_the_plain_word() -> None:
    lemmas = [t.lemma for t in tokenize("mild \ufb01brotic change, small e\ufb00usion, patchy consoli\u00addation")]
    assert lemmas == ["mild", "fibrotic", "change", ",", "small", "effusion", ",", "patchy", "consolidation"]


def test_a_typeset_report_with_ligatures_gives_its_findings(pipeline: Pipeline) -> None:
    text = "Findings: Basal \ufb01brosis in both lower lobes. No pleural e\ufb00usion.\n"
    assert findings(pipeline, text) == {"fibrosis": ["bll"]}


def test_the_right_column_is_read_before_the_left_column_each_in_its_lines() -> None:
    order = reading_order(TWO_COLUMNS)
    assert order is not None and len(order.text) == len(TWO_COLUMNS)
    lines = [line.strip() for line in order.text.splitlines()]
    assert lines[1:5] == ["INDICATION", "Known sarcoidosis, breathless.", "TECHNIQUE", "Thin sections, no contrast."]
    assert lines[5:10] == ["FINDINGS", "A 9 mm nodule sits in the left", "upper lobe. There is no",
                           "consolidation. No pleural", "effusion."]
    start, in_note = order.text.index("sarcoidosis"), TWO_COLUMNS.index("sarcoidosis")
    assert order.note_span(start, start + 11) == (in_note, in_note + 11)
    assert order.text_span(in_note, in_note + 11) == (start, start + 11)


def test_a_one_column_report_has_no_reading_order_of_its_own() -> None:
    assert reading_order("FINDINGS:    No nodule.\nIMPRESSION:   Normal CT.\n") is None
    assert reading_order("FINDINGS\nNo nodule.\n") is None


def test_a_sentence_cut_by_the_other_column_is_read_whole(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", TWO_COLUMNS, "chest_ct"))
    assert result.findings_json() == {"nodule": ["lul"]}
    negated = {m.key for m in result.mentions if m.certainty is Certainty.NEGATED}
    assert negated == {"consolidation", "pleural_effusion"}
    for mention in result.mentions:
        if "\n" not in mention.text:  # a mention on one line of a column is the same words in the note
            assert TWO_COLUMNS[mention.start : mention.end] == mention.text


def test_stored_mentions_read_as_extract_read_them(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", TWO_COLUMNS, "chest_ct"))
    engine = pipeline.engines["chest_ct"]
    stored = [replace(m, sentence=-1) for m in result.mentions]  # NOTE_NLP rows keep offsets, not sentences
    findings_again = engine.stored_findings(TWO_COLUMNS, stored)
    assert {k: f.related for k, f in findings_again.items()} == {"nodule": ["lul"]}
    assert [(m.start, m.end) for m in stored] == [(m.start, m.end) for m in result.mentions]


# a portal download: the page break falls inside a sentence and a word, the next page repeats the letterhead
PAGED = ("Riverside Clinic Imaging - Portal Copy\n"
         "CT chest without contrast.\n"
         "Findings: Small right pleu-\n"
         "ral effusion. A 4 mm nodule in the left lower lobe has re-\n"
         "solved. There is no consoli-\n"
         "Riverside Clinic Imaging - Portal Copy (continued)\n"
         "Printed 01/02/2026 | Page 2 of 2\n"
         "dation.\n")


def test_a_word_split_at_a_line_end_in_mixed_case_text_is_one_word() -> None:
    view = layout_view("Moderate pleu-\nral effusion, un-\n  changed.\n")
    assert [t.lemma for t in tokenize(view)][:6] == ["moderate", "pleural", "effusion", ",", "unchanged", "."]


def test_a_line_end_dash_before_a_capital_or_after_a_blank_joins_nothing() -> None:
    text = "Pleural effusion -\nNodule in the RUL.\nLung-\nRADS 2.\n"
    assert layout_view(text) == text


def test_running_headers_and_page_numbers_are_layout() -> None:
    view = layout_view(PAGED)
    assert len(view) == len(PAGED)
    assert "Page 2" not in view and "(continued)" not in view
    assert view.startswith("Riverside Clinic Imaging - Portal Copy\n")  # the letterhead itself stays


def test_a_sentence_cut_by_a_page_break_is_read_whole(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", PAGED, "chest_ct"))
    assert result.findings_json() == {"pleural_effusion": []}  # the nodule has resolved
    assert {m.key for m in result.mentions if m.certainty is Certainty.NEGATED} == {"consolidation"}


def test_an_aside_that_opens_a_line_goes_on_with_the_sentence_before_it() -> None:
    text = "Spiculated nodule in the right upper lobe\n(series 4, image 80), suspicious\nfor cancer.\n(1) Next item.\n"
    spans = split_sentences(text, 0, len(text))
    assert [text[s.start : s.end].count("\n") for s in spans] == [2, 0]  # a numbered item still starts its own


def test_a_line_between_a_history_line_and_the_comparison_is_history(pipeline: Pipeline) -> None:
    text = ("Clinical history: Breathless, known asthma.\n"
            "Old right lower lobe pneumonia with a parapneumonic effusion in 2019.\n"
            "Comparison: none.\n"
            "Findings: Clear lungs. Small left pleural effusion.\n")
    assert [s.kind for s in load_section_rules().split(text)] == ["history", "comparison", "findings"]
    assert findings(pipeline, text) == {"pleural_effusion": []}


def test_a_line_below_a_history_line_with_no_findings_header_after_it_stays_findings() -> None:
    text = "History: cough.\nSmall left pleural effusion.\nImpression: effusion.\n"
    assert [s.kind for s in load_section_rules().split(text)][:2] == ["history", "findings"]


def test_a_form_feed_and_no_break_spaces_are_blanks_to_headers_and_sentences() -> None:
    text = "Findings: 5\u00a0mm nodule in the RUL.\u00a0No effusion.\n\fIMPRESSION:\nRUL nodule.\n"
    view = layout_view(text)
    sections = load_section_rules().split(view)
    assert [s.name for s in sections] == ["findings", "impression"]
    assert len(split_sentences(view, sections[0].start, sections[0].end)) == 2
