"""The JSON schema of a stage-2 answer per modality, and the validation every answer passes."""

from __future__ import annotations

import json

import pytest

from omop_nlp.relations.llm.schema import InvalidAnswer, answer_schema, parse_answer, relatable_keys
from omop_nlp.rules import load_rules

CHEST_LESIONS = ["nodule", "ggo", "consolidation", "atelectasis", "fibrosis", "bronchiectasis", "mass",
                 "bronchial_wall_thickening", "interstitial_thickening"]  # fmt: skip
CHEST_LOCATIONS = ["rul", "rml", "rll", "lul", "lll", "lingula", "bul", "bll", "right_lung", "left_lung", "pleura"]


def test_chest_ct_schema_enumerates_only_valid_keys():
    rules = load_rules("chest_ct")
    assert relatable_keys(rules) == CHEST_LESIONS  # the nine lesions of the paper; no effusion/pleural thickening
    full = answer_schema(rules)
    assert list(full["properties"]) == CHEST_LESIONS
    assert full["required"] == [] and full["additionalProperties"] is False
    for spec in full["properties"].values():
        assert spec["type"] == "array"
        assert spec["items"] == {"type": "string", "enum": CHEST_LOCATIONS}
        assert spec["maxItems"] == len(CHEST_LOCATIONS)
    note = answer_schema(rules, ["nodule", "atelectasis"])
    assert list(note["properties"]) == ["nodule", "atelectasis"]
    assert note["required"] == ["nodule", "atelectasis"]
    with pytest.raises(ValueError, match="pleural_effusion"):
        answer_schema(rules, ["pleural_effusion"])


def test_brain_mri_schema_enumerates_only_valid_keys():
    rules = load_rules("brain_mri")
    assert relatable_keys(rules) == ["glioma", "lymphoma", "metastasis"]  # malignant tumors only
    note = answer_schema(rules, ["metastasis"])
    assert note == {
        "type": "object",
        "properties": {"metastasis": {"type": "array", "items": {"type": "string",
                                      "enum": ["progression", "stable", "improvement"]}, "maxItems": 3}},
        "required": ["metastasis"],
        "additionalProperties": False,
    }  # fmt: skip
    for not_related in ("non_malignant_tumor", "stroke_infarction", "progression"):
        with pytest.raises(ValueError):
            answer_schema(rules, [not_related])
    json.dumps(note)  # sent as is in response_format


def test_valid_answers_are_read_sorted_and_unique():
    chest = load_rules("chest_ct")
    answer = parse_answer('{"nodule": ["rul", "lll", "rul"], "atelectasis": []}', chest, ["nodule", "atelectasis"])
    assert answer == {"nodule": ["lll", "rul"], "atelectasis": []}
    fenced = '```json\n{"metastasis": ["progression", "improvement"]}\n```'
    assert parse_answer(fenced, load_rules("brain_mri"), ["metastasis"]) == {
        "metastasis": ["improvement", "progression"]}


@pytest.mark.parametrize("content, why", [
    (None, "empty"),
    ("", "empty"),
    ("nodule: rul", "not JSON"),
    ('{"nodule": ["rul"]', "not JSON"),
    ('["rul"]', "expected an object"),
    ('{"nodule": "rul", "atelectasis": []}', "expected a list"),
    ('{"nodule": ["right upper lobe"], "atelectasis": []}', "not one of the valid keys"),
    ('{"nodule": [1], "atelectasis": []}', "not one of the valid keys"),
    ('{"nodule": ["rul"]}', "missing key"),
    ('{"nodule": ["rul"], "atelectasis": [], "ggo": ["rul"]}', "not asked for"),
    ('{"nodule": ["rul", "rul", "rul", "rul", "rul", "rul", "rul", "rul", "rul", "rul", "rul", "rul"], '
     '"atelectasis": []}', "more than 11"),
])  # fmt: skip
def test_invalid_answers_are_refused_without_echoing_them(content, why):
    with pytest.raises(InvalidAnswer, match=why) as info:
        parse_answer(content, load_rules("chest_ct"), ["nodule", "atelectasis"])
    assert "right upper lobe" not in str(info.value)  # messages never carry the model's (or the note's) text
