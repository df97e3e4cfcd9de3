"""``omop-nlp train-bert``: fine-tune a local BERT-family encoder into the stage-1 classifier.

Recipe (the paper's, with the changes the issue asks for):

1. Labels: weak labels from the rule pipeline on the site's notes (``labels.weak_examples``:
   present = 1, negated/asserted absent = 0 at full weight, not mentioned = 0 at
   ``absent_weight``) plus gold reports (``--gold``), of which a seeded ``gold_holdout``
   fraction is held out for the model card and never trained on.
2. Split: a seeded ``validation`` fraction of the training pool for early stopping.
3. Loss: binary cross-entropy per key with the label weights and ``pos_weight`` per key
   (negatives / positives in the training labels, clipped to [1, ``max_pos_weight``]), on the
   note's logit = the maximum over its windows (multiple-instance: some window must say it).
4. AdamW (encoder ``lr``, head ``head_lr``), linear warm-up then decay, gradient clipping;
   the epoch with the lowest validation loss is kept (``patience`` epochs without improvement
   stop the run).

Logs carry counts and losses only, never note text.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from omop_nlp import __version__
from omop_nlp.entities.bert.card import evaluate_gold, write_card
from omop_nlp.entities.bert.config import (
    ENCODER_DIR,
    HEAD_FILE,
    TOKENIZER_DIR,
    BertConfig,
    BertModelError,
    file_digest,
    offline,
)
from omop_nlp.entities.bert.labels import Example, WeakLabelStats, gold_examples, split, text_digest, weak_examples
from omop_nlp.entities.bert.options import TrainOptions
from omop_nlp.entities.bert.windows import WindowTokenizer, note_probabilities, pad_batch
from omop_nlp.model import Report
from omop_nlp.rules import MODALITIES, ModalityRules, load_rules

if TYPE_CHECKING:
    from omop_nlp.errors import JsonlError
    from omop_nlp.pipeline import Pipeline
    from omop_nlp.sources.site_notes import SiteNotes


@dataclass
class Encoded:
    examples: list[Example]
    windows: list[list[np.ndarray]]  # per example
    labels: np.ndarray  # (n, keys)
    weights: np.ndarray  # (n, keys)


def _encode(examples: list[Example], tokenizer: WindowTokenizer, max_windows: int, keys: int) -> Encoded:
    windows = tokenizer.windows([e.text for e in examples], max_windows=max_windows)
    per_example: list[list[np.ndarray]] = [[] for _ in examples]
    for ids, owner in zip(windows.ids, windows.owner, strict=True):
        per_example[int(owner)].append(ids)
    labels = np.stack([e.labels for e in examples]) if examples else np.zeros((0, keys), np.float32)
    weights = np.stack([e.weights for e in examples]) if examples else np.zeros((0, keys), np.float32)
    return Encoded(examples, per_example, labels, weights)


def pos_weights(labels: np.ndarray, weights: np.ndarray, cap: float) -> np.ndarray:
    positive = (labels * weights).sum(0)
    negative = ((1 - labels) * weights).sum(0)
    ratio = np.divide(negative, positive, out=np.ones_like(negative), where=positive > 0)
    return np.clip(ratio, 1.0, cap).astype(np.float32)


def _batch_tensors(torch, data: Encoded, rows: list[int], pad_id: int, device: str):
    windows, owner = [], []
    for n, row in enumerate(rows):
        windows += data.windows[row]
        owner += [n] * len(data.windows[row])
    input_ids, attention_mask = pad_batch(windows, pad_id)
    return (torch.from_numpy(input_ids).to(device), torch.from_numpy(attention_mask).to(device),
            torch.tensor(owner, dtype=torch.long, device=device))  # fmt: skip


def _note_logits(torch, window_logits, owner, notes: int):
    """Max over each note's windows, differentiable (scatter_reduce amax)."""
    out = torch.full((notes, window_logits.shape[1]), float("-inf"), dtype=window_logits.dtype,
                     device=window_logits.device)  # fmt: skip
    return out.scatter_reduce(0, owner[:, None].expand_as(window_logits), window_logits, reduce="amax")


