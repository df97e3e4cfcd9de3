"""Scores predictions against gold annotations, as in annotation guideline section 4.

Both files are interchange JSONL (guideline section 1); reports are matched by ``id`` and the
gold ``modality`` decides which rules scores a report. Choices the guideline leaves open:

- A gold report with no prediction line is scored as an empty prediction; a prediction line
  without ``findings`` is one too. Prediction ids not in gold are ignored and counted.
- A ratio with a zero denominator is undefined (``None``, shown ``n/a``).
- Macro averages run over the keys that occur at least once in gold or prediction
  (TP + FP + FN > 0); keys that occur in neither are left out. Inside the average an
  undefined precision (key never predicted) or recall (key never in gold) counts as 0, and
  macro F1 is the mean of per-key F1 (scikit-learn's ``zero_division=0``).
- Relations are scored per gold instance of a key whose mapping says ``relates: true``
  (chest lesions but pleural effusion/thickening, brain glioma/lymphoma/metastasis), after
  bilateral expansion (``ModalityRules.expand``). Predicted keys absent from gold do not
  count here: entity classification already penalises them. A key whose instances have no
  related key in gold nor prediction counts in relation accuracy but not in macro P/R/F1.
- Negation split: a report has a negated mention when its gold line has a non-empty
  ``negated`` list (keys mentioned as absent); where the gold line has no ``negated`` field,
  when its prediction line has a mention of an entity key with certainty ``negated``. The
  report says how many reports each source decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from omop_nlp.jsonl import STDIN, JsonlError, LineProblem, iter_jsonl, jsonl_name
from omop_nlp.rules import MODALITIES, ModalityRules, load_rules


@dataclass(frozen=True)
class Annotation:
    """The fields of one interchange line that scoring reads."""

    id: str
    modality: str | None
    findings: dict[str, tuple[str, ...]]
    negated: tuple[str, ...] | None = None  # gold: keys mentioned as absent; None if no such field
    negated_mention_keys: frozenset[str] = frozenset()  # prediction: keys of mentions with certainty negated


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _read_id(data: dict) -> str:
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise LineProblem("missing or invalid 'id' (expected a non-empty string)")
    return str(value)


def _read_findings(data: dict, required: bool) -> dict[str, tuple[str, ...]]:
    if "findings" not in data and not required:
        return {}
    value = data.get("findings")
    if not isinstance(value, dict):
        raise LineProblem("missing or invalid 'findings' (expected an object of key -> list of keys)")
    if not all(_is_str_list(related) for related in value.values()):
        raise LineProblem("invalid 'findings': each value must be a list of strings")
    return {key: tuple(related) for key, related in value.items()}


def _read_gold_modality(data: dict) -> str:
    value = data.get("modality")
    if value not in MODALITIES:
        raise LineProblem(f"missing or unknown 'modality' (expected one of {', '.join(MODALITIES)})")
    return value


def _read_negated(data: dict) -> tuple[str, ...] | None:
    if "negated" not in data:
        return None
    if not _is_str_list(data["negated"]):
        raise LineProblem("invalid 'negated' (expected a list of keys)")
    return tuple(data["negated"])


def _negated_mention_keys(data: dict) -> frozenset[str]:
    """Keys of mentions with certainty negated; other systems' mention shapes are tolerated."""
    mentions = data.get("mentions")
    if not isinstance(mentions, list):
        return frozenset()
    return frozenset(
        m["key"]
        for m in mentions
        if isinstance(m, dict) and m.get("certainty") == "negated" and isinstance(m.get("key"), str)
    )


def _gold_annotation(data: dict) -> Annotation:
    return Annotation(
        id=_read_id(data),
        modality=_read_gold_modality(data),
        findings=_read_findings(data, required=True),
        negated=_read_negated(data),
    )


def _predicted_annotation(data: dict) -> Annotation:
    modality = data.get("modality")
    return Annotation(
        id=_read_id(data),
        modality=modality if isinstance(modality, str) else None,
        findings=_read_findings(data, required=False),
        negated_mention_keys=_negated_mention_keys(data),
    )


