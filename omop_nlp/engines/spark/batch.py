"""The unit of ``spark-run``: one pandas batch function, NOTE rows in, staged output rows out.

It runs inside Spark's Python workers through ``DataFrame.mapInPandas`` and does exactly what
``run`` does to a batch: the same NOTE row -> ``SourceNote`` classification
(``omop_notes.source_note``), the same note selection and routing (``runner.select_note``), the
same ``Extractor`` (a note's failure becomes its outcome, never an exception) and the same
``note_nlp_rows``. The pipeline is built once per Python worker
(``_EXTRACTORS``); Spark reuses workers across tasks, so a worker pays the build once.

Each note gives one ``kind='note'`` row (its status and skip/failure reason: what ``run`` writes
to the ledger) and one ``kind='note_nlp'`` row per NOTE_NLP row, numbered by ``row_in_note`` so
the final write can drop what a duplicated task attempt staged twice. With ``--cdm-facts`` each
fact row of ``CdmFacts`` (what ``run --cdm-facts`` writes) is one more row, ``kind`` its table,
the row as JSON in ``fact`` and, for an episode, its condition's ``row_in_note`` in ``condition_row``.

Over JDBC the notes come with their ledger state (``LEDGER_COLUMNS``, joined on the cluster): a note
the ledger says is done with the same text is skipped as ``already_done`` unextracted, as ``run`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.engines.cdm import Extractor, Outcome, note_selector, select_note
from omop_nlp.errors import NoteSkipped
from omop_nlp.omop.concepts import ConceptResolver
from omop_nlp.omop.ledger import LedgerState, Status
from omop_nlp.rules import Code
from omop_nlp.sinks.cdm_facts import CdmFacts
from omop_nlp.sinks.fhir.builder import FhirBuilder, FhirOptions
from omop_nlp.sinks.fhir.ndjson import dumps
from omop_nlp.sinks.fhir.validate import FhirValidationError
from omop_nlp.sinks.note_nlp import note_nlp_rows
from omop_nlp.sources.note_selection import NoteSelector
from omop_nlp.sources.omop_notes import SourceNote, source_note

# The NOTE columns the batch function reads (``note_text`` is NULL past max_note_chars, as in run).
NOTE_COLUMNS = ("note_id", "person_id", "note_date", "note_title", "note_class_concept_id", "note_type_concept_id",
                "visit_occurrence_id", "n_chars", "note_text")  # fmt: skip
NOTE_NLP_COLUMNS = ("section_concept_id", "snippet", "offset", "lexical_variant", "note_nlp_concept_id",
                    "note_nlp_source_concept_id", "nlp_system", "nlp_date", "nlp_datetime", "term_exists",
                    "term_temporal", "term_modifiers")  # fmt: skip
STAGE_SCHEMA = (
    "kind string, note_id bigint, row_in_note int, status string, reason string, text_hash string, "
    "section_concept_id int, snippet string, `offset` string, lexical_variant string, note_nlp_concept_id int, "
    "note_nlp_source_concept_id int, nlp_system string, nlp_date date, nlp_datetime timestamp, "
    "term_exists string, term_temporal string, term_modifiers string, fact string, condition_row int, "
    "resource_type string, resource string"
)
LEDGER_COLUMNS = ("ledger_hash", "ledger_status", "ledger_facts")  # this system's ledger row, when joined
ALREADY_DONE = "already_done"  # run's skip reason for a note the ledger says is done with this text
FACT_TABLES = ("condition_occurrence", "observation", "episode")  # the kinds of the staged fact rows
DATABASE_COLUMNS = ("kind", "note_id", "row_in_note", "status", "reason", "text_hash", *NOTE_NLP_COLUMNS, "fact",
                    "condition_row")  # fmt: skip
STAGE_COLUMNS = (*DATABASE_COLUMNS, "resource_type", "resource")  # kind 'fhir': one FHIR resource (JSON)


@dataclass(frozen=True)
class SiteConcepts:
    """The site's concept ids the driver resolved, broadcast to the executors: the codes of mappings/
    (NOTE_NLP rows) and the document codes of the note selection."""

    codes: dict[Code, int]
    documents: dict[Code, int]


@dataclass(frozen=True)
class BatchSpec:
    """What every task needs besides the notes; small and picklable (concept ids travel by broadcast)."""

    nlp_system: str
    when: datetime
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)  # what each Python worker builds
    fhir: FhirOptions | None = None  # also build each done note's FHIR resources (kind 'fhir')
    cdm_facts: bool = False  # also build each done note's CONDITION_OCCURRENCE / OBSERVATION / EPISODE rows


_EXTRACTORS: dict[PipelineConfig, Extractor] = {}
_FHIR_BUILDERS: dict[tuple, FhirBuilder] = {}
_SELECTORS: dict[tuple, NoteSelector] = {}


def extractor_for(spec: BatchSpec) -> Extractor:
    """The worker's pipeline for ``spec``, built on first use (stage-1 BERT/ONNX included with ``--bert``)."""
    if spec.pipeline not in _EXTRACTORS:
        _EXTRACTORS[spec.pipeline] = Extractor(build_pipeline(spec.pipeline))
    return _EXTRACTORS[spec.pipeline]


def selector_for(site: SiteConcepts) -> NoteSelector:
    key = tuple(sorted(site.documents.items(), key=repr))
    if key not in _SELECTORS:
        _SELECTORS[key] = note_selector(site.documents)
    return _SELECTORS[key]


