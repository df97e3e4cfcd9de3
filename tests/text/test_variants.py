"""Word variants follow from the lexicon by the rules of mappings/variants.yaml (issue 13 item 5).

Sentences written for this file.
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.rules.variants import VariantRules, load_variant_rules
from omop_nlp.text.tokens import tokenize
from omop_nlp.text.variants import variants


def test_rules_generate_joined_and_other_spellings() -> None:
    rules = VariantRules(join_hyphenated=True, join_spaced_max_length=12, spellings=[("tumour", "tumor")])
    assert variants(rules, "ground-glass opacity") == ["ground-glass opacity", "groundglass opacity"]
    assert "groundglass" in variants(rules, "ground glass")
    assert "pleuraleffusion" not in variants(rules, "pleural effusion")  # long words stay apart
    assert variants(rules, "lung tumor") == ["lung tumor", "lungtumor", "lung tumour", "lungtumour"]
    assert variants(rules, "Tumour")[-1] == "tumor"
    assert variants(rules, "흉막 비후") == ["흉막 비후"]  # Hangul is read with or without spaces


def test_dotted_abbreviation_is_one_word() -> None:
    assert [t.lemma for t in tokenize("R.U.L. and l.l.l.")] == ["rul", "and", "lll"]
    assert [t.lemma for t in tokenize("Rt. base")] == ["rt", ".", "base"]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


CASES = [
    ("joined", "chest_ct", "Faint groundglass attenuation in the left upper lobe.", {"ggo": ["lul"]}),
    ("joined-plural", "chest_ct", "Groundglass opacities in both lower lobes.", {"ggo": ["bll"]}),
    ("dotted-lobe", "chest_ct", "Stable R.M.L. nodule.", {"nodule": ["rml"]}),
    ("adjective-with-generic-noun", "chest_ct", "Consolidative density in the LLL.", {"consolidation": ["lll"]}),
    ("adjective-with-other-noun", "chest_ct", "Atelectatic band at the right base.", {"atelectasis": ["rll"]}),
    ("british-spelling", "brain_mri", "Few small ischaemic lesions in the pons.", {"stroke_infarction": []}),
]


@pytest.mark.parametrize(("name", "modality", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_variants_in_reports(pipeline: Pipeline, name: str, modality: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


def test_shipped_rules_load() -> None:
    rules = load_variant_rules()
    assert rules.join_hyphenated and ("haem", "hem") in rules.spellings
