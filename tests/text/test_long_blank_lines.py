"""A line of thousands of blanks (a form's empty field, a padded export) is read like any blank line: the header
patterns of text/sections.py and the sentence boundaries of text/sentences.py try a run of blanks once, not once
per blank it could be split at. Own sentences; no timings here (benchmarks/bench_long_notes.py prints them)."""

from __future__ import annotations

from mention_asserts import findings

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.sections import load_section_rules
from omop_nlp.text.sentences import split_sentences

BLANKS = " \t" * 3000


def _note(*lines: str) -> str:
    return "\n".join(lines)


def test_sections_around_a_long_blank_line() -> None:
    text = _note("FINDINGS:", "Patchy ground glass in the left lower lobe.", BLANKS,
                 "IMPRESSION:", "No pleural fluid.")
    names = [s.name for s in load_section_rules().split(text)]
    assert names == ["findings", "impression"]


def test_a_long_blank_line_between_findings_changes_no_finding(pipeline: Pipeline) -> None:
    text = _note("FINDINGS:", "Patchy ground glass in the left lower lobe.", BLANKS,
                 "1." + BLANKS, "IMPRESSION:", "No pleural effusion.")
    assert findings(pipeline, text) == {"ggo": ["lll"]}
    result = pipeline.extract(Report("t", text, "chest_ct"))
    assert [m.certainty for m in result.mentions if m.key == "pleural_effusion"] == [Certainty.NEGATED]


def test_blanks_inside_a_line_before_a_numbered_item() -> None:
    text = "Two findings:" + BLANKS + "1. Nodule in the right middle lobe." + BLANKS + "2. Trace of fluid" + BLANKS
    spans = split_sentences(text, 0, len(text))
    assert [text[s.start : s.end] for s in spans] == ["Two findings:", "1. Nodule in the right middle lobe.",
                                                      "2. Trace of fluid"]


def test_an_item_line_padded_with_blanks_still_opens_its_item() -> None:
    rules = load_section_rules()
    assert rules.item_line.match("Item" + BLANKS[:40] + "2: nodule").group("w") == "2"
    assert rules.item_line.match("Item" + BLANKS + "note") is None