def load_annotations(path: Path | str, gold: bool) -> dict[str, Annotation]:
    """Reads a gold or prediction file into ``{id: Annotation}``; ids must be unique."""
    build = _gold_annotation if gold else _predicted_annotation
    out: dict[str, Annotation] = {}
    first_line: dict[str, int] = {}
    for lineno, data in iter_jsonl(path):
        try:
            annotation = build(data)
            if annotation.id in out:
                raise LineProblem(f"duplicate id (first on line {first_line[annotation.id]})")
        except LineProblem as exc:
            raise JsonlError(jsonl_name(path), lineno, str(exc)) from None
        out[annotation.id] = annotation
        first_line[annotation.id] = lineno
    return out


# --- metric types --------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Counts:
    """True/false positives and false negatives, with the ratios they give."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @classmethod
    def of(cls, gold: Iterable[str], predicted: Iterable[str]) -> Counts:
        gold, predicted = set(gold), set(predicted)
        return cls(len(gold & predicted), len(predicted - gold), len(gold - predicted))

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def empty(self) -> bool:
        return not (self.tp or self.fp or self.fn)

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def predicted(self) -> int:
        return self.tp + self.fp

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    def to_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class Rate:
    """A share such as accuracy: ``hits`` out of ``total``."""

    hits: int = 0
    total: int = 0

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.hits + other.hits, self.total + other.total)

    @property
    def value(self) -> float | None:
        return _ratio(self.hits, self.total)

    def to_dict(self) -> dict:
        return {"value": self.value, "hits": self.hits, "total": self.total}


@dataclass(frozen=True)
class Macro:
    """Macro-averaged precision, recall and F1 over ``keys`` keys (see module docstring)."""

    precision: float | None
    recall: float | None
    f1: float | None
    keys: int

    @classmethod
    def over(cls, per_key: Iterable[Counts]) -> Macro:
        used = [c for c in per_key if not c.empty]
        if not used:
            return cls(None, None, None, 0)

        def mean(values: Iterable[float | None]) -> float:
            return sum(v or 0.0 for v in values) / len(used)

        return cls(
            mean(c.precision for c in used), mean(c.recall for c in used), mean(c.f1 for c in used), len(used)
        )

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "keys": self.keys}


@dataclass(frozen=True)
class KeyScore:
    """One key's counts; for relations also the exact-match rate of its gold instances."""

    key: str
    counts: Counts
    exact: Rate | None = None

    def to_dict(self) -> dict:
        out = {"support": self.counts.support, "predicted": self.counts.predicted, **self.counts.to_dict()}
        if self.exact is not None:
            out = {
                "instances": self.exact.total,
                "exact": self.exact.hits,
                "accuracy": self.exact.value,
                **out,
            }
        return out


@dataclass(frozen=True)
class EntityScores:
    accuracy: Rate  # reports whose set of present keys is exactly right
    micro: Counts  # over (report, key) pairs
    macro: Macro
    specificity: Rate  # reports with no gold key that have no predicted key
    per_key: list[KeyScore]

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy.to_dict(),
            "micro": self.micro.to_dict(),
            "macro": self.macro.to_dict(),
            "specificity": self.specificity.to_dict(),
            "per_key": {s.key: s.to_dict() for s in self.per_key},
        }


@dataclass(frozen=True)
class RelationScores:
    accuracy: Rate  # gold entity instances whose related set is exactly right
    micro: Counts  # related keys over all instances
    macro: Macro  # related keys summed per entity key, then averaged over keys
    per_key: list[KeyScore]

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy.to_dict(),
            "micro": self.micro.to_dict(),
            "macro": self.macro.to_dict(),
            "per_key": {s.key: s.to_dict() for s in self.per_key},
        }


@dataclass(frozen=True)
class NegationScores:
    with_negated: Rate  # report-level accuracy on reports with a negated key mention
    without_negated: Rate
    decided_by_gold: int  # reports whose gold line has a 'negated' field
    decided_by_prediction: int  # reports decided from predicted mentions instead

    def to_dict(self) -> dict:
        return {
            "with_negated": self.with_negated.to_dict(),
            "without_negated": self.without_negated.to_dict(),
            "decided_by_gold": self.decided_by_gold,
            "decided_by_prediction": self.decided_by_prediction,
        }


@dataclass(frozen=True)
class ModalityReport:
    modality: str
    reports: int  # gold reports of this modality
    missing_predictions: int  # of them, without a prediction line
    entities: EntityScores
    relations: RelationScores
    negation: NegationScores
    unknown_keys: list[str] = field(default_factory=list)  # keys in findings that the mappings lack

    def to_dict(self) -> dict:
        return {
            "reports": self.reports,
            "missing_predictions": self.missing_predictions,
            "unknown_keys": list(self.unknown_keys),
            "entities": self.entities.to_dict(),
            "relations": self.relations.to_dict(),
            "negation": self.negation.to_dict(),
        }


