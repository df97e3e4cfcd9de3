"""The layout view of legacy RIS exports and faxed reports (omop_nlp/text/layout.py): a report hard-wrapped at a
fixed width reads as its joined sentences, a word split by a hyphen at a wrap as one word, an upper-case line that
stops on a word no sentence ends with goes on below, and fax page headers and footers are layout; the view keeps
the note's length, so mentions index the note. Own sentences."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.layout import layout_view
from omop_nlp.text.sentences import split_sentences
from omop_nlp.text.tokens import tokenize

WRAPPED = ("FINDINGS: A 2 CM SPICULATED MASS SITS IN THE APICAL PART OF THE LEFT\n"
           "UPPER LOBE. LINEAR BANDS OF SCARRING ARE NOTED IN THE POSTERIOR RIGHT\n"
           "LOWER LOBE. THE AIRWAYS ARE CLEAR.\n"
           "IMPRESSION: LEFT UPPER LOBE MASS, SUSPICIOUS FOR A PRIMARY TUMOR.\n")


def test_a_hard_wrapped_report_reads_its_phrases_across_the_wrap(pipeline: Pipeline) -> None:
    assert findings(pipeline, WRAPPED) == {"mass": ["lul"], "fibrosis": ["rll"]}


def test_the_view_keeps_length_and_headers() -> None:
    view = layout_view(WRAPPED)
    assert len(view) == len(WRAPPED)
    assert "LEFT UPPER LOBE. LINEAR" in view.replace("  ", " ")
    assert "\nIMPRESSION:" in view  # a heading after a wrapped line still starts its line


def test_a_hyphen_split_at_a_wrap_is_one_word(pipeline: Pipeline) -> None:
    text = ("FINDINGS: PATCHY AIRSPACE CONSOLI-\nDATION IS SEEN IN THE LEFT LOWER LOBE WITHOUT ANY CAVITY OR\n"
            "ABSCESS FORMATION. THE PLEURAL SPACES ARE CLEAR ON BOTH SIDES AND THE\nHEART IS NORMAL IN SIZE.\n")
    word = [t for t in tokenize(layout_view(text)) if t.lemma == "consolidation"]
    assert [(t.start, t.end) for t in word] == [(text.index("CONSOLI-"), text.index("DATION") + len("DATION"))]
    result = pipeline.extract(Report("t", text, "chest_ct"))
    assert result.findings_json() == {"consolidation": ["lll"]}
    assert [m.text for m in result.mentions if m.key == "consolidation"] == ["AIRSPACE CONSOLI-\nDATION"]


def test_a_page_break_inside_a_denial_keeps_it(pipeline: Pipeline) -> None:
    text = ("Findings: A 5 mm nodule in the right middle lobe is stable. Elsewhere the lungs show no\n"
            "Page 1 of 2\nFAX FROM A COUNTY CLINIC  03/04  10:15\n"
            "pleural effusion or pneumothorax.\nPage 2 of 2\n")
    assert findings(pipeline, text) == {"nodule": ["rml"]}


def test_page_furniture_and_a_bracket_at_a_wrap(pipeline: Pipeline) -> None:
    text = ("FINDINGS: A SOLID 5 MM NODULE SEEN ON THE AXIAL IMAGES (SERIES 2, IMAGE 31)\n"
            "IN THE RIGHT LOWER LOBE IS UNCHANGED IN SIZE. THERE IS NO\n- PAGE 2 -\n"
            "PNEUMOTHORAX AND NO MASS. MILD LINEAR ATELECTASIS AT THE LEFT\n(CONTINUED)\n"
            "BASE, UNCHANGED.\n")
    assert findings(pipeline, text) == {"nodule": ["rll"], "atelectasis": ["lll"]}


def test_an_upper_case_line_per_finding_report_keeps_its_lines() -> None:
    text = "LUNGS:\nSMALL NODULE RIGHT UPPER LOBE\nNO PLEURAL EFFUSION\nMILD EMPHYSEMA\n"
    assert layout_view(text) is text  # short lines: no wrap, nothing to reflow


def test_a_note_without_layout_is_returned_as_is() -> None:
    text = "Findings: No focal consolidation.\nMild dependent atelectasis at both bases.\n"
    assert layout_view(text) is text


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(layout_view(text), 0, len(text))]


@pytest.mark.parametrize(("text", "expected"), [
    ("MILD EMPHYSEMA. NO\nPNEUMOTHORAX.", ["MILD EMPHYSEMA.", "NO\nPNEUMOTHORAX."]),
    ("BAND OF SCARRING IN THE\nLINGULA.", ["BAND OF SCARRING IN THE\nLINGULA."]),
    ("SMALL NODULE AND\nA SECOND ONE BESIDE IT.", ["SMALL NODULE AND\nA SECOND ONE BESIDE IT."]),
    ("NO PNEUMOTHORAX\nNODULE IN THE LEFT UPPER LOBE", ["NO PNEUMOTHORAX", "NODULE IN THE LEFT UPPER LOBE"]),
    ("No effusion. No\nNodule seen today.", ["No effusion.", "No", "Nodule seen today."]),
    ("TRACE FLUID AND\n\nA CALCIFIED GRANULOMA.", ["TRACE FLUID AND", "A CALCIFIED GRANULOMA."]),
])  # fmt: skip
def test_an_upper_case_line_stopping_on_a_continuing_word_goes_on(text: str, expected: list[str]) -> None:
    assert _sentences(text) == expected


def test_a_continued_line_keeps_the_header_below_and_reads_past_its_own() -> None:
    text = "Findings: NO\nEFFUSION. SCARRING AT THE\nIMPRESSION: STABLE.\n"
    view = layout_view(text)
    assert view.startswith("Findings: NO EFFUSION.")  # the header is not the line's case
    assert "THE\nIMPRESSION:" in view  # a line break before a header ends its section


def test_a_history_line_stopping_on_a_continuing_word_still_ends_there() -> None:
    text = "HISTORY: COUGH AND\nNODULE IN THE LEFT LOWER LOBE.\n"
    assert layout_view(text) is text


def test_a_wrapped_denial_denies_below(pipeline: Pipeline) -> None:
    text = "FINDINGS: RIGHT LOWER LOBE CONSOLIDATION. NO\nPLEURAL EFFUSION. SUBSEGMENTAL ATELECTASIS AT\nTHE LEFT BASE."
    assert findings(pipeline, text) == {"consolidation": ["rll"], "atelectasis": ["lll"]}
