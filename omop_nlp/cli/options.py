"""The options the commands share, defined once, as small typed groups (dbt-core style).

A group is a frozen dataclass whose fields are Typer options; a command takes the group as one
parameter (``llm: LlmOptions``) and ``@grouped`` spreads its fields into the command line and
packs them back into the object. Connection settings also come from environment variables
(``OMOP_NLP_CDM`` ...), so a password or a token never has to be on the command line.

To add an option to every command that takes a group, add a field to the group.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.budget import DEFAULT_NOTE_TIMEOUT_S
from omop_nlp.config import MAX_NOTE_CHARS, MODALITY_CHOICES, BertModels, PipelineConfig
from omop_nlp.errors import UsageError
from omop_nlp.relations.llm.config import (
    BACKENDS,
    DEFAULT_API_KEY_ENV,
    DEFAULT_CONCURRENCY,
    MODES,
    LlmConfig,
    llm_api_key,
)
from omop_nlp.sources.omop_notes import NoteFilter

CDM_ENV = "OMOP_NLP_CDM"
CDM_SCHEMA_ENV = "OMOP_NLP_CDM_SCHEMA"
RESULTS_SCHEMA_ENV = "OMOP_NLP_RESULTS_SCHEMA"
LLM_URL_ENV = "OMOP_NLP_LLM_URL"
LLM_MODEL_ENV = "OMOP_NLP_LLM_MODEL"
FHIR_URL_ENV = "OMOP_NLP_FHIR_URL"
FHIR_TOKEN_ENV = "OMOP_NLP_FHIR_TOKEN"


class OptionGroup:
    """Base of the option groups: ``@grouped`` recognises a command parameter by this type."""


@dataclass(frozen=True)
class ConnectionOptions(OptionGroup):
    """Where the CDM is: ``--cdm`` (or $OMOP_NLP_CDM) and its schemas."""

    cdm: Annotated[str | None, typer.Option(
        "--cdm", envvar=CDM_ENV, show_envvar=True,
        help="CDM database URL: postgresql://user:pass@host/db or sqlite:///file.db")] = None  # fmt: skip
    cdm_schema: Annotated[str | None, typer.Option(
        "--cdm-schema", envvar=CDM_SCHEMA_ENV, show_envvar=True,
        help="schema of NOTE, CONCEPT and the CDM tables (PostgreSQL)")] = None  # fmt: skip
    results_schema: Annotated[str | None, typer.Option(
        "--results-schema", envvar=RESULTS_SCHEMA_ENV, show_envvar=True,
        help="schema of NOTE_NLP and omop-nlp's tables (default: the CDM schema)")] = None  # fmt: skip

    @property
    def url(self) -> str:
        if not self.cdm:
            raise UsageError(f"missing --cdm: the CDM database URL (or set {CDM_ENV})")
        return self.cdm


@dataclass(frozen=True)
class NoteSelectionOptions(OptionGroup):
    """Which NOTE rows a CDM run reads (run, spark-run), on top of the radiology selection."""

    note_type_concept_id: Annotated[list[str] | None, typer.Option(
        help="only notes with these note_type_concept_ids (repeat or comma-separate)")] = None
    note_class_concept_id: Annotated[list[str] | None, typer.Option(
        help="only notes with these note_class_concept_ids (repeat or comma-separate)")] = None
    note_title: Annotated[str | None, typer.Option(help="note_title LIKE pattern, case-insensitive")] = None
    date_from: Annotated[str | None, typer.Option(help="first note_date, YYYY-MM-DD")] = None
    date_to: Annotated[str | None, typer.Option(help="last note_date, YYYY-MM-DD")] = None
    note_id: Annotated[list[str] | None, typer.Option(
        help="only notes with these note_ids (repeat or comma-separate)")] = None
    limit: Annotated[int | None, typer.Option(
        min=1, help="process at most this many notes (lowest note_ids)")] = None

    def filter(self) -> NoteFilter:
        """The ``NoteFilter``; a value that is not an id or a date is a ``UsageError``."""
        return NoteFilter(
            type_concept_ids=_ids(self.note_type_concept_id, "--note-type-concept-id"),
            class_concept_ids=_ids(self.note_class_concept_id, "--note-class-concept-id"),
            title_pattern=self.note_title,
            date_from=_date(self.date_from, "--date-from"),
            date_to=_date(self.date_to, "--date-to"),
            note_ids=_ids(self.note_id, "--note-id"),
            limit=self.limit,
        )


@dataclass(frozen=True)
class CdmWriteOptions(OptionGroup):
    """How a CDM run (run, spark-run) goes through the notes and what it writes besides NOTE_NLP."""

    batch_size: Annotated[int, typer.Option(
        min=1, max=5000, help="notes per batch: per read and transaction (run), per pandas batch (spark-run)")] = 200
    reprocess: Annotated[bool, typer.Option(help="reprocess notes the ledger says are done")] = False
    cdm_facts: Annotated[bool, typer.Option(
        help="also write CONDITION_OCCURRENCE / OBSERVATION / EPISODE rows for ATLAS")] = False


def _ids(values: list[str] | None, option: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in (p.strip() for value in values or [] for p in value.split(",")):
        if not part:
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise UsageError(f"{option}: not an integer: {part!r}") from None
    return tuple(out)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


@dataclass(frozen=True)
class LlmOptions(OptionGroup):
    """The stage-2 relation mapper backend: --mapper and --llm-*."""

    mapper: Annotated[str, typer.Option(
        "--mapper", help="stage-2 relation mapper: rules, llm (every note's relations by the LLM, rules as "
                         "fallback) or hybrid (the LLM only where the rules are uncertain); see docs/llm.md",
    )] = "rules"  # fmt: skip
    llm_url: Annotated[str | None, typer.Option(
        "--llm-url", envvar=LLM_URL_ENV, show_envvar=True,
        help="OpenAI-compatible base URL (vLLM, llama.cpp, Ollama, TGI), e.g. http://localhost:8000/v1")] = None
    llm_model: Annotated[str | None, typer.Option(
        "--llm-model", envvar=LLM_MODEL_ENV, show_envvar=True,
        help="served model name (default: the server's only model); vllm-offline: model path or id")] = None
    llm_api_key_env: Annotated[str | None, typer.Option(
        "--llm-api-key-env",
        help=f"environment variable with the API key (default {DEFAULT_API_KEY_ENV}; none sent if unset)")] = None
    llm_concurrency: Annotated[int, typer.Option(
        "--llm-concurrency", help="LLM requests in flight at once")] = DEFAULT_CONCURRENCY
    llm_backend: Annotated[str, typer.Option(
        "--llm-backend", help=f"{' or '.join(BACKENDS)}: any OpenAI-compatible server, or vLLM in-process "
                              "(the [vllm] extra)")] = "openai"  # fmt: skip

    def config(self) -> LlmConfig | None:
        """The LLM settings, or None for the rules alone; a bad value is a ``UsageError``."""
        if self.mapper not in MODES:
            raise UsageError(f"unknown mapper {self.mapper!r}: use {', '.join(MODES)}")
        if self.llm_backend not in BACKENDS:
            raise UsageError(f"unknown LLM backend {self.llm_backend!r}: use {', '.join(BACKENDS)}")
        if self.mapper == "rules":
            return None
        return LlmConfig(mode=self.mapper, url=self.llm_url, model=self.llm_model,
                         api_key=llm_api_key(self.llm_api_key_env), backend=self.llm_backend,
                         concurrency=self.llm_concurrency)  # fmt: skip



@dataclass(frozen=True)
class BertOptions(OptionGroup):
    """The stage-1 classifiers: --bert and --bert-threads."""

    bert: Annotated[list[str] | None, typer.Option(
        "--bert", help="stage-1 classifier folder (train-bert, then export-onnx); repeat for one per modality. "
                       "Adds keys the lexicon did not mention when their probability reaches the model's "
                       "threshold (docs/bert.md)")] = None  # fmt: skip
    bert_threads: Annotated[int | None, typer.Option(
        "--bert-threads", min=1, help="onnxruntime threads for --bert (default: all cores; per worker with --workers)",
    )] = None  # fmt: skip

    def models(self) -> BertModels | None:
        return BertModels(tuple(self.bert), threads=self.bert_threads) if self.bert else None


@dataclass(frozen=True)
class PipelineOptions(OptionGroup):
    """What to extract: modality, the rules' limits, and the optional BERT and LLM stages."""

    modality: Annotated[str, typer.Option(
        "--modality", "-m", help=f"auto (routing.yaml, then the text) or one of: {', '.join(MODALITY_CHOICES[1:])}",
    )] = "auto"  # fmt: skip
    max_note_chars: Annotated[int, typer.Option(
        "--max-note-chars", min=1, help="longer notes are skipped (too_long)")] = MAX_NOTE_CHARS
    note_timeout: Annotated[float, typer.Option(
        "--note-timeout", min=0, help="seconds the rules may spend on one note before it is skipped (timeout); "
                                      "0: no limit")] = DEFAULT_NOTE_TIMEOUT_S  # fmt: skip
    llm: LlmOptions = LlmOptions()
    bert: BertOptions = BertOptions()

    def config(self) -> PipelineConfig:
        config = PipelineConfig(modality=self.modality, llm=self.llm.config(), bert=self.bert.models(),
                                max_note_chars=self.max_note_chars, note_timeout=self.note_timeout or None)  # fmt: skip
        config.check()
        return config


