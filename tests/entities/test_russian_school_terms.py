"""The finding words of Russian-school English (guideline section 2 and 3 key tables; corpus choices of `rus`):
a lung "focus" is a nodule unless it is a focus of another key's finding, "infiltration" and "infiltrative
changes" are consolidation (an "infiltrate" names no key), "frosted glass" is ground glass, "pneumofibrosis" is
fibrosis, a "central / peripheral cancer" is a lung mass, "split pleura" and "asbestos plaques" are pleural
thickening, "hypoventilation of" a named segment or lobe is atelectasis (a basal hypoventilation names no key), and
a focus of a "Th" vertebra is a bone's; in the brain "MTS" and "secondary lesions" are metastasis and
"postischemic cyst-glial changes" a chronic infarct. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"


@pytest.mark.parametrize(("modality", "text", "expected"), [
    (CT, "In S3 of the right lung a solid focus of 6 mm.", {"nodule": ["rul"]}),
    (CT, "Multiple foci in both lower lobes, up to 5 mm.", {"nodule": ["bll"]}),
    (CT, "A small focus of consolidation in the left lower lobe.", {"consolidation": ["lll"]}),
    (CT, "Foci of ground glass in the right upper lobe.", {"ggo": ["rul"]}),
    (CT, "In the liver a hypodense focus of 12 mm.", {}),
    (CT, "In S9 of the left lung a zone of infiltration with air bronchograms.", {"consolidation": ["lll"]}),
    (CT, "Infiltrative changes in the middle lobe.", {"consolidation": ["rml"]}),
    (CT, "Fatty infiltration of the liver.", {}),
    (CT, "Areas of frosted glass in both lower lobes.", {"ggo": ["bll"]}),
    (CT, "Basal segments of both lungs - pneumofibrosis.", {"fibrosis": ["bll"]}),
    (CT, "Peripheral cancer of the left upper lobe, 34 mm.", {"mass": ["lul"]}),
    (CT, "Empyema on the left with split pleura.", {"pleural_thickening": []}),
    (CT, "Hypoventilation of S5 of the right lung.", {"atelectasis": ["rml"]}),
    (CT, "Slight basal hypoventilation on both sides.", {}),
    (CT, "Asbestos plaques along the lateral chest wall on the left.", {"pleural_thickening": []}),
    (CT, "In the body of Th10 a sclerotic focus of 4 mm.", {}),
    (CT, "Th8 - focus of sclerosis 6 mm.", {}),
    (MR, "Melanoma, MTS in the right cerebellar hemisphere.", {"metastasis": []}),
    (MR, "Secondary lesions in both cerebellar hemispheres, up to 9 mm.", {"metastasis": []}),
    (MR, "Postischemic cyst-glial changes of the left occipital lobe.", {"stroke_infarction": []}),
])  # fmt: skip
def test_russian_school_terms(pipeline: Pipeline, modality: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, modality) == expected

