"""`omop-nlp report`: the offline HTML report of a run, from extract output or from a CDM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.cli.db import CdmSchema, CdmUrl, ResultsSchema, database_errors
from omop_nlp.jsonl import JsonlError

ReportCdm = Annotated[str | None, CdmUrl.__metadata__[0]]


@app.command()
def report(
    predictions: Annotated[Path | None, typer.Argument(help="extract output (interchange JSONL with mentions)")] = None,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="the JSONL that extract read")] = None,
    cdm: ReportCdm = None,
    cdm_schema: CdmSchema = None,
    results_schema: ResultsSchema = None,
    nlp_system: Annotated[
        str | None, typer.Option("--nlp-system", help="NOTE_NLP rows of this system (default: the latest run)")
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write")] = Path("omop-nlp-report.html"),
    sample: Annotated[int, typer.Option("--sample", min=0, help="notes given a page of their own, at random")] = 200,
    key: Annotated[list[str] | None, typer.Option("--key", help="only notes mentioning this key (repeat)")] = None,
    note_id: Annotated[list[str] | None, typer.Option("--note-id", help="exactly these notes (repeat)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the sample")] = 0,
) -> None:
    """Write a self-contained HTML report: summary, episodes over time, and reviewable notes.

    Summaries count every note; only a sample (or the --key/--note-id filter) gets a page.
    Open it in any browser, offline; a reviewer's corrections download as gold JSONL.
    """
    try:
        from omop_nlp.report import ReportInputError, Selection, build_report
    except ImportError as exc:
        fail(f"the report needs the [report] extra: pip install 'omop-nlp[report]' ({exc.name} is missing)")
    if (predictions is None) == (cdm is None):
        fail("give either extract output (PREDICTIONS --input INPUT) or --cdm URL")
    if predictions is not None and input is None:
        fail("--input is required with extract output: the JSONL that extract read")
    selection = Selection(sample=sample, keys=frozenset(key or ()), note_ids=frozenset(note_id or ()), seed=seed)
    try:
        with database_errors():
            html, notes = build_report(selection, predictions=predictions, input_path=input, cdm=cdm,
                                       cdm_schema=cdm_schema, results_schema=results_schema,
                                       nlp_system=nlp_system)  # fmt: skip
    except (ReportInputError, JsonlError) as exc:
        fail(str(exc))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output} ({len(html.encode()) / 1e6:.1f} MB, {notes} note page(s))", err=True)
