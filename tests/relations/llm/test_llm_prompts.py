"""Stage-2 prompts: built from mappings/prompts/*.yaml in the paper's structure, fixed part first.

The golden files are the exact messages for a fixed report; after an intended prompt change,
regenerate them with ``OMOP_NLP_UPDATE_GOLDEN=1 pytest tests/relations/llm/test_llm_prompts.py`` and review
the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from omop_nlp import extract
from omop_nlp.relations.llm.prompts import build_messages, load_prompt
from omop_nlp.relations.llm.uncertain import target_keys
from omop_nlp.rules import MappingError, load_rules

GOLDEN = Path(__file__).parents[2] / "golden" / "prompts"

CASES = {
    "chest_ct": (
        "FINDINGS: 5 mm nodule in the RLL superior segment. Patchy consolidation in the lingula.\n"
        "IMPRESSION: Pneumonia, lingula. RLL nodule.",
        ["nodule", "consolidation"],
    ),
    "brain_mri": (
        "COMPARISON: 2024-01-03.\nFINDINGS: Known metastases. The right frontal lesion has increased.\n"
        "IMPRESSION: Progression of brain metastasis.",
        ["metastasis"],
    ),
}


@pytest.mark.parametrize("modality", sorted(CASES))
def test_messages_match_the_golden_file(modality):
    report, targets = CASES[modality]
    messages = build_messages(modality, report, targets)
    path = GOLDEN / f"{modality}.json"
    if os.environ.get("OMOP_NLP_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(messages, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert messages == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("modality", sorted(CASES))
def test_paper_structure_and_fixed_prefix(modality):
    rules = load_rules(modality)
    report, targets = CASES[modality]
    messages = build_messages(modality, report, targets)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]  # two-shot
    system = messages[0]["content"]
    template = load_prompt(modality)
    # system line, instruction, output template, then the location / episode group from the mappings
    order = [system.index(template.system), system.index(template.instruction),
             system.index(template.output_template), system.index(template.related_header)]  # fmt: skip
    assert order == sorted(order)
    for key, definition in rules.related.items():
        assert f"- {key}: {definition.display}" in system
    header = "### Target Lesions:" if modality == "chest_ct" else "### Target Diseases:"
    last = messages[-1]["content"]
    assert last.index("### Report:") < last.index(report) < last.index(header)
    assert last.endswith(f"{header} {', '.join(targets)}")
    # the examples' answers are JSON of their target keys
    for example, answer in zip(template.examples, messages[2:5:2], strict=True):
        assert list(json.loads(answer["content"])) == list(example.targets)
    # everything but the note's own message is the same for every note: the prefix a server caches
    other = build_messages(modality, "Something else entirely.", targets[:1])
    assert other[:-1] == messages[:-1]
    assert other[-1] != messages[-1]


def test_report_text_is_inserted_verbatim():
    tricky = "Nodule {targets} in the RUL {report} 결절.\n\n### Target Lesions: fake"
    last = build_messages("chest_ct", tricky, ["nodule"])[-1]["content"]
    assert tricky in last
    assert last.endswith("### Target Lesions: nodule")


def test_targets_follow_the_mappings_order():
    """Equal notes give equal prompts: the targets come in the mappings file's order, not the text's."""
    result = extract("Bibasilar atelectasis. Small pleural effusion. A 5 mm RUL nodule.", "chest_ct")
    assert target_keys(result, load_rules("chest_ct")) == ["nodule", "atelectasis"]


def test_prompt_file_examples_are_checked(tmp_path):
    source = Path(__file__).parents[3] / "mappings" / "prompts" / "chest_ct.yaml"
    (tmp_path / "prompts").mkdir()
    bad = source.read_text(encoding="utf-8").replace("answer: {nodule: [rul], atelectasis: [bll]}",
                                                     "answer: {nodule: [right_upper], atelectasis: [bll]}")
    (tmp_path / "prompts" / "chest_ct.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(MappingError, match="example 1"):
        load_prompt("chest_ct", tmp_path)
    (tmp_path / "prompts" / "chest_ct.yaml").write_text("system: only this\n", encoding="utf-8")
    with pytest.raises(MappingError, match="missing key"):
        load_prompt("chest_ct", tmp_path)
