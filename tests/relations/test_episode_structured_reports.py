"""Episodes in structured reports (corpus style `dsr`): an empty comparison item is no prior examination. Reports
written for this file."""

from __future__ import annotations

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


def test_an_empty_comparison_item_is_no_prior_examination(pipeline: Pipeline) -> None:
    """"Comparison study = (none)" denies a prior study: a "new" mass on a first examination is no progression."""
    text = "SR export\n> Comparison study = (none)\n> Summary = New left frontal mass, likely glioblastoma."
    assert pipeline.extract(Report("t", text, "brain_mri")).findings_json() == {"glioma": []}
