"""Places in structured reports and registry forms (corpus style `dsr`): a form's lobe field on the line below the
finding's field places that finding, as an SR's site item does; a size that doubled names no side. Reports written
for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("COHORT FORM\nAirway disease (Y/N): Y\nBronchiectasis (Y/N): Y\nLobes involved: LLL, RML\n",
                 {"bronchiectasis": ["lll", "rml"]}, id="lobes-involved-field"),
    pytest.param("Consolidation (Y/N): Y\nLobe involved: lingula\n", {"consolidation": ["lingula"]},
                 id="one-lobe-field"),
    pytest.param("Item list\n  Finding = Ground-glass opacity\n  Target site = Upper lobe of right lung\n",
                 {"ggo": ["rul"]}, id="target-site-item"),
    pytest.param("The left lower lobe nodule has doubled in size since the last scan.", {"nodule": ["lll"]},
                 id="doubled-is-no-side"),
    pytest.param("Solid component of the right upper lobe nodule has more than doubled.", {"nodule": ["rul"]},
                 id="more-than-doubled"),
    pytest.param("Scattered nodules in double lung.", {"nodule": ["left_lung", "right_lung"]},
                 id="double-lung-still-both"),
])  # fmt: skip
def test_places_of_structured_forms(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