@dataclass(frozen=True)
class EvaluationReport:
    gold: str
    prediction: str
    modalities: dict[str, ModalityReport]
    predictions_not_in_gold: int

    def to_dict(self) -> dict:
        return {
            "gold": self.gold,
            "prediction": self.prediction,
            "predictions_not_in_gold": self.predictions_not_in_gold,
            "modalities": {name: m.to_dict() for name, m in self.modalities.items()},
        }


# --- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """A gold report and its prediction (``None`` when the prediction file lacks it)."""

    gold: Annotation
    pred: Annotation | None

    @property
    def predicted_findings(self) -> dict[str, tuple[str, ...]]:
        return self.pred.findings if self.pred else {}

    @property
    def exact(self) -> bool:
        return set(self.gold.findings) == set(self.predicted_findings)


def _key_order(rules: ModalityRules, pairs: list[Pair]) -> list[str]:
    """The rules's keys in mappings order, then any other key seen, sorted."""
    seen = {key for p in pairs for key in (*p.gold.findings, *p.predicted_findings)}
    return [*rules.entities, *sorted(seen - rules.entities.keys())]


def score_entities(pairs: list[Pair], rules: ModalityRules) -> EntityScores:
    per_key = {key: Counts() for key in _key_order(rules, pairs)}
    for pair in pairs:
        gold, predicted = set(pair.gold.findings), set(pair.predicted_findings)
        for key in gold | predicted:
            per_key[key] += Counts.of(gold & {key}, predicted & {key})
    no_gold = [p for p in pairs if not p.gold.findings]
    return EntityScores(
        accuracy=Rate(sum(p.exact for p in pairs), len(pairs)),
        micro=sum(per_key.values(), Counts()),
        macro=Macro.over(per_key.values()),
        specificity=Rate(sum(not p.predicted_findings for p in no_gold), len(no_gold)),
        per_key=[KeyScore(key, counts) for key, counts in per_key.items()],
    )


def score_relations(pairs: list[Pair], rules: ModalityRules) -> RelationScores:
    keys = [key for key, definition in rules.entities.items() if definition.relates]
    counts = {key: Counts() for key in keys}
    exact = {key: Rate() for key in keys}
    for pair in pairs:
        for key in (k for k in keys if k in pair.gold.findings):
            gold = rules.expand(pair.gold.findings[key])
            predicted = rules.expand(pair.predicted_findings.get(key, ()))
            counts[key] += Counts.of(gold, predicted)
            exact[key] += Rate(int(gold == predicted), 1)
    return RelationScores(
        accuracy=sum(exact.values(), Rate()),
        micro=sum(counts.values(), Counts()),
        macro=Macro.over(counts.values()),
        per_key=[KeyScore(key, counts[key], exact[key]) for key in keys],
    )


def _has_negated_mention(pair: Pair, rules: ModalityRules) -> bool:
    if pair.gold.negated is not None:
        return bool(pair.gold.negated)
    mentioned = pair.pred.negated_mention_keys if pair.pred else frozenset()
    return bool(mentioned & rules.entities.keys())


def score_negation(pairs: list[Pair], rules: ModalityRules) -> NegationScores:
    with_negated, without_negated = Rate(), Rate()
    for pair in pairs:
        outcome = Rate(int(pair.exact), 1)
        if _has_negated_mention(pair, rules):
            with_negated += outcome
        else:
            without_negated += outcome
    by_gold = sum(p.gold.negated is not None for p in pairs)
    return NegationScores(with_negated, without_negated, by_gold, len(pairs) - by_gold)


def score_modality(modality: str, pairs: list[Pair]) -> ModalityReport:
    rules = load_rules(modality)
    keys = _key_order(rules, pairs)
    return ModalityReport(
        modality=modality,
        reports=len(pairs),
        missing_predictions=sum(p.pred is None for p in pairs),
        entities=score_entities(pairs, rules),
        relations=score_relations(pairs, rules),
        negation=score_negation(pairs, rules),
        unknown_keys=[key for key in keys if key not in rules.entities],
    )


