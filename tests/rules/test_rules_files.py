"""Every mappings file is validated at load time: a misspelled key or a wrong type is an error that
names the file, the key path and the line (issue 11: rule files must never fail silently)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from omop_nlp.rules import MappingError, load_rules
from omop_nlp.rules.context import load_context_rules
from omop_nlp.rules.load import read_yaml
from omop_nlp.rules.note_selection import load_note_selection_rules
from omop_nlp.rules.prompts import load_prompt_template
from omop_nlp.rules.routing import load_routing_rules
from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.rules.variants import load_variant_rules

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"

LOADERS = {
    "chest_ct.yaml": lambda base: load_rules("chest_ct", base),
    "brain_mri.yaml": lambda base: load_rules("brain_mri", base),
    "routing.yaml": load_routing_rules,
    "sections.yaml": load_sections_rules,
    "variants.yaml": load_variant_rules,
    "note_selection.yaml": load_note_selection_rules,
    "context_rules/en.yaml": lambda base: load_context_rules("en", base),
    "context_rules/ko.yaml": lambda base: load_context_rules("ko", base),
    "prompts/chest_ct.yaml": lambda base: load_prompt_template("chest_ct", base),
    "prompts/brain_mri.yaml": lambda base: load_prompt_template("brain_mri", base),
}

# file -> (a line as written, the same line misspelled, the key path of the misspelled key).
# relation_gramar: is the issue's example: it used to leave "consolidation and atelectasis in the
# RLL" without its location, silently.
MISSPELLED = {
    "chest_ct.yaml": ("relation_grammar:", "relation_gramar:", "relation_gramar"),
    "brain_mri.yaml": ("  clause_breaks:", "  clause_brakes:", "episode_grammar.clause_brakes"),
    "routing.yaml": ("text_hints:", "text_hint:", "text_hint"),
    "sections.yaml": ("    headers:", "    header:", "sections.findings.header"),
    "variants.yaml": ("join_hyphenated:", "join_hyphenatd:", "join_hyphenatd"),
    "note_selection.yaml": ("  enabled:", "  enabeld:", "text_fallback.enabeld"),
    "context_rules/en.yaml": ("  negated:", "  negatd:", "rules.negatd"),
    "context_rules/ko.yaml": ("max_tokens:", "max_token:", "max_token"),
    "prompts/chest_ct.yaml": ("output_template:", "output_templat:", "output_templat"),
    "prompts/brain_mri.yaml": ("  - report:", "  - reprt:", "examples.0.reprt"),
}

# file -> (a line as written, the same line with a value of the wrong type, the key path)
WRONG_TYPE = {
    "chest_ct.yaml": ("    relates: true", "    relates: [lung]", "entities.nodule.relates"),
    "brain_mri.yaml": ("entity_type: diagnosis", "entity_type: finding", "entity_type"),
    "routing.yaml": ("note_class_concept_ids: {}", "note_class_concept_ids: {chest_ct: [lung]}",
                     "note_class_concept_ids.chest_ct.0"),
    "sections.yaml": ("    kind: comparison", "    kind: {a: b}", "sections.comparison.kind"),
    "variants.yaml": ("join_spaced_max_length:", "join_spaced_max_length: [12] #", "join_spaced_max_length"),
    "note_selection.yaml": ("other_titles: ['discharge',", "other_titles: ['(unclosed',", "other_titles.0"),
    "context_rules/en.yaml": ("max_tokens: {forward: 14,", "max_tokens: {forward: many,", "max_tokens.forward"),
    "context_rules/ko.yaml": ("max_tokens: {forward: 6,", "max_tokens: {forward: [6],", "max_tokens.forward"),
    "prompts/chest_ct.yaml": ("version: 1", "version: [1]", "version"),
    "prompts/brain_mri.yaml": ("related_header:", "related_header: [a]\nunused:", "related_header"),
}


def _edited(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of mappings/ with the first line starting ``old`` of ``name`` changed; that line's number."""
    base = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, base)
    lines = (base / name).read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.startswith(old))
    lines[number] = new + lines[number][len(old):]
    (base / name).write_text("\n".join(lines), encoding="utf-8")
    return base, number + 1


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_mappings_file_loads(name):
    assert LOADERS[name](MAPPINGS) is not None


