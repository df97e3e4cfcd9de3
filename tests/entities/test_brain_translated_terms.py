"""Brain words of machine-translated reports (corpus README, `mtr` choices): the expected blood products of an
operation (haemosiderin in the resection cavity, "post-surgical") are no `hemorrhage_vascular`, while a bleed into
the cavity still is one; a "softening focus" is an old infarct. Sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Haemosiderin deposits lining the resection cavity, post-operative.", {}, id="lining-the-cavity"),
    pytest.param("Post-surgical hemosiderin along the right frontal craniotomy tract.", {}, id="post-surgical"),
    pytest.param("Little hemosiderin in the cavity, after surgery.", {}, id="in-the-cavity"),
    pytest.param("Acute haemorrhage in the resection cavity.", {"hemorrhage_vascular": []}, id="bleed-in-cavity"),
    pytest.param("Cavernoma of the pons with a hemosiderin rim.", {"hemorrhage_vascular": []}, id="cavernoma-rim"),
])
def test_postoperative_blood_products(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert pipeline.extract(Report(id="t", text=text, modality="brain_mri")).findings_json() == expected


@pytest.mark.parametrize("text", ["Right basal ganglia see softening focus.", "Left occipital softening foci."])
def test_a_softening_focus_is_an_old_infarct(pipeline: Pipeline, text: str) -> None:
    """The Chinese 软化灶 translated word by word is the cavity of an old infarct (corpus README, `chn` and `mtr`)."""
    assert pipeline.extract(Report(id="t", text=text, modality="brain_mri")).findings_json() == {
        "stroke_infarction": []}
