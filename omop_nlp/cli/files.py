"""Commands that work on files, with no database: extract, evaluate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, check_modality, fail
from omop_nlp.cli.bert import BertDirs, BertThreads, bert_factory, with_bert
from omop_nlp.cli.fhir_options import (
    FhirAbsent,
    FhirConfig,
    FhirDocuments,
    FhirOut,
    FhirRequest,
    FhirTokenEnv,
    FhirUrl,
    close_fhir_sink,
    open_fhir_sink,
)
from omop_nlp.cli.llm_options import (
    LlmApiKeyEnv,
    LlmBackend,
    LlmConcurrency,
    LlmModel,
    LlmUrl,
    Mapper,
    llm_relation_mapper,
    mapper_summary_line,
)
from omop_nlp.cli.work_options import DEFAULT_NOTE_TIMEOUT_S, NoteTimeout, note_timeout_seconds
from omop_nlp.errors import NoteSkipped
from omop_nlp.evaluate import evaluate_files, format_table
from omop_nlp.evaluate_errors import format_errors, scoring_errors
from omop_nlp.jsonl import STDIN, JsonlError
from omop_nlp.parallel import extract_in_workers
from omop_nlp.pipeline import Pipeline
from omop_nlp.relations.llm.config import DEFAULT_CONCURRENCY
from omop_nlp.rules import MODALITIES
from omop_nlp.sources.jsonl import read_reports

ModalityOption = Annotated[
    str, typer.Option("--modality", "-m", help=f"auto (detect from title and text) or one of: {', '.join(MODALITIES)}")
]


@app.command()
def extract(
    input: Annotated[str, typer.Argument(help="JSONL with id, text and optional modality/title; '-' reads stdin")],
    output: Annotated[str, typer.Option("--output", "-o", help="interchange JSONL to write; '-' is stdout")] = "-",
    modality: ModalityOption = "auto",
    no_mentions: Annotated[bool, typer.Option("--no-mentions", help="write only id, modality, findings")] = False,
    fhir_out: FhirOut = None,
    fhir_url: FhirUrl = None,
    fhir_token_env: FhirTokenEnv = None,
    fhir_create_documents: FhirDocuments = False,
    fhir_absent: FhirAbsent = False,
    fhir_config: FhirConfig = None,
    mapper: Mapper = "rules",
    llm_url: LlmUrl = None,
    llm_model: LlmModel = None,
    llm_api_key_env: LlmApiKeyEnv = None,
    llm_concurrency: LlmConcurrency = DEFAULT_CONCURRENCY,
    llm_backend: LlmBackend = "openai",
    bert: BertDirs = None,
    bert_threads: BertThreads = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help="extraction processes (output order is kept)")] = 1,
    note_timeout: NoteTimeout = DEFAULT_NOTE_TIMEOUT_S,
) -> None:
    """Extract findings from reports in a JSONL file into the guideline's interchange JSONL.

    With --fhir-out/--fhir-url, reports that carry a person_id also become FHIR R4 resources.
    """
    if input != STDIN and not Path(input).is_file():
        fail(f"input file not found: {input}")
    check_modality(modality)
    relations = llm_relation_mapper(mapper, llm_url, llm_model, llm_api_key_env, llm_concurrency, llm_backend)
    if relations is not None and workers > 1:
        fail("--workers > 1 is for the rule mapper; with an LLM the server batches the notes (--llm-concurrency)")
    pipeline = with_bert(Pipeline(modality, relation_mapper=relations), bert, bert_threads)
    pipeline.note_timeout = note_timeout_seconds(note_timeout)
    fhir = open_fhir_sink(pipeline.nlp_system, FhirRequest(fhir_out, fhir_url, fhir_token_env, fhir_create_documents,
                                                           fhir_absent, fhir_config))
    skipped: dict[str, int] = {}

    def on_error(error: JsonlError) -> None:
        skipped["invalid_line"] = skipped.get("invalid_line", 0) + 1
        typer.echo(f"skipped: {error}", err=True)

    written = 0
    out = sys.stdout if output == STDIN else _open_output(output)
    try:
        reports = read_reports(input, on_error)
        results = (extract_in_workers(reports, workers, modality, bert_factory(bert, bert_threads),
                                      note_timeout_seconds(note_timeout))
                   if workers > 1 else pipeline.extract_many(reports))
        for result in results:
            if isinstance(result, NoteSkipped):
                skipped[result.reason] = skipped.get(result.reason, 0) + 1
                typer.echo(f"skipped: report {result.report_id}: {result}", err=True)
                continue
            line = result.as_interchange()
            if no_mentions:
                line.pop("mentions")
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1
            if fhir is not None:
                fhir.write(result)
    finally:
        if out is not sys.stdout:
            out.close()
        if fhir is not None:
            fhir.close()
    summary = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items())) or "none"
    typer.echo(f"extracted {written} report(s); skipped: {summary}", err=True)
    close_fhir_sink(fhir, err=True)
    if (llm_line := mapper_summary_line(pipeline)) is not None:
        typer.echo(llm_line, err=True)


def _open_output(path: str):
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")


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
    try:
        report = evaluate_files(Path(gold), Path(pred))
        found = scoring_errors(Path(gold), Path(pred)) if errors else None
    except JsonlError as exc:
        fail(str(exc))
    if as_json:
        data = report.to_dict()
        if found is not None:
            data["errors"] = [e.to_dict() for e in found]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(format_table(report) + ("" if found is None else "\n" + format_errors(found)))
