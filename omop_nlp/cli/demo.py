"""`omop-nlp demo`: the whole pipeline on the bundled sample notes, in an embedded CDM."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.cli.fhir_output import close_fhir_sink, open_fhir_sink
from omop_nlp.cli.options import FhirOutputOptions
from omop_nlp.model import Result


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--workdir", help="where the demo CDM and FHIR files go")] = Path(
        "demo-output"
    ),
) -> None:
    """Build an embedded (SQLite) CDM with sample notes, run the pipeline, write NOTE_NLP rows and FHIR NDJSON."""
    from omop_nlp.build import build_pipeline
    from omop_nlp.engines.cdm import RunOptions, run_cdm
    from omop_nlp.omop.demo_db import create_demo_cdm

    try:
        workdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create {workdir}: {exc.strerror}")
    url = create_demo_cdm(workdir / "cdm.sqlite")
    fhir_dir = workdir / "fhir"
    pipeline = build_pipeline()
    fhir = open_fhir_sink(pipeline.nlp_system, FhirOutputOptions(fhir_out=fhir_dir, fhir_create_documents=True))
    per_key: Counter[str] = Counter()

    def on_result(result: Result) -> None:
        per_key.update(f"{result.modality}:{key}" for key in result.findings)
        fhir.write(result)

    summary = run_cdm(url, RunOptions(cdm_facts=True), on_result=on_result, pipeline=pipeline)
    for line in summary.lines():
        typer.echo(line)
    typer.echo("present findings per key:")
    for key, count in sorted(per_key.items()):
        typer.echo(f"  {key:<40} {count}")
    close_fhir_sink(fhir)
    typer.echo(f"CDM database (NOTE, NOTE_NLP, CONDITION_OCCURRENCE...): {workdir / 'cdm.sqlite'}")
    typer.echo(f"FHIR NDJSON: {fhir_dir}/")
