"""A table exported without outer bars or a separator row (corpus style `dsr`, an SR viewer's texture table; ``table_
columns`` of omop_nlp/text/layout.py): the first row is the header where it holds no number, and each cell states its
column's finding at the row's place, a "0 %" cell denying it. Own sentences."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.layout import table_columns

BARE = ("Texture analysis:\n"
        "  Zone | Emphysema | Ground-glass | Consolidation\n"
        "  Upper lobes, both | 12 % | 0 % | absent\n"
        "  Lower lobes, both | 3 % | absent | absent\n")


def test_a_bare_table_pairs_each_cell_with_its_header() -> None:
    said = [(BARE[h[0]:h[1]], BARE[c[0]:c[1]]) for h, c in table_columns(BARE)]
    assert ("Ground-glass", "0 %") in said and ("Consolidation", "absent") in said
    assert all(header != "Zone" for header, _ in said)


def test_a_bare_header_states_nothing_and_zero_percent_denies(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", BARE, "chest_ct"))
    assert "ggo" not in result.findings_json() and "consolidation" not in result.findings_json()
    assert {m.key for m in result.mentions if m.certainty is Certainty.NEGATED} >= {"ggo", "consolidation"}


def test_a_first_row_with_numbers_is_data_not_a_header() -> None:
    rows = "Targets:\n1 | LLL mass | 30 mm\n2 | Left adrenal nodule | 12 mm\n"
    assert table_columns(rows) == []