def torch_probabilities(net, tokenizer: WindowTokenizer, texts: list[str], pad_id: int, device: str = "cpu",
                        batch_size: int = 32, max_windows: int | None = None) -> np.ndarray:  # fmt: skip
    """(notes, keys) probabilities with the torch model: the reference the ONNX export must match."""
    import torch

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        logits = net(torch.from_numpy(input_ids).to(device), torch.from_numpy(attention_mask).to(device))
        return torch.sigmoid(logits.float()).cpu().numpy()

    windows = tokenizer.windows(texts, max_windows=max_windows)
    net.eval()
    with torch.inference_mode():
        return note_probabilities(windows, len(tokenizer.config.keys), pad_id, run, batch_size)


@dataclass
class TrainingSets:
    """The reports of one training run: what is trained on, what picks the epoch, what is only scored."""

    train: list[Example]
    validation: list[Example]
    gold_held: list[Example]  # held-out gold: scored in the card, never trained on
    eval_gold: list[Example]  # evaluation-only gold (--eval-gold)
    gold_total: int
    gold_train: int
    weak_stats: WeakLabelStats


@dataclass
class FitHistory:
    epochs: list[dict]
    best_epoch: int
    best_loss: float


def train_model(reports: Iterable[Report], options: TrainOptions, rule_pipeline: Pipeline,
                log: Callable[[str], None] = print) -> dict:  # fmt: skip
    """Trains, saves the model folder and its card; returns the card. ``rule_pipeline`` is the rule
    pipeline (``build_pipeline()``) whose findings are the weak labels and the card's baseline."""
    offline()
    import torch

    from omop_nlp.entities.bert.network import KeyClassifierNet, load_encoder, save_trained

    if options.modality not in MODALITIES:
        raise BertModelError(f"unknown modality {options.modality!r}: use {', '.join(MODALITIES)}")
    started = time.perf_counter()
    _seed(torch, options)
    rules = load_rules(options.modality)
    sets = _training_sets(reports, options, rules, rule_pipeline, log)

    options.output.mkdir(parents=True, exist_ok=True)
    tokenizer_info = _save_tokenizer(options.base_model, options.output / TOKENIZER_DIR)
    encoder = load_encoder(options.base_model)
    config = _model_config(options, rules, encoder, int(tokenizer_info["pad_id"]))
    tokenizer = WindowTokenizer.from_model_dir(options.output, config)
    keys = config.keys
    train_data = _encode(sets.train, tokenizer, options.train_windows, len(keys))
    val_data = _encode(sets.validation, tokenizer, options.train_windows, len(keys))

    net = KeyClassifierNet(encoder, len(keys), config.attention_dim, config.head_dim).to(options.device)
    pos_weight = pos_weights(train_data.labels, train_data.weights, options.max_pos_weight)
    history = _fit(torch, net, train_data, val_data, pos_weight, config, options, log)
    net.eval()
    net.to("cpu")
    save_trained(net, options.output)
    config.model_id = file_digest(options.output / ENCODER_DIR / "model.safetensors", options.output / HEAD_FILE)[:12]
    config.save(options.output)

    metrics = _score_held_out(net, tokenizer, sets, rule_pipeline, rules, config, log)
    card = _card(options, config, encoder, torch.__version__, sets, train_data, pos_weight, history, metrics,
                 time.perf_counter() - started)  # fmt: skip
    write_card(options.output, card)
    return card


def train_from_notes(notes: SiteNotes, options: TrainOptions, rule_pipeline: Pipeline, log: Callable[[str], None],
                     skipped: Callable[[JsonlError], None]) -> dict:  # fmt: skip
    """``omop-nlp train-bert``: the site's notes, labelled by ``rule_pipeline`` (the caller builds it: stage 1
    sits below the pipeline that builds it), train the model."""
    notes.check()
    options.check()
    return train_model(notes.reports(skipped), options, rule_pipeline, log)


