"""Brain MRI diagnosis words beyond the first lexicon (issue 13): abbreviations by case, plain
words for a haemorrhage, and diagnoses of each key that outside writers use. Sentences written here."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Relapsing MS. Two new juxtacortical plaques.", {"demyelinating": []}),
        ("DWI b1000, TE 90 ms. Normal brain.", {}),
        ("Small acute bleed in the right caudate.", {"hemorrhage_vascular": []}),
        ("Left transverse sinus and cortical vein thrombosis.", {"hemorrhage_vascular": []}),
        ("Asymmetric white matter lesions without mass effect, compatible with PML.", {"infection_inflammation": []}),
        ("Fourth ventricular mass, probably a subependymoma.", {"non_malignant_tumor": []}),
        ("Ring lesion, most likely a pyogenic abcess.", {"infection_inflammation": []}),
        ("Nodular enhancement of the cauda, suspicious for leptomeningeal disease.", {"metastasis": []}),
        ("first study two enhancing meta stases in the right cerebellum", {"metastasis": []}),
        ("Solitary cerebellar metastasis containing intralesional blood products.",
         {"metastasis": [], "hemorrhage_vascular": []}),
        ("Two small calcified granulomas in the right frontal lobe, sequelae of old NCC.",
         {"infection_inflammation": []}),
        ("Head MRI, stroke protocol. Diffusion is normal. No acute infarct.", {}),
        ("Code stroke called from the ward. Normal brain.", {}),
        ("Acute infarct in the left insula. Result phoned to the stroke team.", {"stroke_infarction": []}),
        # translated Chinese templates
        ("Right cerebellopontine angle occupying lesion, neurilemmoma considered.", {"non_malignant_tumor": []}),
        ("Enlarged sella with a pituitary tumor, optic chiasm lifted.", {"non_malignant_tumor": []}),
        ("Patchy white matter demyelination changes beside both lateral ventricles.", {}),
        ("Periventricular demyelinating plaques, multiple sclerosis considered.", {"demyelinating": []}),
        # WHO grade 1 astrocytomas are benign tumours, not gliomas (corpus choice, ped)
        ("Cystic cerebellar pilocytic astrocytoma with an enhancing mural nodule.", {"non_malignant_tumor": []}),
        ("Subependymal giant cell astrocytoma at the foramen of Monro.", {"non_malignant_tumor": []}),
        # plain words for the patient: the nerves' coating inflamed is demyelination, not an infection
        ("The patches look like inflammation of the nerve coating, as in MS.", {"demyelinating": []}),
        # a patient summary's plain words: the myelin's inflammation is no infection, "a growth" no change
        ("These patches are damage to the protective coating of the nerves.", {"demyelinating": []}),
        ("It looks like inflammation of the coating of the nerves rather than a tumour.", {"demyelinating": []}),
        ("First scan. A glioblastoma is likely: we found a growth in the left temporal lobe.", {"glioma": []}),
        ("Migraine with aura as a stroke mimic. Diffusion is normal.", {}),
    ],
    ids=["MS-upper-case", "ms-milliseconds", "bleed", "cortical-vein", "PML", "subependymoma", "abcess",
         "leptomeningeal-disease", "dictated-split-word", "intralesional-blood-products", "calcified-granulomas",
         "stroke-protocol", "code-stroke", "stroke-team", "neurilemmoma", "pituitary-tumor",
         "white-matter-demyelination-changes", "demyelinating-plaques-stay", "pilocytic-astrocytoma", "sega",
         "plain-nerve-coating", "nerve-coating-damage", "nerve-coating-inflammation",
         "a-growth-is-no-change", "stroke-mimic"],
)
def test_brain_diagnosis_words(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "brain_mri")).findings_json() == expected
