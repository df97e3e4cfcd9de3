"""Stage-1 BERT commands: train-bert, export-onnx; and the --bert options of extract and run.

torch and transformers are imported inside the commands only (the ``[bert]`` extra); running a
model with ``--bert`` needs onnxruntime and tokenizers only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.rules import MODALITIES

BertDirs = Annotated[list[str] | None, typer.Option(
    "--bert", help="stage-1 classifier folder (train-bert, then export-onnx); repeat for one per modality. "
                   "Adds keys the lexicon did not mention when their probability reaches the model's threshold "
                   "(docs/bert.md)")]  # fmt: skip
BertThreads = Annotated[int | None, typer.Option(
    "--bert-threads", min=1, help="onnxruntime threads for --bert (default: all cores; per worker with --workers)")]
_EXTRA = "pip install 'omop-nlp[bert]'"


def _err(exc: Exception) -> None:
    fail(str(exc))


def with_bert(pipeline, model_dirs: list[str] | None, threads: int | None = None):
    """``pipeline`` with the stage-1 classifier plugged in (unchanged without --bert)."""
    if not model_dirs:
        return pipeline
    try:
        from omop_nlp.entities.bert.combine import attach
        from omop_nlp.entities.bert.config import BertModelError
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        fail(f"--bert needs onnxruntime and tokenizers ({_EXTRA}): {exc.name} is missing")
    for folder in model_dirs:
        if not Path(folder).is_dir():
            fail(f"--bert: not a folder: {folder}")
    try:
        return attach(pipeline, model_dirs, threads=threads)
    except ImportError as exc:
        fail(f"--bert needs onnxruntime and tokenizers ({_EXTRA}): {exc.name} is missing")
    except (BertModelError, ValueError) as exc:
        _err(exc)
    except RuntimeError as exc:  # onnxruntime: a damaged or foreign .onnx file
        fail(f"--bert: cannot load the ONNX model ({exc.__class__.__name__})")


def bert_factory(model_dirs: list[str] | None, threads: int | None = None):
    """A picklable pipeline factory for ``run`` (one pipeline per worker), or None without --bert."""
    from omop_nlp.omop.runner import pipeline_factory

    return pipeline_factory(model_dirs, threads)


def _note_reports(cdm: str, cdm_schema: str | None, note_title: str | None, limit: int | None) -> Iterator:
    from omop_nlp.omop.connection import make_engine
    from omop_nlp.omop.tables import cdm_tables
    from omop_nlp.sources.omop_notes import NoteFilter, OmopNoteSource

    engine = make_engine(cdm)
    try:
        tables = cdm_tables(cdm_schema, cdm_schema)
        source = OmopNoteSource(engine, tables, NoteFilter(title_pattern=note_title, limit=limit))
        for batch in source.batches(500):
            yield from (note.report() for note in batch if note.skip_reason is None)
    finally:
        engine.dispose()


@app.command("train-bert")
def train_bert(
    base_model: Annotated[str, typer.Option("--base-model", help="local Hugging Face BERT-family model folder")],
    modality: Annotated[str, typer.Option("--modality", "-m", help=f"one of: {', '.join(MODALITIES)}")],
    output: Annotated[str, typer.Option("--output", "-o", help="model folder to write")],
    notes: Annotated[str | None, typer.Option("--notes", help="site notes, JSONL with id and text")] = None,
    cdm: Annotated[str | None, typer.Option("--cdm", help="or: the NOTE table of this CDM database URL")] = None,
    cdm_schema: Annotated[str | None, typer.Option("--cdm-schema", help="schema of NOTE (with --cdm)")] = None,
    note_title: Annotated[str | None, typer.Option(help="with --cdm: note_title LIKE pattern")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="use at most this many notes")] = None,
    gold: Annotated[str | None, typer.Option("--gold", help="gold JSONL: trained on, some held out")] = None,
    gold_holdout: Annotated[float, typer.Option(min=0.0, max=0.9, help="share of --gold held out for the card")] = 0.2,
    eval_gold: Annotated[str | None, typer.Option("--eval-gold", help="gold JSONL for the card's figures only")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="most epochs (early stopping on validation loss)")] = 5,
    patience: Annotated[int, typer.Option(min=1, help="epochs without validation improvement before stopping")] = 2,
    batch_size: Annotated[int, typer.Option(min=1, help="notes per step")] = 8,
    max_length: Annotated[int, typer.Option(min=16, max=4096, help="tokens per window")] = 256,
    stride: Annotated[int, typer.Option(min=0, help="tokens shared by consecutive windows")] = 64,
    lr: Annotated[float, typer.Option(help="encoder learning rate")] = 5e-5,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0, help="the classifier's probability for present")] = 0.5,
    union_threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="probability at which --bert adds a key the lexicon never mentioned")] = 0.9,
    absent_weight: Annotated[float, typer.Option(min=0.0, help="loss weight of keys the lexicon never mentions")] = 0.5,
    gold_weight: Annotated[float, typer.Option(min=0.0, help="loss weight of gold labels")] = 2.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 13,
    threads: Annotated[int | None, typer.Option(min=1, help="torch CPU threads")] = None,
    device: Annotated[str, typer.Option(help="torch device: cpu or cuda")] = "cpu",
    export: Annotated[bool, typer.Option("--export/--no-export", help="export ONNX + int8 when done")] = False,
) -> None:
    """Train the stage-1 BERT entity-key classifier on the site's notes (weak labels from the engine)."""
    if (notes is None) == (cdm is None):
        fail("give exactly one of --notes FILE or --cdm URL")
    if modality not in MODALITIES:
        fail(f"unknown modality {modality!r}: use {', '.join(MODALITIES)}")
    if not Path(base_model).is_dir():
        fail(f"--base-model: not a local model folder: {base_model} (nothing is downloaded)")
    for option, path in (("--notes", notes), ("--gold", gold), ("--eval-gold", eval_gold)):
        if path is not None and not Path(path).is_file():
            fail(f"{option}: file not found: {path}")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from omop_nlp.entities.bert.config import BertModelError
        from omop_nlp.entities.bert.train import TrainOptions, train_model
    except ImportError as exc:
        fail(f"train-bert needs the [bert] extra ({_EXTRA}): {exc.name} is missing")
    from omop_nlp.jsonl import JsonlError

    options = TrainOptions(
        modality=modality, base_model=Path(base_model), output=Path(output),
        gold=Path(gold) if gold else None, eval_gold=Path(eval_gold) if eval_gold else None,
        gold_holdout=gold_holdout, epochs=epochs, patience=patience, batch_size=batch_size, max_length=max_length,
        stride=stride, lr=lr, threshold=threshold, union_threshold=union_threshold, absent_weight=absent_weight,
        gold_weight=gold_weight, seed=seed,
        threads=threads, device=device,
    )  # fmt: skip
    if notes is not None:
        from omop_nlp.sources.jsonl import read_reports

        def skipped(error: JsonlError) -> None:
            typer.echo(f"skipped: {error}", err=True)

        reports = read_reports(notes, skipped)
    else:
        reports = _note_reports(cdm, cdm_schema, note_title, None)
    if limit is not None:
        import itertools

        reports = itertools.islice(reports, limit)

    def log(line: str) -> None:
        typer.echo(line, err=True)

    from omop_nlp.cli.db import database_errors

    try:
        with database_errors():
            card = train_model(reports, options, log)
    except (BertModelError, JsonlError, ValueError) as exc:
        _err(exc)
    typer.echo(f"train-bert: {card['modality']} model {card['model_id']} written to {output} "
               f"(card: {Path(output) / 'MODEL_CARD.md'})")  # fmt: skip
    if export:
        _export(output, None, True)


