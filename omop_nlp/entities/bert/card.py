"""Metrics on gold reports and the model card (``model_card.json`` + ``MODEL_CARD.md``).

Scores are the guideline's entity-key scores (``omop_nlp.evaluate.score_entities``) for three
predictors on the same gold reports the model never trained on:

- ``bert``: keys at or above the threshold;
- ``rules``: the lexicon + ConText engine alone;
- ``union``: the rules plus the classifier's additions (``combine.union_additions``), i.e. what
  ``omop-nlp extract --bert`` outputs.

The card holds counts and figures only: no note text, no report ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from omop_nlp.entities.bert.combine import union_additions
from omop_nlp.entities.bert.config import CARD_JSON, CARD_MD
from omop_nlp.entities.bert.labels import Example
from omop_nlp.errors import NoteSkipped
from omop_nlp.evaluate import Annotation, Pair, score_entities
from omop_nlp.model import Report
from omop_nlp.rules import ModalityRules

THRESHOLD_SWEEP = (0.1, 0.3, 0.5, 0.7, 0.9)


def rule_outputs(examples: list[Example], pipeline, rules: ModalityRules) -> tuple[list[set[str]], list[set[str]]]:
    """(present keys, mentioned entity keys) per example from the rule pipeline, modality forced."""
    present, mentioned = [], []
    for example in examples:
        try:
            result = pipeline.extract(Report(example.ref, example.text, modality=rules.modality))
        except NoteSkipped:
            present.append(set())
            mentioned.append(set())
            continue
        present.append(set(result.findings))
        mentioned.append({m.key for m in result.mentions if m.type == rules.entity_type})
    return present, mentioned


def entity_scores(examples: list[Example], predicted: list[set[str]], rules: ModalityRules) -> dict:
    keys = list(rules.entities)
    pairs = []
    for example, keys_predicted in zip(examples, predicted, strict=True):
        gold = {k: () for k, label in zip(keys, example.labels, strict=True) if label >= 0.5}
        pairs.append(Pair(Annotation(example.ref, rules.modality, gold),
                          Annotation(example.ref, rules.modality, {k: () for k in keys_predicted})))  # fmt: skip
    scores = score_entities(pairs, rules)
    return {
        "reports": len(examples),
        "accuracy": scores.accuracy.value,
        "micro": scores.micro.to_dict(),
        "macro": {"precision": scores.macro.precision, "recall": scores.macro.recall, "f1": scores.macro.f1},
        "specificity": scores.specificity.value,
        "per_key": {s.key: {"support": s.counts.support, "tp": s.counts.tp, "fp": s.counts.fp, "fn": s.counts.fn,
                            "f1": s.counts.f1} for s in scores.per_key if not s.counts.empty},
    }  # fmt: skip


def evaluate_gold(examples: list[Example], probs: np.ndarray, pipeline, rules: ModalityRules,
                  threshold: float, union_threshold: float) -> dict:  # fmt: skip
    keys = list(rules.entities)
    present, mentioned = rule_outputs(examples, pipeline, rules)

    def bert_keys(t: float) -> list[set[str]]:
        return [{k for k, p in zip(keys, row, strict=True) if p >= t} for row in probs]

    def union_keys(t: float) -> list[set[str]]:
        return [by_rules | set(union_additions(keys, row, seen, t))
                for by_rules, seen, row in zip(present, mentioned, probs, strict=True)]  # fmt: skip

    union = union_keys(union_threshold)
    out = {
        "reports": len(examples),
        "threshold": threshold,
        "union_threshold": union_threshold,
        "bert": entity_scores(examples, bert_keys(threshold), rules),
        "rules": entity_scores(examples, present, rules),
        "union": entity_scores(examples, union, rules),
        "union_added": int(sum(len(u - r) for u, r in zip(union, present, strict=True))),
        "sweep": {},
    }
    for t in THRESHOLD_SWEEP:
        bert, union = entity_scores(examples, bert_keys(t), rules), entity_scores(examples, union_keys(t), rules)
        out["sweep"][f"{t:.2f}"] = {
            "bert_micro_f1": bert["micro"]["f1"], "bert_recall": bert["micro"]["recall"],
            "union_micro_f1": union["micro"]["f1"], "union_recall": union["micro"]["recall"],
        }  # fmt: skip
    return out


def write_card(folder: Path, card: dict) -> None:
    (folder / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (folder / CARD_MD).write_text(markdown(card), encoding="utf-8")


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _score_rows(evaluation: dict) -> list[str]:
    rows = ["| predictor | micro P | micro R | micro F1 | macro F1 | report accuracy |",
            "| --- | --- | --- | --- | --- | --- |"]
    for name in ("bert", "rules", "union"):
        s = evaluation[name]
        rows.append(f"| {name} | {_f(s['micro']['precision'])} | {_f(s['micro']['recall'])} | {_f(s['micro']['f1'])} "
                    f"| {_f(s['macro']['f1'])} | {_f(s['accuracy'])} |")  # fmt: skip
    return rows


def markdown(card: dict) -> str:
    data, training = card["data"], card["training"]
    lines = [
        f"# omop-nlp stage-1 classifier: {card['modality']} ({card['model_id']})",
        "",
        f"BERT multi-label entity-key classifier (keys: {', '.join(card['keys'])}). Base model "
        f"`{card['base_model']}`; windows of {card['max_length']} tokens (stride {card['stride']}), a key's "
        f"probability is its maximum over the windows; threshold {card['threshold']}.",
        "",
        "Combined with the lexicon by the recall-union policy (docs/bert.md): a key the lexicon did not mention at",
        f"all is added as `hedged` when its probability reaches {card['union_threshold']} (the union threshold);",
        "lexicon findings and negations stand. Below, `bert` is the classifier alone at its threshold, `union` what",
        "`--bert` outputs.",
        "",
        "## Data",
        "",
        f"- site notes read: {data['weak']['notes_read']}; routed to another modality: "
        f"{data['weak']['routed_to_other_modality']}; skipped: {data['weak']['skipped'] or 'none'}; "
        f"duplicates or gold: {data['weak']['duplicate_texts']}; weakly labelled: {data['weak']['used']}",
        f"- gold reports: {data['gold']['reports']} ({data['gold']['train']} trained on, "
        f"{data['gold']['held_out']} held out); evaluation-only gold: {data['eval_gold_reports']}",
        f"- training examples: {training['train_examples']}; validation: {training['validation_examples']}",
        "",
        "| key | weak present | weak asserted absent | weak not mentioned | train positives | pos_weight |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key in card["keys"]:
        weak = data["weak"]["per_key"].get(key, {})
        lines.append(f"| {key} | {weak.get('present', 0)} | {weak.get('asserted_absent', 0)} | "
                     f"{weak.get('not_mentioned', 0)} | {training['train_positives'][key]} | "
                     f"{training['pos_weight'][key]:.2f} |")  # fmt: skip
    lines += [
        "",
        "## Training",
        "",
        f"{training['epochs_run']} epoch(s) of at most {training['max_epochs']} (early stopping, patience "
        f"{training['patience']}); best epoch {training['best_epoch']} (validation loss "
        f"{_f(training['best_validation_loss'])}); {training['seconds']:.0f} s on {training['device']}.",
        "",
        "| epoch | train loss | validation loss | validation micro F1 (vs labels) |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {h['epoch']} | {_f(h['train_loss'])} | {_f(h['validation_loss'])} | {_f(h['validation_micro_f1'])} |"
              for h in training["history"]]  # fmt: skip
    for title, key in (("Held-out gold", "held_out_gold"), ("Evaluation gold", "eval_gold")):
        evaluation = card["metrics"].get(key)
        if not evaluation:
            continue
        lines += ["", f"## {title} ({evaluation['reports']} reports)", "", *_score_rows(evaluation), "",
                  f"At the union threshold {evaluation['union_threshold']} the union added "
                  f"{evaluation['union_added']} key(s) to the rules' findings.", "",
                  "| threshold | bert micro F1 | bert recall | union micro F1 | union recall |",
                  "| --- | --- | --- | --- | --- |"]  # fmt: skip
        lines += [f"| {t} | {_f(s['bert_micro_f1'])} | {_f(s['bert_recall'])} | {_f(s['union_micro_f1'])} "
                  f"| {_f(s['union_recall'])} |" for t, s in evaluation["sweep"].items()]  # fmt: skip
    if not any(card["metrics"].get(k) for k in ("held_out_gold", "eval_gold")):
        lines += ["", "No gold reports were given: the model has no measured figures (train with --gold)."]
    lines += [
        "",
        "## Limits",
        "",
        "- Labels come from the site's lexicon: the classifier learns what the lexicon finds, plus whatever the",
        "  encoder generalises to; it is no better than its labels on vocabulary neither knows.",
        "- A key added by the classifier has no span, no location and no episode.",
        "- No note text is stored in this folder; the weights may still memorise phrases of the training notes:",
        "  share the model only where the notes themselves could be shared.",
        "",
    ]
    return "\n".join(lines)
