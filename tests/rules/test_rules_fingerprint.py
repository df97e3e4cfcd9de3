"""The rules version in nlp_system follows what the rules say, not how the files are written
(issue 12 item 6: a comment-only edit must not make a new nlp_system)."""

from __future__ import annotations

import shutil
from pathlib import Path

from omop_nlp.rules import rules_fingerprint

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def _copy(tmp_path: Path, name: str) -> Path:
    base = tmp_path / name
    shutil.copytree(MAPPINGS, base)
    return base


def _edit(base: Path, name: str, old: str, new: str) -> None:
    path = base / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_comments_blank_lines_style_and_key_order_keep_the_version(tmp_path):
    original = rules_fingerprint(MAPPINGS)
    base = _copy(tmp_path, "reformatted")
    _edit(base, "chest_ct.yaml", "modality: chest_ct\n", "# a site's note\n\nmodality:   chest_ct   # same\n")
    _edit(base, "sections.yaml", "code: {vocabulary: LOINC, code: 18782-3}",
          'code:\n      code: "18782-3"\n      vocabulary: LOINC')  # block style, keys swapped, quoted
    _edit(base, "context_rules/ko.yaml", "terminate:\n", "terminate:  # 종료\n")
    assert rules_fingerprint(base) == original


def test_any_rule_change_makes_a_new_version(tmp_path):
    original = rules_fingerprint(MAPPINGS)
    changes = [
        ("chest_ct.yaml", "ko: [결절, 소결절, 육아종]", "ko: [결절, 소결절]"),  # a word less
        ("brain_mri.yaml", 'code: "32949"', 'code: "32950"'),  # a code
        ("routing.yaml", "LDCT", "LDCT2"),
        ("context_rules/en.yaml", "backward: 8", "backward: 9"),
        ("prompts/chest_ct.yaml", "You answer with JSON only.", "Answer with JSON only."),
    ]
    seen = {original}
    for number, (name, old, new) in enumerate(changes):
        base = _copy(tmp_path, f"changed{number}")
        _edit(base, name, old, new)
        seen.add(rules_fingerprint(base))
    assert len(seen) == len(changes) + 1