@app.command("export-onnx")
def export_onnx(
    folder: Annotated[str, typer.Argument(help="model folder written by train-bert")],
    parity_notes: Annotated[str | None, typer.Option(
        "--parity-notes", help="JSONL notes for the parity check (default: sentences from the lexicon)")] = None,
    int8: Annotated[bool, typer.Option("--int8/--no-int8", help="also write the dynamically quantized model")] = True,
) -> None:
    """Export a trained model to ONNX (opset 17, dynamic batch and sequence) + int8, checking parity with torch."""
    _export(folder, parity_notes, int8)


def _export(folder: str, parity_notes: str | None, int8: bool) -> None:
    if not Path(folder).is_dir():
        fail(f"not a folder: {folder}")
    try:
        import onnx  # noqa: F401
        import torch  # noqa: F401

        from omop_nlp.entities.bert.config import BertModelError
        from omop_nlp.entities.bert.export import export_onnx as run_export
    except ImportError as exc:
        fail(f"export-onnx needs the [bert] extra ({_EXTRA}): {exc.name} is missing")
    from omop_nlp.jsonl import JsonlError

    texts = None
    if parity_notes is not None:
        from omop_nlp.sources.jsonl import read_reports

        try:
            texts = [r.text for r in read_reports(parity_notes, lambda e: None)][:64]
        except JsonlError as exc:
            _err(exc)
    try:
        report = run_export(folder, parity_texts=texts or None, int8=int8, log=lambda line: typer.echo(line, err=True))
    except BertModelError as exc:
        _err(exc)
    files = ", ".join(report[v]["file"] for v in ("fp32", "int8") if v in report)
    typer.echo(f"export-onnx: {files} in {folder} (parity in export.json)")