@dataclass(frozen=True)
class FhirServerOptions(OptionGroup):
    """A FHIR server to send to, and its bearer token (named by an environment variable)."""

    fhir_url: Annotated[str | None, typer.Option(
        "--fhir-url", envvar=FHIR_URL_ENV, show_envvar=True,
        help="send transaction Bundles to this FHIR server")] = None
    fhir_token_env: Annotated[str | None, typer.Option(
        "--fhir-token-env",
        help=f"environment variable holding the server's bearer token (default {FHIR_TOKEN_ENV} when set)")] = None

    @property
    def token_env(self) -> str | None:
        if self.fhir_token_env is None and os.environ.get(FHIR_TOKEN_ENV):
            return FHIR_TOKEN_ENV
        return self.fhir_token_env


@dataclass(frozen=True)
class FhirOutputOptions(OptionGroup):
    """FHIR R4 output: NDJSON files and/or a server."""

    fhir_out: Annotated[Path | None, typer.Option(
        "--fhir-out", help="write FHIR R4 Bulk Data NDJSON files here")] = None
    server: FhirServerOptions = FhirServerOptions()
    fhir_create_documents: Annotated[bool, typer.Option(
        "--fhir-create-documents", help="also emit the DocumentReferences")] = False
    fhir_absent: Annotated[bool, typer.Option(
        "--fhir-absent", help="emit negated findings with value Absent")] = False
    fhir_config: Annotated[Path | None, typer.Option(
        "--fhir-config", help="YAML: patient_system, document_system, code_system, patient_reference, "
                              "dead_letter, batch_size, max_retries, timeout, breaker_failures (see docs/fhir.md)",
    )] = None  # fmt: skip

    @property
    def wanted(self) -> bool:
        return self.fhir_out is not None or self.server.fhir_url is not None


