"""The --fhir-* options shared by `extract`, `run` and `demo`, and the sink they open."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import fail

FhirOut = Annotated[Path | None, typer.Option("--fhir-out", help="write FHIR R4 Bulk Data NDJSON files here")]
FhirUrl = Annotated[str | None, typer.Option("--fhir-url", help="send transaction Bundles to this FHIR server")]
FhirTokenEnv = Annotated[
    str | None, typer.Option("--fhir-token-env", help="environment variable holding the server's bearer token")
]
FhirDocuments = Annotated[bool, typer.Option("--fhir-create-documents", help="also emit the DocumentReferences")]
FhirAbsent = Annotated[bool, typer.Option("--fhir-absent", help="emit negated findings with value Absent")]


def open_fhir_sink(nlp_system: str, out: Path | None, url: str | None, token_env: str | None,
                   documents: bool, absent: bool):
    """The FhirSink for these options, or None when no FHIR output was asked for."""
    if out is None and url is None:
        return None
    from omop_nlp.sinks.fhir.builder import FhirOptions
    from omop_nlp.sinks.fhir.rest import FhirConfigError
    from omop_nlp.sinks.fhir.sink import FhirSink

    options = FhirOptions(nlp_system=nlp_system, create_documents=documents, absent=absent)
    try:
        return FhirSink(options, out_dir=out, url=url, token_env=token_env)
    except (FhirConfigError, OSError) as exc:
        fail(f"FHIR output: {exc}")


def fhir_summary_line(summary) -> str:
    resources = ", ".join(f"{n} {t}" for t, n in sorted(summary.resources.items())) or "none"
    skipped = ", ".join(f"{n} {r}" for r, n in sorted(summary.skipped.items())) or "none"
    return f"FHIR: {summary.notes} note(s), resources: {resources}; skipped: {skipped}"

