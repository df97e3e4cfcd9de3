"""A label that dismisses the list after it ("Considered less likely: lymphoma or metastasis") and the bronchial
walls named as a field answered "thickened" (mappings: `unlikely` forward triggers with a colon, bronchial wall
thickening terms). Own sentences."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


def _certainties(pipeline: Pipeline, text: str, modality: str) -> dict[str, Certainty]:
    return {m.key: m.certainty for m in pipeline.extract(Report("t", text, modality)).mentions}


def test_a_less_likely_label_dismisses_its_list(pipeline: Pipeline) -> None:
    text = "Most likely: tumefactive demyelination.\nConsidered less likely: high-grade glioma or lymphoma.\n"
    said = _certainties(pipeline, text, "brain_mri")
    assert said["glioma"] is Certainty.UNLIKELY and said["lymphoma"] is Certainty.UNLIKELY


def test_a_diagnosis_called_less_likely_before_a_colon_stays_dismissed(pipeline: Pipeline) -> None:
    said = _certainties(pipeline, "Abscess is less likely: the wall is thick and irregular.\n", "brain_mri")
    assert said["infection_inflammation"] is Certainty.UNLIKELY


def test_bronchial_walls_answered_thickened_name_the_finding(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", "Bronchial walls: thickened in the left lower lobe.\n", "chest_ct"))
    assert result.findings_json() == {"bronchial_wall_thickening": ["lll"]}