def _seed(torch, options: TrainOptions) -> None:
    """One seed for Python, NumPy and torch: the same data and options train the same model."""
    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)
    if options.threads:
        torch.set_num_threads(options.threads)


def _training_sets(reports: Iterable[Report], options: TrainOptions, rules: ModalityRules, rule_pipeline,
                   log: Callable[[str], None]) -> TrainingSets:  # fmt: skip
    """Gold split into train / held out, weak labels on the notes not in any gold, then train / validation."""
    gold_train: list[Example] = []
    gold_held: list[Example] = []
    gold_total = 0
    if options.gold:
        gold = gold_examples(options.gold, rules, gold_weight=options.gold_weight)
        gold_total = len(gold.examples)
        gold_train, gold_held = split(gold.examples, options.gold_holdout, options.seed)
        if gold.unknown_keys:
            log(f"gold: keys not in the {options.modality} mappings ignored: {', '.join(gold.unknown_keys)}")
    eval_gold = gold_examples(options.eval_gold, rules).examples if options.eval_gold else []
    exclude = {e.digest for e in (*gold_train, *gold_held, *eval_gold)}
    held_digests = {e.digest for e in (*gold_held, *eval_gold)}
    gold_train = [e for e in gold_train if e.digest not in held_digests]

    weak, weak_stats = weak_examples(reports, rules, rule_pipeline, absent_weight=options.absent_weight,
                                     exclude=exclude)  # fmt: skip
    log(f"weak labels: {weak_stats.used} of {weak_stats.notes_read} notes "
        f"({weak_stats.other_modality} other modality, {weak_stats.duplicates} duplicate or gold)")  # fmt: skip
    pool = weak + gold_train
    if len(pool) < 2:
        raise BertModelError(f"{len(pool)} training report(s) for {options.modality}: need at least 2")
    train, validation = split(pool, options.validation, options.seed + 1)
    return TrainingSets(train, validation, gold_held, eval_gold, gold_total, len(gold_train), weak_stats)


def _model_config(options: TrainOptions, rules: ModalityRules, encoder, pad_id: int) -> BertConfig:
    """The saved model's config: keys, windowing within the encoder's positions, thresholds."""
    max_positions = int(getattr(encoder.config, "max_position_embeddings", 512))
    config = BertConfig(
        modality=options.modality, entity_type=rules.entity_type, keys=list(rules.entities),
        max_length=min(options.max_length, max_positions - (2 if encoder.config.model_type == "roberta" else 0)),
        stride=options.stride, max_windows=options.max_windows, threshold=options.threshold,
        union_threshold=options.union_threshold,
        pad_id=pad_id, base_model=_base_model_name(Path(options.base_model)),
        extra={"omop_nlp_version": __version__, "encoder_type": encoder.config.model_type},
    )  # fmt: skip
    if config.stride >= config.max_length - 2:
        raise BertModelError(f"stride {config.stride} must be below max_length {config.max_length} - 2")
    return config


