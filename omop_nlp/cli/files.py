"""Commands that work on files, with no database: extract, evaluate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.build import build_pipeline
from omop_nlp.cli.app import app, fail
from omop_nlp.cli.fhir_output import close_fhir_sink, open_fhir_sink
from omop_nlp.cli.options import FhirOutputOptions, PipelineOptions, grouped
from omop_nlp.engines.files import extract_jsonl
from omop_nlp.evaluate import evaluate_files, format_table
from omop_nlp.evaluate_errors import format_errors, scoring_errors
from omop_nlp.signals import graceful_stop


@app.command()
@grouped
def extract(
    input: Annotated[str, typer.Argument(help="JSONL with id, text and optional modality/title; '-' reads stdin")],
    pipeline: PipelineOptions,
    fhir: FhirOutputOptions,
    output: Annotated[str, typer.Option("--output", "-o", help="interchange JSONL to write; '-' is stdout")] = "-",
    no_mentions: Annotated[bool, typer.Option("--no-mentions", help="write only id, modality, findings")] = False,
    workers: Annotated[int, typer.Option(min=1, max=256, help="extraction processes (output order is kept)")] = 1,
    progress: Annotated[bool | None, typer.Option(help="progress bar (default: when stderr is a terminal)")] = None,
) -> None:
    """Extract findings from reports in a JSONL file into the guideline's interchange JSONL.

    With --fhir-out/--fhir-url, reports that carry a person_id also become FHIR R4 resources.
    SIGTERM or Ctrl-C stops it cleanly: the reports done are written (whole lines), exit 143 / 130.
    """
    if pipeline.llm.mapper != "rules" and workers > 1:
        fail("--workers > 1 is for the rule mapper; with an LLM the server batches the notes (--llm-concurrency)")
    nlp = build_pipeline(pipeline.config())
    sink = open_fhir_sink(nlp.nlp_system, fhir)
    try:
        with graceful_stop() as stop:
            summary = extract_jsonl(input, output, nlp, mentions=not no_mentions, workers=workers,
                                    on_result=sink.write if sink is not None else None, stop=stop,
                                    progress=sys.stderr.isatty() if progress is None else progress,
                                    on_skip=lambda line: typer.echo(f"skipped: {line}", err=True))  # fmt: skip
    finally:
        if sink is not None:
            sink.close()
    typer.echo(summary.line(), err=True)
    close_fhir_sink(sink, err=True)
    if nlp.relation_refiner is not None:
        typer.echo(nlp.relation_refiner.summary_line(), err=True)
    if stop.requested:
        raise typer.Exit(stop.exit_code)


@app.command()
def evaluate(
    gold: Annotated[str, typer.Argument(help="gold interchange JSONL")],
    pred: Annotated[str, typer.Argument(help="predicted interchange JSONL (omop-nlp extract output)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
    errors: Annotated[bool, typer.Option(
        "--errors", help="also list the errors by kind (missed key, extra key, wrong location, wrong episode) "
        "with their sentences; prints report text, for annotated development files only")] = False,
) -> None:
    """Score predictions against gold annotations (guideline section 4)."""
    report = evaluate_files(Path(gold), Path(pred))
    found = scoring_errors(Path(gold), Path(pred)) if errors else None
    if as_json:
        data = report.to_dict()
        if found is not None:
            data["errors"] = [e.to_dict() for e in found]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(format_table(report) + ("" if found is None else "\n" + format_errors(found)))
