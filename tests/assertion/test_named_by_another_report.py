"""A finding as another report named it, with that report right after it ('the "nodule" in the outside report',
the `quoted` suffix triggers): that reader's word, not this examination's finding. Own sentences."""

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