class _Objective:
    """The weighted multiple-instance loss: a note's logit is the maximum over its windows."""

    def __init__(self, torch, net, pos_weight: np.ndarray, config: BertConfig, device: str) -> None:
        self.torch, self.net, self.config, self.device = torch, net, config, device
        self.loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.from_numpy(pos_weight).to(device), reduction="none")

    def loss(self, data: Encoded, rows: list[int]):
        torch = self.torch
        input_ids, attention_mask, owner = _batch_tensors(torch, data, rows, self.config.pad_id, self.device)
        logits = _note_logits(torch, self.net(input_ids, attention_mask), owner, len(rows))
        labels = torch.from_numpy(data.labels[rows]).to(self.device)
        weights = torch.from_numpy(data.weights[rows]).to(self.device)
        return (self.loss_fn(logits, labels) * weights).sum() / weights.sum().clamp_min(1e-6), logits

    def validate(self, data: Encoded, batch_size: int) -> tuple[float | None, float | None]:
        """(mean loss, micro-F1 at the threshold) on the validation notes; None without any."""
        notes = len(data.examples)
        if not notes:
            return None, None
        self.net.eval()
        total_loss, hits = 0.0, np.zeros(3)
        with self.torch.inference_mode():
            for start in range(0, notes, batch_size):
                rows = list(range(start, min(start + batch_size, notes)))
                loss, logits = self.loss(data, rows)
                total_loss += float(loss) * len(rows)
                predicted = (self.torch.sigmoid(logits).cpu().numpy() >= self.config.threshold)
                gold = data.labels[rows] >= 0.5
                hits += [(predicted & gold).sum(), (predicted & ~gold).sum(), (~predicted & gold).sum()]
        tp, fp, fn = hits
        return total_loss / notes, (2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else None


def _optimizer(torch, net, options: TrainOptions, steps_per_epoch: int):
    """AdamW (encoder lr, head head_lr) and a linear warm-up then decay over all steps."""
    head = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW([
        {"params": list(net.encoder.parameters()), "lr": options.lr},
        {"params": head, "lr": options.head_lr},
    ], weight_decay=options.weight_decay)  # fmt: skip
    total = max(1, steps_per_epoch * options.epochs)
    warmup = max(1, int(options.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    return optimizer, scheduler


def _fit(torch, net, train_data: Encoded, val_data: Encoded, pos_weight: np.ndarray, config: BertConfig,
         options: TrainOptions, log: Callable[[str], None]) -> FitHistory:  # fmt: skip
    """Epochs of shuffled batches; keeps the weights of the epoch with the lowest validation loss and
    stops after ``patience`` epochs without improvement."""
    objective = _Objective(torch, net, pos_weight, config, options.device)
    train_notes = len(train_data.examples)
    steps_per_epoch = math.ceil(train_notes / options.batch_size)
    optimizer, scheduler = _optimizer(torch, net, options, steps_per_epoch)
    log(f"training: {train_notes} notes ({sum(map(len, train_data.windows))} windows), validation "
        f"{len(val_data.examples)}, {options.epochs} epoch(s) max, {steps_per_epoch} step(s) each, "
        f"device {options.device}")  # fmt: skip

    history: list[dict] = []
    best_loss, best_epoch, best_state, stale = math.inf, 0, None, 0
    order = list(range(train_notes))
    shuffler = random.Random(options.seed)
    for epoch in range(1, options.epochs + 1):
        epoch_started = time.perf_counter()
        net.train()
        shuffler.shuffle(order)
        running = 0.0
        for start in range(0, len(order), options.batch_size):
            rows = order[start : start + options.batch_size]
            loss, _ = objective.loss(train_data, rows)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item() * len(rows)
        val_loss, val_f1 = objective.validate(val_data, options.batch_size)
        history.append({"epoch": epoch, "train_loss": running / len(order), "validation_loss": val_loss,
                        "validation_micro_f1": val_f1, "seconds": time.perf_counter() - epoch_started})  # fmt: skip
        log(f"epoch {epoch}: train loss {running / len(order):.4f}, validation loss "
            f"{'n/a' if val_loss is None else f'{val_loss:.4f}'}, validation micro-F1 "
            f"{_fmt(val_f1)} ({time.perf_counter() - epoch_started:.0f} s)")  # fmt: skip
        score = val_loss if val_loss is not None else -epoch  # no validation: keep the last epoch
        if score < best_loss - 1e-6:
            best_loss, best_epoch, stale = score, epoch, 0
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()})
        else:
            stale += 1
            if stale >= options.patience:
                log(f"early stop: no validation improvement in {options.patience} epoch(s)")
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    return FitHistory(history, best_epoch, best_loss)


def _score_held_out(net, tokenizer: WindowTokenizer, sets: TrainingSets, rule_pipeline, rules: ModalityRules,
                    config: BertConfig, log: Callable[[str], None]) -> dict:  # fmt: skip
    """BERT, rules and their union on the held-out and evaluation-only gold (the model card's figures)."""
    metrics = {}
    for name, examples in (("held_out_gold", sets.gold_held), ("eval_gold", sets.eval_gold)):
        if examples:
            probs = torch_probabilities(net, tokenizer, [e.text for e in examples], config.pad_id)
            metrics[name] = evaluate_gold(examples, probs, rule_pipeline, rules, config.threshold,
                                          config.union_threshold)  # fmt: skip
            f1 = {p: _fmt(metrics[name][p]["micro"]["f1"]) for p in ("bert", "rules", "union")}
            log(f"{name}: {len(examples)} reports, micro-F1 bert {f1['bert']}, rules {f1['rules']}, "
                f"union {f1['union']}")
    return metrics


def _card(options: TrainOptions, config: BertConfig, encoder, torch_version: str, sets: TrainingSets,
          train_data: Encoded, pos_weight: np.ndarray, history: FitHistory, metrics: dict, seconds: float) -> dict:
    """The model card: what was trained on what, how, and how well."""
    keys = config.keys
    return {
        "modality": options.modality, "model_id": config.model_id, "keys": keys, "base_model": config.base_model,
        "encoder_type": encoder.config.model_type, "max_length": config.max_length, "stride": config.stride,
        "threshold": config.threshold, "union_threshold": config.union_threshold,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "omop_nlp_version": __version__, "torch_version": torch_version,
        "data": {
            "weak": sets.weak_stats.to_dict(),
            "gold": {"reports": sets.gold_total, "train": sets.gold_train, "held_out": len(sets.gold_held)},
            "eval_gold_reports": len(sets.eval_gold),
        },
        "training": {
            "train_examples": len(sets.train), "validation_examples": len(sets.validation),
            "train_windows": int(sum(map(len, train_data.windows))),
            "train_positives": {k: int(v) for k, v in zip(keys, train_data.labels.sum(0), strict=True)},
            "pos_weight": {k: float(v) for k, v in zip(keys, pos_weight, strict=True)},
            "max_epochs": options.epochs, "epochs_run": len(history.epochs), "best_epoch": history.best_epoch,
            "best_validation_loss": history.best_loss if sets.validation else None, "patience": options.patience,
            "history": history.epochs, "seconds": seconds, "device": options.device,
            "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()
                        if k not in ("output", "gold", "eval_gold", "base_model")},
        },
        "metrics": metrics,
    }  # fmt: skip


