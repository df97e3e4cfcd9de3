"""HL7 v2 transport marks (omop_nlp/text/transport.py, read by text/layout.py): segment fields, escapes, ``~``
repetitions and line tags are layout, the view keeps the note's length, and a sentence split over two segments or
wrapped in a tagged export goes on. Own sentences."""

from __future__ import annotations

from mention_asserts import findings

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.layout import layout_view
from omop_nlp.text.transport import transport_view

SEGMENTS = ("OBX|1|TX|71250^CT THORAX^CPT4||FINDINGS:\\.br\\Patchy consolidation in the left lower lobe. There is no"
            "||||||F|||20260101\n"
            "OBX|2|TX|71250^CT THORAX^CPT4||pleural effusion.\\.br\\IMPRESSION:\\.br\\Left lower lobe pneumonia."
            "||||||F|||20260101")


def test_segment_fields_are_blanks_and_the_view_keeps_length() -> None:
    view = layout_view(SEGMENTS)
    assert len(view) == len(SEGMENTS)
    assert "OBX" not in view and "CPT4" not in view and "|" not in view and "20260101" not in view
    assert "\nPatchy consolidation" in view  # the \.br\ escape is a line break
    assert "There is no" in view and " pleural effusion." in view.split("There is no")[1]


def test_a_denial_split_over_two_segments_keeps_its_finding(pipeline: Pipeline) -> None:
    assert findings(pipeline, SEGMENTS) == {"consolidation": ["lll"]}
    result = pipeline.extract(Report("t", SEGMENTS, "chest_ct"))
    for mention in result.mentions:  # offsets index the stored note text
        assert SEGMENTS[mention.start : mention.end] == mention.text


def test_segments_without_report_text_are_blanks() -> None:
    text = ("MSH|^~\\&|RIS|HOSP|EMR|HOSP|202601011200||ORU^R01|77|P|2.3\n"
            "OBR|1||555|71250^CT THORAX^CPT4|||202601011130\n"
            "OBX|1|TX|71250^CT THORAX^CPT4||Small nodule in the right middle lobe.||||||F")
    view = layout_view(text)
    assert view.split("\n")[0].strip() == "" and view.split("\n")[1].strip() == ""
    assert view.split("\n")[2].strip() == "Small nodule in the right middle lobe."


def test_escaped_delimiters_read_as_their_characters() -> None:
    text = "OBX|1|TX|X||Axial T1 \\T\\ T2 images; WBC 9 x10\\S\\9/L; ideas\\F\\notes; T2\\E\\FLAIR.||||||F"
    view = layout_view(text)
    assert "T1  &  T2" in view and "x10 ^ 9/L" in view and "ideas | notes" in view and "T2 \\ FLAIR" in view
    assert len(view) == len(text)


def test_a_carriage_return_escape_is_one_line_break() -> None:
    view = transport_view("IMPRESSION:\\X0D\\\\X0A\\No acute finding.").text
    assert view.count("\n") == 1 and view.endswith("\nNo acute finding.")


def test_repetitions_with_headers_are_line_breaks(pipeline: Pipeline) -> None:
    text = ("CT CHEST~~HISTORY: Cough.~FINDINGS:~Ground-glass opacity in the right upper lobe.~No nodule.~"
            "IMPRESSION:~Mild right upper lobe ground glass.")
    view = layout_view(text)
    assert "~" not in view and "\nFINDINGS:\n" in view
    assert findings(pipeline, text) == {"ggo": ["rul"]}


def test_a_tilde_for_about_or_strike_through_is_text() -> None:
    for text in ("Nodule of ~5 mm in the lingula.\nNo effusion.", "Impression: ~~Small effusion~~ none on review."):
        assert transport_view(text).text == text


def test_a_numbered_export_wrapped_mid_phrase_reads_across_the_wrap(pipeline: Pipeline) -> None:
    text = ("0001 CT CHEST WITHOUT CONTRAST\n"
            "0002 FINDINGS: A small linear band of atelectasis lies at the right base and\n"
            "0003 the remaining lungs are clear. There is no nodule, consolidation or pleural\n"
            "0004 effusion.\n"
            "0005 IMPRESSION: Right basilar atelectasis only.")
    view = layout_view(text)
    assert "0003" not in view and "pleural      effusion" in view.replace("\n", " ")
    assert "\n     IMPRESSION:" in view
    assert findings(pipeline, text) == {"atelectasis": ["rll"]}


def test_tx_tags_are_layout_and_short_lines_keep_their_breaks() -> None:
    text = "TX|FINDINGS:\nTX|Stable left apical scarring\nTX|No effusion"
    view = transport_view(text)
    assert "TX" not in view.text and view.breaks == []  # no tagged line filled a wrap width


def test_a_note_with_an_untagged_line_keeps_its_numbers() -> None:
    text = "2025 CT chest follow-up\nFINDINGS: 4 mm nodule, unchanged."
    assert transport_view(text).text == text
