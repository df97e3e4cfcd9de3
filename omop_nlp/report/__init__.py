"""The offline HTML report of a run (``omop-nlp report``): needs the ``[report]`` extra (spaCy, plotly)."""

from __future__ import annotations

from pathlib import Path

from omop_nlp.report.notes import ReportInputError, Selection

__all__ = ["ReportInputError", "Selection", "build_report"]


def build_report(selection: Selection, *, predictions: Path | None = None, input_path: Path | None = None,
                 cdm: str | None = None, cdm_schema: str | None = None, results_schema: str | None = None,
                 nlp_system: str | None = None) -> tuple[str, int]:  # fmt: skip
    """The report's HTML and the number of notes given a page, from extract output or a CDM."""
    import plotly  # noqa: F401  (fails here, not half-way, without the [report] extra)
    import spacy  # noqa: F401

    from omop_nlp.report.page import render_report

    if cdm is not None:
        from omop_nlp.report.from_cdm import load_cdm

        data = load_cdm(cdm, cdm_schema, results_schema, nlp_system, selection)
    else:
        from omop_nlp.report.from_jsonl import load_jsonl

        data = load_jsonl(predictions, input_path, selection)
    return render_report(data), len(data.notes)
