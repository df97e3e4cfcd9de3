"""A finding as another report named it, with that report right after it ('the "nodule" in the outside report',
the `quoted` suffix triggers), or a detection tool's label quoted right after the tool ('the CAD "nodule"', composed
from sections.yaml `outside_readers`): that reader's word, not this examination's finding. Own sentences."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


def _result(pipeline: Pipeline, text: str):
    return pipeline.extract(Report("t", text, "chest_ct"))


def test_a_quoted_finding_of_the_outside_report_is_not_this_reader_s(pipeline: Pipeline) -> None:
    result = _result(pipeline, 'The LUL "nodule" in the outside report is a scar, not a nodule.\n')
    assert "nodule" not in result.findings_json()
    assert {m.certainty for m in result.mentions if m.key == "nodule"} == {Certainty.HISTORICAL, Certainty.NEGATED}


def test_curly_quotes_and_the_draft_count_as_well(pipeline: Pipeline) -> None:
    assert _result(pipeline, "The \u201cconsolidation\u201d in the draft is dependent change.\n").findings_json() == {}


def test_only_the_finding_right_before_the_report_is_that_report_s(pipeline: Pipeline) -> None:
    result = _result(pipeline, "Right lower lobe consolidation, and a nodule on the outside report.\n")
    assert result.findings_json() == {"consolidation": ["rll"]}


def test_a_tool_s_quoted_label_is_the_tool_s_word(pipeline: Pipeline) -> None:
    result = _result(pipeline, 'The CAD "nodule" in the left upper lobe is a vessel seen end on, not a nodule.\n')
    assert result.findings_json() == {}
    assert {m.certainty for m in result.mentions if m.key == "nodule"} == {Certainty.HISTORICAL, Certainty.NEGATED}


def test_a_tool_s_label_in_curly_quotes_and_the_reader_s_own_finding(pipeline: Pipeline) -> None:
    text = "The algorithm \u201cmass\u201d is a lymph node at the hilum. Small nodule in the right lower lobe.\n"
    assert _result(pipeline, text).findings_json() == {"nodule": ["rll"]}
