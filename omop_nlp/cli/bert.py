"""Stage-1 BERT commands: train-bert, export-onnx (the --bert options of extract and run: options.py).

torch and transformers are imported inside the commands only (the ``[bert]`` extra); running a
model with ``--bert`` needs onnxruntime and tokenizers only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.cli.options import ConnectionOptions, OptionGroup, grouped
from omop_nlp.entities.bert.options import TrainOptions
from omop_nlp.rules import MODALITIES
from omop_nlp.sources.site_notes import SiteNotes

_EXTRA = "pip install 'omop-nlp[bert]'"


def _err(exc: Exception) -> None:
    fail(str(exc))


def _stderr(line: str) -> None:
    typer.echo(line, err=True)


@dataclass(frozen=True)
class NotesInputOptions(OptionGroup):
    """The site's notes train-bert reads: --notes, else the NOTE table of --cdm."""

    notes: Annotated[str | None, typer.Option("--notes", help="site notes, JSONL with id and text "
                                                              "(else the NOTE table of --cdm)")] = None
    note_title: Annotated[str | None, typer.Option(help="with --cdm: note_title LIKE pattern")] = None
    limit: Annotated[int | None, typer.Option(min=1, help="use at most this many notes")] = None

    def site_notes(self, connection: ConnectionOptions) -> SiteNotes:
        return SiteNotes(notes=Path(self.notes) if self.notes is not None else None, cdm=connection.cdm,
                         cdm_schema=connection.cdm_schema, results_schema=connection.results_schema,
                         note_title=self.note_title, limit=self.limit)  # fmt: skip


_D = TrainOptions  # the defaults are the library's


@dataclass(frozen=True)
class TrainingOptions(OptionGroup):
    """Gold and the training recipe's hyper-parameters: the fields of ``TrainOptions`` the command line sets."""

    gold: Annotated[str | None, typer.Option("--gold", help="gold JSONL: trained on, some held out")] = None
    gold_holdout: Annotated[float, typer.Option(
        min=0.0, max=0.9, help="share of --gold held out for the card")] = _D.gold_holdout
    eval_gold: Annotated[str | None, typer.Option("--eval-gold", help="gold JSONL for the card's figures only")] = None
    epochs: Annotated[int, typer.Option(min=1, help="most epochs (early stopping on validation loss)")] = _D.epochs
    patience: Annotated[int, typer.Option(
        min=1, help="epochs without validation improvement before stopping")] = _D.patience
    batch_size: Annotated[int, typer.Option(min=1, help="notes per step")] = _D.batch_size
    max_length: Annotated[int, typer.Option(min=16, max=4096, help="tokens per window")] = _D.max_length
    stride: Annotated[int, typer.Option(min=0, help="tokens shared by consecutive windows")] = _D.stride
    lr: Annotated[float, typer.Option(help="encoder learning rate")] = _D.lr
    threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="the classifier's probability for present")] = _D.threshold
    union_threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="probability at which --bert adds a key the lexicon never mentioned",
    )] = _D.union_threshold  # fmt: skip
    absent_weight: Annotated[float, typer.Option(
        min=0.0, help="loss weight of keys the lexicon never mentions")] = _D.absent_weight
    gold_weight: Annotated[float, typer.Option(min=0.0, help="loss weight of gold labels")] = _D.gold_weight
    seed: Annotated[int, typer.Option(help="random seed")] = _D.seed
    threads: Annotated[int | None, typer.Option(min=1, help="torch CPU threads")] = _D.threads
    device: Annotated[str, typer.Option(help="torch device: cpu or cuda")] = _D.device

    def options(self, modality: str, base_model: str, output: str) -> TrainOptions:
        return TrainOptions(modality=modality, base_model=Path(base_model), output=Path(output),
                            **dataclasses.asdict(self))  # fmt: skip


@app.command("train-bert")
@grouped
def train_bert(
    connection: ConnectionOptions,
    base_model: Annotated[str, typer.Option("--base-model", help="local Hugging Face BERT-family model folder")],
    modality: Annotated[str, typer.Option("--modality", "-m", help=f"one of: {', '.join(MODALITIES)}")],
    output: Annotated[str, typer.Option("--output", "-o", help="model folder to write")],
    notes_input: NotesInputOptions,
    training: TrainingOptions,
    export: Annotated[bool, typer.Option("--export/--no-export", help="export ONNX + int8 when done")] = False,
) -> None:
    """Train the stage-1 BERT entity-key classifier on the site's notes (weak labels from the engine)."""
    notes, options = notes_input.site_notes(connection), training.options(modality, base_model, output)
    notes.check()
    options.check()
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401

        from omop_nlp.entities.bert.train import train_from_notes
    except ImportError as exc:
        fail(f"train-bert needs the [bert] extra ({_EXTRA}): {exc.name} is missing")
    from omop_nlp.build import build_pipeline
    from omop_nlp.cli.db import database_errors

    try:
        with database_errors():
            card = train_from_notes(notes, options, build_pipeline(), log=_stderr,
                                    skipped=lambda error: _stderr(f"skipped: {error}"))
    except ValueError as exc:  # a JsonlError or BertModelError, or too few notes: one line
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
