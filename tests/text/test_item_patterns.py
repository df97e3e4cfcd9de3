"""The words of a detection tool's numbered items (sections.yaml item_references) and the clause of an offset."""

from __future__ import annotations

import re

import pytest

from omop_nlp.text.sections import load_section_rules
from omop_nlp.text.sentences import Span, clause_at


@pytest.mark.parametrize(("line", "number"), [
    ("1) 7 mm nodule", "1"), ("  (2) pleural plaque", "2"), ("3. Consolidation", "3"), ("#4 atelectasis", "4"),
    ("Item 5: effusion", "5"), ("CAD mark 6 - nodule", "6"), ("Triage finding #7: bleed", "7"),
    ("1.5 cm mass in the RUL", None), ("Findings: clear lungs", None),
])  # fmt: skip
def test_the_line_that_opens_an_item_gives_its_number(line: str, number: str | None) -> None:
    match = load_section_rules().item_line.match(line)
    assert (match and (match.group("n") or match.group("h") or match.group("w"))) == number


@pytest.mark.parametrize(("text", "numbers"), [
    ("Item 2: disagree", [["2"]]), ("Finding #3 is a vessel", [["3"]]), ("Marks 1 and 4 confirmed", [["1", "4"]]),
    ("#2 rejected; item 5 accepted", [["2"], ["5"]]), ("an item 9 mm across", []), ("the findings 2 weeks ago", []),
])  # fmt: skip
def test_a_reference_names_items_by_number(text: str, numbers: list[list[str]]) -> None:
    found = load_section_rules().item_reference.finditer(text)
    assert [re.findall(r"\d+", m.group(0)) for m in found] == numbers


def test_the_clause_of_an_offset_ends_at_semicolons() -> None:
    text = "Nodule seen; item 2 rejected; effusion."
    assert clause_at(text, Span(0, len(text)), text.index("item")) == (12, 28)
    assert clause_at(text, Span(0, len(text)), 0) == (0, 11)
