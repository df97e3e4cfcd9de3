"""A study, registry or form named by the finding it follows ("nodule follow-up", "metastasis tracking") names the
known finding it is about, as an indication line does: historical, not stated by this examination (corpus style
`dsr`). Reports written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("modality", "text", "key"), [
    pytest.param("chest_ct", "PULMONARY NODULE SURVEILLANCE - annual form\nLungs clear.", "nodule", id="surveillance"),
    pytest.param("chest_ct", "Ground-glass nodule SR, follow-up 3\nNo abnormality.", "ggo", id="sr"),
    pytest.param("chest_ct", "Bronchiectasis registry, CT visit 2\nNormal lungs.", "bronchiectasis", id="registry"),
    pytest.param("brain_mri", "Brain metastasis tracking, visit 4\nNo abnormality.", "metastasis", id="tracking"),
    pytest.param("chest_ct", "CT CHEST: consolidation follow-up\nLungs are clear.", "consolidation", id="follow-up"),
])  # fmt: skip
def test_a_study_topic_is_historical(pipeline: Pipeline, modality: str, text: str, key: str) -> None:
    result = pipeline.extract(Report("t", text, modality))
    assert [m.certainty for m in result.mentions if m.key == key] == [Certainty.HISTORICAL]


def test_a_brain_tumour_under_tracking_counts_as_known_disease(pipeline: Pipeline) -> None:
    """Brain malignant tumours count when historical (known disease under follow-up)."""
    result = pipeline.extract(Report("t", "Glioblastoma follow-up study.\nStable appearance.", "brain_mri"))
    assert "glioma" in result.findings_json()


def test_chest_topic_of_the_study_is_no_finding(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", "Lung nodule surveillance CT.\nLungs clear.", "chest_ct"))
    assert result.findings_json() == {}

