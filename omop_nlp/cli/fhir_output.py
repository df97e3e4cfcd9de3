"""The FHIR sink that the --fhir-* options ask for: opened before a command's notes, closed after."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer
import yaml

from omop_nlp.cli.options import FhirOutputOptions
from omop_nlp.errors import FhirConfigError

_SINK_SETTINGS = ("dead_letter", "batch_size", "max_retries", "timeout", "breaker_failures")


def open_fhir_sink(nlp_system: str, request: FhirOutputOptions, *, resumable: bool = False):
    """The FhirSink for these options, or None when no FHIR output was asked for; ``resumable`` (``run``)
    continues the NDJSON files in --fhir-out and reports each note's delivery to the ledger."""
    if not request.wanted:
        return None
    from omop_nlp.sinks.fhir.sink import FhirSink

    options, settings = fhir_options(nlp_system, request)
    try:
        return FhirSink(options, out_dir=request.fhir_out, url=request.server.fhir_url,
                        token_env=request.server.token_env, append=resumable, track_delivery=resumable,
                        **{k: v for k, v in settings.items() if k in _SINK_SETTINGS})  # fmt: skip
    except (FhirConfigError, OSError, TypeError) as exc:
        raise FhirConfigError(f"FHIR output: {exc}") from None


def fhir_options(nlp_system: str, request: FhirOutputOptions):
    """The builder's options (the --fhir-* flags and --fhir-config's identifier systems) and the config's settings."""
    from omop_nlp.sinks.fhir.builder import FhirOptions

    settings = _read_config(request.fhir_config)
    option_names = {f.name for f in fields(FhirOptions)} - {"nlp_system", "nlp_version", "create_documents", "absent"}
    unknown = set(settings) - option_names - set(_SINK_SETTINGS)
    if unknown:
        raise FhirConfigError(f"{request.fhir_config}: unknown FHIR setting(s): {', '.join(sorted(unknown))}")
    options = FhirOptions(nlp_system=nlp_system, create_documents=request.fhir_create_documents,
                          absent=request.fhir_absent, **{k: v for k, v in settings.items() if k in option_names})
    return options, settings


def _read_config(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FhirConfigError(f"cannot read FHIR config {path}: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise FhirConfigError(f"{path}: expected a mapping of FHIR settings")
    return data


def close_fhir_sink(sink, err: bool = False) -> None:
    """Flush and close (again: closing is idempotent); print what was built, sent and not sent
    (to stderr with ``err``, when stdout carries data). Exit 1 when something was not sent."""
    if sink is None:
        return
    summary = sink.close()
    resources = ", ".join(f"{n} {t}" for t, n in sorted(summary.resources.items())) or "none"
    skipped = ", ".join(f"{n} {r}" for r, n in sorted(summary.skipped.items())) or "none"
    typer.echo(f"FHIR: {summary.notes} note(s), resources: {resources}; skipped: {skipped}", err=err)
    if summary.sent or summary.failed:
        typer.echo(f"FHIR server: {summary.sent} sent, {summary.failed} not sent, {summary.retries} retries", err=err)
    if summary.circuit_open:
        typer.secho("FHIR server: it failed too many requests in a row (breaker_failures): the remaining "
                    "resources went straight to the dead-letter file", err=True, fg=typer.colors.YELLOW)
    if summary.failed:
        typer.secho(f"FHIR: {summary.failed} resource(s) not sent are in {summary.dead_letter}; "
                    "send them with `omop-nlp fhir-resend`", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(1)
