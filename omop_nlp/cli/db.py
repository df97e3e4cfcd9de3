"""Database commands: init-db, run, unload. They only parse options and print; the work is in omop/."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

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
from omop_nlp.omop.connection import DatabaseError, check_schema_name, make_engine, mask_url, short_reason
from omop_nlp.relations.llm.config import DEFAULT_CONCURRENCY
from omop_nlp.rules import MODALITIES, MappingError
from omop_nlp.sources.omop_notes import DEFAULT_MAX_CHARS, NoteFilter

CdmUrl = Annotated[
    str, typer.Option("--cdm", help="CDM database URL: postgresql://user:pass@host/db or sqlite:///file.db")
]
CdmSchema = Annotated[str | None, typer.Option("--cdm-schema", help="schema of NOTE, CONCEPT and the CDM tables")]
ResultsSchema = Annotated[
    str | None, typer.Option("--results-schema", help="schema of NOTE_NLP and omop-nlp's tables (default: CDM schema)")
]


def _id_list(what: str):
    return Annotated[list[str] | None, typer.Option(help=f"only notes with these {what} (repeat or comma-separate)")]



class _StderrWarnings(logging.Handler):
    """Warnings of the run (missing concepts, failed notes) as ``warning: …`` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


def show_warnings() -> None:
    logger = logging.getLogger("omop_nlp")
    if not any(isinstance(h, _StderrWarnings) for h in logger.handlers):
        logger.addHandler(_StderrWarnings(logging.WARNING))
        logger.setLevel(logging.INFO)


@contextmanager
def database_errors() -> Iterator[None]:
    """Database problems become one line (password masked), never a traceback."""
    try:
        yield
    except DatabaseError as exc:
        fail(str(exc))
    except MappingError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        fail(f"database error: {short_reason(exc)}")


@app.command("init-db")
def init_db(
    url: Annotated[str, typer.Argument(help="database URL; a sqlite:/// file is created if missing")],
    schema: Annotated[str | None, typer.Option("--schema", help="CDM schema (PostgreSQL)")] = None,
    results_schema: ResultsSchema = None,
    local_concepts: Annotated[
        bool, typer.Option(help="add site-local concepts (ids >= 2,000,000,000, vocabulary omop-nlp) for the keys "
                                "the CONCEPT table has no concept for (docs/atlas.md)")
    ] = False,
) -> None:
    """Create the OMOP CDM v5.4 tables omop-nlp reads and writes, and its own tables, where missing.

    An existing CDM table is never altered: no column, no index."""
    from omop_nlp.omop.ddl import CDM_FILES, ensure_tool_tables, execute_ddl
    from omop_nlp.omop.local_concepts import add_local_concepts
    from omop_nlp.omop.tables import cdm_tables

    with database_errors():
        engine = make_engine(url, create=True)
        try:
            dialect = engine.dialect.name
            cdm = check_schema_name(schema, dialect)
            results = check_schema_name(results_schema, dialect)
            count = execute_ddl(engine, CDM_FILES, cdm, results)
            tables = cdm_tables(cdm, results)
            ensure_tool_tables(engine, tables)  # and the columns a later version added to them
            added = add_local_concepts(engine, tables) if local_concepts else []
        finally:
            engine.dispose()
    where = f" (schema {cdm or 'default'}, results {results or cdm or 'default'})" if dialect == "postgresql" else ""
    typer.echo(f"init-db: {count} statements run on {mask_url(engine.url)}{where}")
    if local_concepts:
        typer.echo(f"local concepts: {len(added)} added to CONCEPT (vocabulary omop-nlp)"
                   + "".join(f"\n  {cid} {code}: {name}" for cid, code, name in added))


def _ids(values: list[str] | None, option: str) -> tuple[int, ...]:
    out: list[int] = []
    for value in values or []:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                out.append(int(part))
            except ValueError:
                fail(f"{option}: not an integer: {part.strip()!r}")
    return tuple(out)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not a date (YYYY-MM-DD): {value!r}")


# The note selection options of run and spark-run.
ModalityOption = Annotated[
    str, typer.Option("--modality", "-m", help=f"auto (routing.yaml, then text) or {', '.join(MODALITIES)}")
]
NoteTitle = Annotated[str | None, typer.Option(help="note_title LIKE pattern, case-insensitive")]
DateFrom = Annotated[str | None, typer.Option(help="first note_date, YYYY-MM-DD")]
DateTo = Annotated[str | None, typer.Option(help="last note_date, YYYY-MM-DD")]
NoteLimit = Annotated[int | None, typer.Option(min=1, help="process at most this many notes (lowest note_ids)")]
MaxNoteChars = Annotated[int, typer.Option(min=1, help="longer notes are skipped (too_long)")]


def note_filter(type_ids: list[str] | None, class_ids: list[str] | None, title: str | None, date_from: str | None,
                date_to: str | None, note_ids: list[str] | None, limit: int | None) -> NoteFilter:  # fmt: skip
    return NoteFilter(
        type_concept_ids=_ids(type_ids, "--note-type-concept-id"),
        class_concept_ids=_ids(class_ids, "--note-class-concept-id"),
        title_pattern=title,
        date_from=_date(date_from, "--date-from"),
        date_to=_date(date_to, "--date-to"),
        note_ids=_ids(note_ids, "--note-id"),
        limit=limit,
    )