def note_nlp_batches(spec: BatchSpec, site: SiteConcepts, batches: Iterator) -> Iterator:
    """mapInPandas body: for each pandas batch of NOTE rows, a pandas frame of ``STAGE_COLUMNS``."""
    import pandas as pd

    extractor, selector = extractor_for(spec), selector_for(site)
    concepts = ConceptResolver.from_ids(site.codes)
    facts = CdmFacts(concepts) if spec.cdm_facts else None
    for frame in batches:
        rows = list(_rows(frame))
        notes = [source_note(row, spec.pipeline.max_note_chars) for row in rows]
        done = {n.note_id for n, row in zip(notes, rows, strict=True) if _is_done(n, row, spec.cdm_facts)}
        outcomes = extract(extractor, selector, notes, done)
        rows = [row for outcome in outcomes for row in stage_rows(outcome, concepts, spec, facts)]
        # object columns keep None as None: Arrow cannot cast an all-NaN float column to string
        yield pd.DataFrame({c: pd.Series([row.get(c) for row in rows], dtype=object) for c in STAGE_COLUMNS})


def _is_done(note: SourceNote, row, with_facts: bool) -> bool:
    """Does the note's ledger row (``LEDGER_COLUMNS``, absent with --reprocess) say it is done?"""
    status = getattr(row, "ledger_status", None)
    state = LedgerState(row.ledger_hash, status, row.ledger_facts == "Y") if status else None
    return state is not None and state.is_done_for(note.text_hash, with_facts=with_facts)


def extract(extractor: Extractor, selector: NoteSelector, notes: list[SourceNote],
            done: set[int] = frozenset()) -> list[Outcome]:  # fmt: skip
    """Outcomes in note order, as ``run`` decides them: notes the selection leaves out, then those
    ``done`` already (the ledger's), then unreadable text, are skipped with their reason; the others
    are routed and extracted, one outcome per note."""
    skipped: dict[int, Outcome] = {}
    todo: list[SourceNote] = []
    for note in notes:
        selection = select_note(selector, note)
        if reason := selection.skip_reason or (ALREADY_DONE if note.note_id in done else note.skip_reason):
            skipped[note.note_id] = Outcome(note, Status.SKIPPED, reason)
        else:
            todo.append(replace(note, modality=selection.modality))
    done = extractor.extract_many(todo)
    by_id = {**skipped, **{o.note.note_id: o for o in done}}
    return [by_id[n.note_id] for n in notes]


def stage_rows(outcome: Outcome, concepts: ConceptResolver, spec: BatchSpec, facts: CdmFacts | None) -> list[dict]:
    note = outcome.note
    rows = [{"kind": "note", "note_id": note.note_id, "row_in_note": -1, "status": outcome.status.value,
             "reason": outcome.reason, "text_hash": note.text_hash}]  # fmt: skip
    if outcome.status is Status.DONE and outcome.result is not None:
        nlp = note_nlp_rows(note.note_id, outcome.result, concepts, spec.nlp_system, spec.when)
        rows += [{"kind": "note_nlp", "row_in_note": i, **row} for i, row in enumerate(nlp)]
        if facts is not None:
            rows += fact_rows(note, outcome.result, facts)
        if spec.fhir is not None:
            rows += fhir_rows(note.note_id, outcome.result, spec)
    return rows


def fact_rows(note: SourceNote, result, facts: CdmFacts) -> list[dict]:
    """A done note's fact rows, numbered per table in the order ``run`` gives them ids."""
    built = facts.rows({note.note_id: result}, {note.note_id: note.visit_occurrence_id})
    episodes = [{**_fact_row("episode", i, row), "condition_row": condition}
                for i, (row, condition) in enumerate(built.episodes)]  # fmt: skip
    return [*(_fact_row("condition_occurrence", i, row) for i, row in enumerate(built.conditions)),
            *(_fact_row("observation", i, row) for i, row in enumerate(built.observations)), *episodes]  # fmt: skip


def _fact_row(table: str, row_in_note: int, row: dict) -> dict:
    values = {k: v for k, v in row.items() if k != "_note_id"}
    return {"kind": table, "note_id": row["_note_id"], "row_in_note": row_in_note,
            "fact": json.dumps(values, default=str, sort_keys=True)}  # dates as YYYY-MM-DD  # fmt: skip


def fhir_builder(spec: BatchSpec) -> FhirBuilder:
    """The worker's FHIR builder for the run (``run``'s: same options, same ``recorded`` time)."""
    key = (spec.fhir, spec.when)
    if key not in _FHIR_BUILDERS:
        _FHIR_BUILDERS[key] = FhirBuilder(spec.fhir, recorded=spec.when.replace(tzinfo=UTC))
    return _FHIR_BUILDERS[key]


def fhir_rows(note_id: int, result, spec: BatchSpec) -> list[dict]:
    """A note's resources (ids are UUIDv5 of the note and key: a retry or re-run rebuilds the same ids);
    a note FHIR cannot describe (no person_id, invalid resources) gives one ``fhir_skipped`` row instead."""
    try:
        resources = fhir_builder(spec).build(result)
    except (NoteSkipped, FhirValidationError) as exc:
        reason = exc.reason if isinstance(exc, NoteSkipped) else "fhir_invalid"
        return [{"kind": "fhir_skipped", "note_id": note_id, "row_in_note": -1, "reason": reason}]
    return [{"kind": "fhir", "note_id": note_id, "row_in_note": i, "resource_type": r["resourceType"],
             "resource": dumps(r)} for i, r in enumerate(resources)]  # fmt: skip


def _rows(frame) -> Iterator[SimpleNamespace]:
    """pandas rows as attribute objects, NaN/NaT (Arrow's nulls in numeric columns) as None."""
    frame = frame.astype(object).where(frame.notna(), None)
    for record in frame.to_dict("records"):
        yield SimpleNamespace(**record)
