"""The development corpus under tests/corpus/ is well-formed gold that the evaluator can score.

Every file is ``<style>.<modality>.<split>.jsonl`` (see tests/corpus/README.md). A typo in a key,
a report filed under the wrong modality or split, or an id used twice would silently change the
figures the corpus exists to measure, so each is checked here against the mappings themselves.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
MAPPINGS = ROOT / "mappings"
FILE_NAME = re.compile(r"^(?P<style>[a-z][a-z0-9]*)\.(?P<modality>chest_ct|brain_mri)\.(?P<split>dev|test)\.jsonl$")
REPORT_NUMBER = re.compile(r"-(\d+)$")
FILES = sorted(CORPUS.glob("*.jsonl"))


def _split_of(number: int) -> str:
    """Report n goes to test when n % 5 is 2 or 4, fixed before any engine run on the corpus."""
    return "test" if number % 5 in (2, 4) else "dev"


@cache
def _vocabulary(modality: str) -> tuple[frozenset[str], frozenset[str]]:
    """(entity keys, related keys) as the modality's mapping file defines them."""
    data = yaml.safe_load((MAPPINGS / f"{modality}.yaml").read_text(encoding="utf-8"))
    return frozenset(data["entities"]), frozenset(data["related"])


def _records(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path.name} is empty"
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number}: not a JSON line ({exc.msg})")
        assert isinstance(record, dict), f"{path.name}:{number}: not a JSON object"
        records.append(record)
    return records


def test_corpus_has_files():
    assert FILES, "tests/corpus/ holds no .jsonl file"
    for path in FILES:
        assert FILE_NAME.match(path.name), f"{path.name} is not <style>.<modality>.<split>.jsonl"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_is_valid_gold(path: Path):
    name = FILE_NAME.match(path.name)
    assert name
    entity_keys, related_keys = _vocabulary(name["modality"])
    for record in _records(path):
        rid = record.get("id")
        assert isinstance(rid, str) and rid.startswith(f"{name['style']}-"), f"{path.name}: bad id {rid!r}"
        assert record.get("modality") == name["modality"], f"{rid}: modality differs from the file name"
        assert isinstance(record.get("text"), str) and record["text"].strip(), f"{rid}: no text"
        findings = record.get("findings")
        assert isinstance(findings, dict), f"{rid}: findings is not an object"
        for key, related in findings.items():
            assert key in entity_keys, f"{rid}: unknown entity key {key!r}"
            assert isinstance(related, list), f"{rid}: related keys of {key!r} are not a list"
            unknown = set(related) - related_keys
            assert not unknown, f"{rid}: unknown related keys {sorted(unknown)} of {key!r}"
            assert len(related) == len(set(related)), f"{rid}: repeated related key of {key!r}"
        negated = record.get("negated", [])
        assert isinstance(negated, list), f"{rid}: negated is not a list"
        assert not set(negated) - entity_keys, f"{rid}: unknown negated keys {sorted(set(negated) - entity_keys)}"
        number = REPORT_NUMBER.search(rid)
        assert number, f"{rid}: id does not end in a report number"
        assert _split_of(int(number[1])) == name["split"], f"{rid}: belongs to the {_split_of(int(number[1]))} split"


def test_corpus_ids_are_unique_across_files():
    seen: dict[str, str] = {}
    for path in FILES:
        for record in _records(path):
            assert record["id"] not in seen, f"{record['id']} is in {seen.get(record['id'])} and {path.name}"
            seen[record["id"]] = path.name