def evaluate(gold: dict[str, Annotation], predicted: dict[str, Annotation]) -> dict[str, ModalityReport]:
    """Scores every modality present in gold, in ``MODALITIES`` order."""
    by_modality: dict[str, list[Pair]] = {}
    for report_id, annotation in gold.items():
        by_modality.setdefault(annotation.modality, []).append(Pair(annotation, predicted.get(report_id)))
    return {m: score_modality(m, by_modality[m]) for m in MODALITIES if m in by_modality}


def evaluate_files(gold: Path, pred: Path) -> EvaluationReport:
    """Reads both files and scores them; raises ``JsonlError`` on a malformed file."""
    if str(gold) == STDIN and str(pred) == STDIN:
        raise JsonlError("<stdin>", None, "gold and prediction cannot both be read from stdin")
    gold_annotations = load_annotations(gold, gold=True)
    predicted = load_annotations(pred, gold=False)
    return EvaluationReport(
        gold=jsonl_name(gold),
        prediction=jsonl_name(pred),
        modalities=evaluate(gold_annotations, predicted),
        predictions_not_in_gold=len(predicted.keys() - gold_annotations.keys()),
    )


# --- plain-text table ----------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _rate(rate: Rate) -> str:
    return f"{_pct(rate.value)} ({rate.hits}/{rate.total})"


def _prf(label: str, precision: float | None, recall: float | None, f1: float | None) -> str:
    return f"{label} P {_pct(precision)}  R {_pct(recall)}  F1 {_pct(f1)}"


def _summary(micro: Counts, macro: Macro) -> str:
    return (
        f"{_prf('micro', micro.precision, micro.recall, micro.f1)}  |  "
        f"{_prf('macro', macro.precision, macro.recall, macro.f1)} over {macro.keys} keys"
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "    " + "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )

    return [line(header), *(line(row) for row in rows)]


def _count_cells(c: Counts) -> list[str]:
    return [str(c.tp), str(c.fp), str(c.fn), _pct(c.precision), _pct(c.recall), _pct(c.f1)]


def _entity_lines(scores: EntityScores) -> list[str]:
    rows = [
        [s.key, str(s.counts.support), str(s.counts.predicted), *_count_cells(s.counts)]
        for s in scores.per_key
    ]
    return [
        f"  Entity keys  accuracy {_rate(scores.accuracy)}  specificity {_rate(scores.specificity)}",
        f"    {_summary(scores.micro, scores.macro)}",
        *_table(["key", "support", "predicted", "TP", "FP", "FN", "precision", "recall", "F1"], rows),
    ]


def _relation_lines(scores: RelationScores) -> list[str]:
    rows = [
        [s.key, str(s.exact.total), str(s.exact.hits), _pct(s.exact.value), *_count_cells(s.counts)]
        for s in scores.per_key
        if s.exact is not None
    ]
    return [
        f"  Relations    accuracy {_rate(scores.accuracy)} of gold entity instances",
        f"    {_summary(scores.micro, scores.macro)}",
        *_table(
            ["key", "instances", "exact", "accuracy", "TP", "FP", "FN", "precision", "recall", "F1"], rows
        ),
    ]


def _negation_line(scores: NegationScores) -> str:
    return (
        f"  Negation     accuracy with a negated mention {_rate(scores.with_negated)}, "
        f"without {_rate(scores.without_negated)} "
        f"(decided by gold 'negated' for {scores.decided_by_gold} reports, "
        f"by predicted mentions for {scores.decided_by_prediction})"
    )


def _modality_lines(report: ModalityReport) -> list[str]:
    lines = [
        f"{report.modality}: {report.reports} gold reports, {report.missing_predictions} without prediction"
    ]
    if report.unknown_keys:
        lines.append(f"  keys not in the mappings: {', '.join(report.unknown_keys)}")
    return [
        *lines,
        *_entity_lines(report.entities),
        *_relation_lines(report.relations),
        _negation_line(report.negation),
    ]


def format_table(report: EvaluationReport) -> str:
    """A readable plain-text summary, one block per modality."""
    lines = [
        f"gold {report.gold}  prediction {report.prediction}  "
        f"predictions not in gold: {report.predictions_not_in_gold}"
    ]
    for modality in report.modalities.values():
        lines += ["", *_modality_lines(modality)]
    if not report.modalities:
        lines.append("no gold reports")
    return "\n".join(lines)
