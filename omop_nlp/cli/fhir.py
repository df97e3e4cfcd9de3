"""`omop-nlp fhir-resend`: the FHIR sink's own command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.cli.fhir_options import FhirTokenEnv


@app.command("fhir-resend")
def fhir_resend(
    dead_letter: Annotated[Path, typer.Argument(help="dead-letter NDJSON written by a failed send")],
    fhir_url: Annotated[str, typer.Option("--fhir-url", help="the FHIR server to send to")],
    fhir_token_env: FhirTokenEnv = None,
) -> None:
    """Send a FHIR dead-letter file again; what still fails stays in the file."""
    from omop_nlp.sinks.fhir.rest import FhirConfigError, resend_dead_letter

    if not dead_letter.is_file():
        fail(f"dead-letter file not found: {dead_letter}")
    try:
        stats = resend_dead_letter(dead_letter, fhir_url, token_env=fhir_token_env)
    except FhirConfigError as exc:
        fail(f"FHIR output: {exc}")
    typer.echo(f"resent {stats.sent} resource(s) in {stats.batches} batch(es); still failing: {stats.failed}")
    if stats.unreadable:
        lines = ", ".join(str(n) for n in stats.unreadable)
        typer.secho(f"{dead_letter}: line(s) {lines} are not FHIR resources (cut short by a crash?): not sent, "
                    "kept in the file", err=True, fg=typer.colors.YELLOW)
    if stats.failed or stats.unreadable:
        raise typer.Exit(1)