def _base_model_name(folder: Path) -> str:
    """The checkpoint's hub name where its config.json keeps one, else the folder's last two parts
    (never a full local path)."""
    import json

    try:
        name = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("_name_or_path", "")
    except (OSError, ValueError):
        name = ""
    if isinstance(name, str) and name.count("/") == 1 and not name.startswith((".", "/", "~")):
        return name
    return f"{folder.parent.name}/{folder.name}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _save_tokenizer(base_model: Path, target: Path) -> dict:
    """The base model's fast tokenizer, saved as tokenizer.json for inference."""
    offline()
    from transformers import AutoTokenizer

    from omop_nlp.entities.bert.config import quiet_transformers

    quiet_transformers()

    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True, use_fast=True)
    except (OSError, ValueError) as exc:
        raise BertModelError(f"{base_model}: no usable tokenizer ({exc.__class__.__name__})") from None
    if not getattr(tokenizer, "is_fast", False):
        raise BertModelError(f"{base_model}: needs a fast (tokenizer.json) tokenizer")
    tokenizer.save_pretrained(target)
    if tokenizer.pad_token_id is None:
        raise BertModelError(f"{base_model}: the tokenizer has no padding token")
    return {"pad_id": tokenizer.pad_token_id}


__all__ = ["TrainOptions", "pos_weights", "text_digest", "torch_probabilities", "train_from_notes", "train_model"]
