"""Reports written as one paragraph, or with a measurement opening a line (issue 13, rural and locum writers).

A history-like header inside a run-on line scopes its own sentence: no line break ends it, and the findings
follow in the same paragraph. A line that ends with a full stop ends its sentence even when the next line
opens with a number ("2.4 cm mass ...").
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.sections import load_section_rules
from omop_nlp.text.sentences import split_sentences


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end].strip(), s.kind) for s in load_section_rules().split(text)]


def test_an_inline_history_header_scopes_its_sentence_in_a_run_on_report() -> None:
    text = "CT THORAX. Clinical history: cough and weight loss. Patchy opacity at the left base."
    assert _kinds(text) == [("CT THORAX.", "findings"), ("cough and weight loss.", "history"),
                            ("Patchy opacity at the left base.", "findings")]


@pytest.mark.parametrize("text", [
    # a header that opens its line scopes the whole line, as a line-per-part writer means it
    "Indication: chronic cough. ? bronchiectasis.\nFindings: clear lungs.",
    # another header on the same line ends the history part where it stands
    "CT chest. Indication: smoker. ? mass. Findings: clear lungs.",
])
def test_a_history_part_keeps_its_other_sentences(text: str) -> None:
    kinds = _kinds(text)
    assert ("? bronchiectasis." in kinds[0][0] or "? mass." in kinds[1][0]) and kinds[-1][1] == "findings"


def test_findings_after_a_run_on_history_sentence_count(pipeline: Pipeline) -> None:
    text = "CT chest without contrast. Hx: fever. Consolidation of the left lower lobe. Small left effusion."
    result = pipeline.extract(Report("t", text, "chest_ct"))
    assert result.findings_json() == {"consolidation": ["lll"], "pleural_effusion": []}


def test_a_line_ending_in_a_full_stop_ends_before_a_measurement() -> None:
    text = "No comparison available.\n2.4 cm mass in the left upper lobe."
    assert [text[s.start : s.end] for s in split_sentences(text, 0, len(text))] == [
        "No comparison available.", "2.4 cm mass in the left upper lobe."]


def test_a_wrapped_measurement_still_continues_its_line() -> None:
    text = "Spiculated nodule measuring\n1.8 cm in the right upper lobe."
    assert len(split_sentences(text, 0, len(text))) == 1


def test_a_denial_before_a_line_break_spares_the_measured_finding(pipeline: Pipeline) -> None:
    text = "Reason: ?mass. No priors.\n3 cm mass in the right upper lobe."
    result = pipeline.extract(Report("t", text, "chest_ct"))
    assert result.findings_json() == {"mass": ["rul"]}