def grouped(command):
    """Spread the ``OptionGroup`` parameters of ``command`` into Typer options, and pack them back."""
    hints = typing.get_type_hints(command, include_extras=True)
    signature = inspect.signature(command)
    params: list[inspect.Parameter] = []
    groups: dict[str, type] = {}
    for param in signature.parameters.values():
        kind = hints.get(param.name)
        if isinstance(kind, type) and issubclass(kind, OptionGroup):
            groups[param.name] = kind
            params += _flat_parameters(kind)
        else:  # Typer passes every value by keyword
            params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                                        annotation=hints.get(param.name, param.annotation)))  # fmt: skip

    @functools.wraps(command)
    def wrapper(**values):
        for name, kind in groups.items():
            values[name] = _pack(kind, values)
        return command(**{name: values[name] for name in signature.parameters})

    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


def _fields(kind: type) -> list[tuple[dataclasses.Field, object]]:
    hints = typing.get_type_hints(kind, include_extras=True)
    return [(f, hints[f.name]) for f in dataclasses.fields(kind)]


def _is_group(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, OptionGroup)


def _flat_parameters(kind: type) -> list[inspect.Parameter]:
    out = []
    for field, annotation in _fields(kind):
        if _is_group(annotation):
            out += _flat_parameters(annotation)
        else:
            out.append(inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default,
                                         annotation=annotation))  # fmt: skip
    return out


def _pack(kind: type, values: dict):
    return kind(**{
        field.name: _pack(annotation, values) if _is_group(annotation) else values.pop(field.name)
        for field, annotation in _fields(kind)
    })  # fmt: skip