@pytest.mark.parametrize(("kind", "name"), [*(("misspelled key", n) for n in sorted(MISSPELLED)),
                                            *(("wrong type", n) for n in sorted(WRONG_TYPE))])
def test_a_bad_key_or_value_names_file_key_path_and_line(tmp_path, kind, name):
    old, new, key_path = (MISSPELLED if kind == "misspelled key" else WRONG_TYPE)[name]
    base, line = _edited(tmp_path, name, old, new)
    with pytest.raises(MappingError) as error:
        LOADERS[name](base)
    assert f"{base / name}:{line}: {key_path}:" in str(error.value)


def test_a_missing_key_is_reported_at_its_parent(tmp_path):
    base, line = _edited(tmp_path, "sections.yaml", "    kind: comparison", "    # no kind")
    with pytest.raises(MappingError, match=rf"sections\.yaml:{line - 1}: sections\.comparison\.kind: missing key"):
        load_sections_rules(base)


def test_a_related_key_that_does_not_exist_is_an_error(tmp_path):
    base, _ = _edited(tmp_path, "chest_ct.yaml", "    right: {upper: rul,", "    right: {upper: rul_lobe,")
    with pytest.raises(MappingError, match=r"location_grammar\.compose\.right\.upper: not related keys: rul_lobe"):
        load_rules("chest_ct", base)


def test_an_empty_optional_section_is_a_section_left_out(tmp_path):
    base, _ = _edited(tmp_path, "routing.yaml", "note_class_concept_ids: {}", "note_class_concept_ids:")
    assert load_routing_rules(base).note_class_concept_ids == {}


def test_invalid_yaml_names_the_line(tmp_path):
    base, _ = _edited(tmp_path, "routing.yaml", "text_hints:", "text_hints: [unclosed")
    with pytest.raises(MappingError, match=r"routing\.yaml:\d+: not valid YAML"):
        load_routing_rules(base)


def test_no_on_off_are_words_and_exact_case_terms_are_kept(tmp_path):
    path = tmp_path / "terms.yaml"
    path.write_text("terms: [no, on, off, yes, =MS]\nflag: true\n", encoding="utf-8")
    data, lines = read_yaml(path)
    assert data == {"terms": ["no", "on", "off", "yes", "=MS"], "flag": True}
    assert lines[("terms", 4)] == 1 and lines[("flag",)] == 2


def test_sections_and_words_are_typed_attributes():
    chest = load_rules("chest_ct", MAPPINGS)
    assert "and" in chest.relation_grammar.coordination
    assert chest.related["bll"].expands_to == ["rll", "lll"]
    assert chest.entities["nodule"].key == "nodule"
    brain = load_rules("brain_mri", MAPPINGS)
    assert brain.location_grammar.compose == {}  # a section a modality leaves out is empty
    assert re.fullmatch(r"\d+-\d", brain.document_loinc.code)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  - keys: [ggo, nodule]", "  - keys: [ggo, nodul]", r"two_key_terms\[0\]\.keys: not entity keys: nodul"),
    ("    consolidation: [consolidative,", "    consolidatoin: [consolidative,",
     r"adjective_heads\.adjectives: not entity keys: consolidatoin"),
])
def test_generated_terms_name_entity_keys(tmp_path, old, new, message):
    base, _ = _edited(tmp_path, "chest_ct.yaml", old, new)
    with pytest.raises(MappingError, match=message):
        load_rules("chest_ct", base)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  resection_changes: [resection,", "  resection_changes: [resecton,",
     r"episode_grammar\.resection_changes: not episode terms: resecton"),
    ("  first_exam_changes: [new,", "  first_exam_changes: [neww,",
     r"episode_grammar\.first_exam_changes: not episode terms: neww"),
])
def test_conditional_change_words_must_be_episode_terms(tmp_path, old, new, message):
    base, _ = _edited(tmp_path, "brain_mri.yaml", old, new)
    with pytest.raises(MappingError, match=message):
        load_rules("brain_mri", base)
