"""docs/mappings.md is generated from the models, so each section is documented in one place."""

from pathlib import Path

from omop_nlp.rules.docs import render

PAGE = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"


def test_docs_mappings_is_current():
    assert PAGE.read_text(encoding="utf-8") == render(), "run: python -m omop_nlp.rules.docs > docs/mappings.md"


def test_every_section_of_every_file_is_described():
    page = PAGE.read_text(encoding="utf-8")
    assert "| `relation_grammar` |" in page and "| `coordination` |" in page
    assert "| `max_tokens` |" in page and "| `title_patterns` |" in page and "| `examples` |" in page
    for row in (line for line in page.splitlines() if line.startswith("| `")):
        assert not row.rstrip().endswith("|  |"), f"undocumented: {row}"