@app.command()
def run(
    cdm: CdmUrl,
    cdm_schema: CdmSchema = None,
    results_schema: ResultsSchema = None,
    modality: ModalityOption = "auto",
    note_type_concept_id: _id_list("note_type_concept_ids") = None,
    note_class_concept_id: _id_list("note_class_concept_ids") = None,
    note_title: NoteTitle = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    note_id: _id_list("note_ids") = None,
    limit: NoteLimit = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="notes per read and per transaction")] = 200,
    reprocess: Annotated[bool, typer.Option(help="reprocess notes the ledger says are done")] = False,
    cdm_facts: Annotated[
        bool, typer.Option(help="also write CONDITION_OCCURRENCE / OBSERVATION / EPISODE rows for ATLAS")
    ] = False,
    max_note_chars: MaxNoteChars = DEFAULT_MAX_CHARS,
    workers: Annotated[int | None, typer.Option(
        min=1, max=256, help="worker processes that read, extract and write batches (default: the usable cores; "
                             "1 with an LLM mapper)")] = None,
    note_timeout: NoteTimeout = DEFAULT_NOTE_TIMEOUT_S,
    allow_skips: Annotated[
        bool, typer.Option(help="exit 0 even when notes were skipped (empty, too long...) or failed")
    ] = False,
    progress: Annotated[bool | None, typer.Option(help="progress bar (default: when stderr is a terminal)")] = None,
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
) -> None:
    """Run the pipeline over the NOTE table and write NOTE_NLP rows (idempotent, resumable)."""
    from omop_nlp.omop.runner import RunOptions, run_cdm
    from omop_nlp.parallel import usable_cores
    from omop_nlp.signals import graceful_stop

    check_modality(modality)
    filters = note_filter(note_type_concept_id, note_class_concept_id, note_title, date_from, date_to, note_id, limit)
    relations = llm_relation_mapper(mapper, llm_url, llm_model, llm_api_key_env, llm_concurrency, llm_backend)
    if relations is not None and (workers or 1) > 1:
        fail("--workers > 1 is for the rule mapper; with an LLM the server batches the notes (--llm-concurrency)")
    workers = workers or (1 if relations is not None else usable_cores())
    options = RunOptions(
        cdm_schema=cdm_schema, results_schema=results_schema, filters=filters, batch_size=batch_size,
        reprocess=reprocess, cdm_facts=cdm_facts, modality=modality, max_note_chars=max_note_chars,
        workers=workers, progress=sys.stderr.isatty() if progress is None else progress,
        note_timeout=note_timeout_seconds(note_timeout),
    )  # fmt: skip
    show_warnings()
    fhir_request = FhirRequest(fhir_out, fhir_url, fhir_token_env, fhir_create_documents, fhir_absent, fhir_config)
    pipeline = None  # built here when something needs it before the run; the run then reuses it
    if relations is not None or bert or fhir_request.wanted:
        from omop_nlp.pipeline import Pipeline

        pipeline = with_bert(Pipeline(modality, relation_mapper=relations), bert, bert_threads)
    # append: a resumed run continues the NDJSON files of the run it resumes
    fhir = open_fhir_sink(pipeline.nlp_system, fhir_request, resumable=True) if pipeline is not None else None
    try:
        with database_errors(), graceful_stop() as stop:
            summary = run_cdm(cdm, options, sink=fhir, stop=stop,
                              pipeline_factory=(lambda _modality: pipeline) if pipeline is not None and workers == 1
                              else bert_factory(bert, bert_threads))
    finally:  # what was built before an error or a second Ctrl-C is still written or dead-lettered
        if fhir is not None:
            fhir.close()
    for line in summary.lines():
        typer.echo(line)
    if pipeline is not None and (llm_line := mapper_summary_line(pipeline)) is not None:
        typer.echo(llm_line)
    if fhir is not None and summary.skipped.get("already_done"):
        typer.secho(f"FHIR: {summary.skipped['already_done']} note(s) already done were not rebuilt; "
                    "use --reprocess to send them too", err=True, fg=typer.colors.YELLOW)
    close_fhir_sink(fhir)
    if stop.requested:
        raise typer.Exit(stop.exit_code)
    if summary.problems and not allow_skips:
        typer.secho(f"error: {sum(summary.problems.values())} note(s) skipped or failed (see above): exit 1; "
                    "--allow-skips accepts them", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)


@app.command()
def unload(
    cdm: CdmUrl,
    nlp_system: Annotated[str, typer.Option("--nlp-system", help="exact nlp_system value, as `run` printed it")],
    cdm_schema: CdmSchema = None,
    results_schema: ResultsSchema = None,
) -> None:
    """Remove every NOTE_NLP row, CDM fact and ledger entry one nlp_system wrote."""
    from omop_nlp.omop.runner import unload as unload_system

    if not nlp_system.strip():
        fail("--nlp-system must not be empty")
    with database_errors():
        counts = unload_system(cdm, nlp_system, cdm_schema=cdm_schema, results_schema=results_schema)
    removed = ", ".join(f"{table} {n}" for table, n in sorted(counts.items())) or "nothing"
    typer.echo(f"unload {nlp_system!r}: removed {removed}")
    if not any(counts.values()):
        typer.secho("nothing was written by that nlp_system: check the exact value `run` printed "
                    "(SELECT DISTINCT nlp_system FROM note_nlp)", err=True, fg=typer.colors.YELLOW)
