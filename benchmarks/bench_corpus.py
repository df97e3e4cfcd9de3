"""Figures of the rule engine on the development corpus ``tests/corpus/`` (issue 13).

For every ``<style>.<modality>.<split>.jsonl`` file: entity micro-F1, report accuracy, relation
macro-F1 (lesion -> location, diagnosis -> episode) and report accuracy with / without a negated
mention (gold ``negated`` decides), then the same pooled over the styles per modality and split.
Only scores are printed, never report text: the test split may be scored, not read.

    python benchmarks/bench_corpus.py [--corpus DIR] [--split dev|test|all]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from omop_nlp.build import build_pipeline
from omop_nlp.evaluate import Annotation, ModalityReport, evaluate, load_annotations
from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / "tests" / "corpus"


def predict(pipeline: Pipeline, path: Path) -> dict[str, Annotation]:
    """The engine's findings for every report of ``path``, as the evaluator reads them."""
    out: dict[str, Annotation] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            result = pipeline.extract(Report(data["id"], data["text"], data["modality"]))
            out[data["id"]] = Annotation(data["id"], result.modality, result.findings_json())
    return out


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:6.1f}"


def row(name: str, report: ModalityReport) -> str:
    e, r, n = report.entities, report.relations, report.negation
    return (f"{name:<28}{report.reports:>5}{_pct(e.micro.f1)}{_pct(e.accuracy.value)}{_pct(r.macro.f1)}"
            f"{_pct(n.with_negated.value)}{_pct(n.without_negated.value)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    args = parser.parse_args(argv)

    pipeline = build_pipeline()
    pooled: dict[tuple[str, str], tuple[dict, dict]] = defaultdict(lambda: ({}, {}))
    print(f"{'file':<28}{'n':>5}{'entF1':>6}{'acc':>6}{'relF1':>6}{'neg+':>6}{'neg-':>6}")
    print("  (entF1 entity micro-F1, acc report accuracy, relF1 relation macro-F1, neg+ / neg- report")
    print("   accuracy on reports with / without a negated mention)")
    for path in sorted(args.corpus.glob("*.jsonl")):
        modality, split = path.name.split(".")[1:3]
        if args.split not in ("all", split):
            continue
        gold, predicted = load_annotations(path, gold=True), predict(pipeline, path)
        print(row(path.stem, evaluate(gold, predicted)[modality]))
        pooled[modality, split][0].update(gold)
        pooled[modality, split][1].update(predicted)
    print()
    for (modality, split), (gold, predicted) in sorted(pooled.items()):
        print(row(f"pooled {modality} {split}", evaluate(gold, predicted)[modality]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
