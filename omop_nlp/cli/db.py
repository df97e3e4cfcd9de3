"""Database commands: init-db, run, unload. They only parse options and print; the work is in omop/."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from omop_nlp.build import build_pipeline
from omop_nlp.cli.app import app, fail
from omop_nlp.cli.fhir_output import close_fhir_sink, open_fhir_sink
from omop_nlp.cli.options import (
    CdmWriteOptions,
    ConnectionOptions,
    FhirOutputOptions,
    NoteSelectionOptions,
    PipelineOptions,
    grouped,
)
from omop_nlp.errors import DatabaseError
from omop_nlp.omop.connection import check_schema_name, make_engine, mask_url, short_reason


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
    """A driver's error becomes a ``DatabaseError``: one line (password masked), never a traceback."""
    try:
        yield
    except DBAPIError as exc:
        raise DatabaseError(f"database error: {short_reason(exc)}") from None


@app.command("init-db")
@grouped
def init_db(
    connection: ConnectionOptions,
    url: Annotated[str | None, typer.Argument(help="database URL (or --cdm); a sqlite:/// file is created if missing",
                                              show_default=False)] = None,
    schema: Annotated[str | None, typer.Option("--schema", hidden=True, help="old name of --cdm-schema")] = None,
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

    url = url or connection.url
    if schema is not None:
        typer.secho("warning: --schema is deprecated, use --cdm-schema", err=True, fg=typer.colors.YELLOW)
    with database_errors():
        engine = make_engine(url, create=True)
        try:
            dialect = engine.dialect.name
            cdm = check_schema_name(connection.cdm_schema or schema, dialect)
            results = check_schema_name(connection.results_schema, dialect)
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


@app.command()
@grouped
def run(
    connection: ConnectionOptions,
    pipeline: PipelineOptions,
    fhir: FhirOutputOptions,
    notes: NoteSelectionOptions,
    writing: CdmWriteOptions,
    workers: Annotated[int | None, typer.Option(
        min=1, max=256, help="worker processes that read, extract and write batches (default: the usable cores; "
                             "1 with an LLM mapper)")] = None,
    allow_skips: Annotated[
        bool, typer.Option(help="exit 0 even when notes were skipped (empty, too long...) or failed")
    ] = False,
    progress: Annotated[bool | None, typer.Option(help="progress bar (default: when stderr is a terminal)")] = None,
) -> None:
    """Run the pipeline over the NOTE table and write NOTE_NLP rows (idempotent, resumable)."""
    from omop_nlp.engines.cdm import RunOptions, run_cdm
    from omop_nlp.parallel import usable_cores
    from omop_nlp.signals import graceful_stop

    url = connection.url
    config = pipeline.config()
    filters = notes.filter()
    options = RunOptions(
        cdm_schema=connection.cdm_schema, results_schema=connection.results_schema, filters=filters,
        batch_size=writing.batch_size, reprocess=writing.reprocess, cdm_facts=writing.cdm_facts, pipeline=config,
        workers=workers or (1 if config.llm is not None else usable_cores()),
        progress=sys.stderr.isatty() if progress is None else progress,
    )  # fmt: skip
    if config.llm is not None and options.workers > 1:
        fail("--workers > 1 is for the rule mapper; with an LLM the server batches the notes (--llm-concurrency)")
    show_warnings()
    nlp = build_pipeline(config)
    # append: a resumed run continues the NDJSON files of the run it resumes
    sink = open_fhir_sink(nlp.nlp_system, fhir, resumable=True)
    try:
        with database_errors(), graceful_stop() as stop:
            summary = run_cdm(url, options, pipeline=nlp, sink=sink, stop=stop)
    finally:  # what was built before an error or a second Ctrl-C is still written or dead-lettered
        if sink is not None:
            sink.close()
    for line in summary.lines():
        typer.echo(line)
    if nlp.relation_refiner is not None:
        typer.echo(nlp.relation_refiner.summary_line())
    if sink is not None and summary.skipped.get("already_done"):
        typer.secho(f"FHIR: {summary.skipped['already_done']} note(s) already done were not rebuilt; "
                    "use --reprocess to send them too", err=True, fg=typer.colors.YELLOW)
    close_fhir_sink(sink)
    if stop.requested:
        raise typer.Exit(stop.exit_code)
    if summary.problems and not allow_skips:
        typer.secho(f"error: {sum(summary.problems.values())} note(s) skipped or failed (see above): exit 1; "
                    "--allow-skips accepts them", err=True, fg=typer.colors.RED)
        raise typer.Exit(1)


@app.command()
@grouped
def unload(
    connection: ConnectionOptions,
    nlp_system: Annotated[str, typer.Option("--nlp-system", help="exact nlp_system value, as `run` printed it")],
) -> None:
    """Remove every NOTE_NLP row, CDM fact and ledger entry one nlp_system wrote."""
    from omop_nlp.engines.cdm import unload as unload_system

    if not nlp_system.strip():
        fail("--nlp-system must not be empty")
    with database_errors():
        counts = unload_system(connection.url, nlp_system, cdm_schema=connection.cdm_schema,
                               results_schema=connection.results_schema)  # fmt: skip
    removed = ", ".join(f"{table} {n}" for table, n in sorted(counts.items())) or "nothing"
    typer.echo(f"unload {nlp_system!r}: removed {removed}")
    if not any(counts.values()):
        typer.secho("nothing was written by that nlp_system: check the exact value `run` printed "
                    "(SELECT DISTINCT nlp_system FROM note_nlp)", err=True, fg=typer.colors.YELLOW)
