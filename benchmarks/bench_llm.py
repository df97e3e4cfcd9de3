"""Throughput of the LLM relation mapper against any OpenAI-compatible server (vLLM, llama.cpp...).

    python benchmarks/bench_llm.py --url http://localhost:8000/v1 [--model NAME] [--mode llm|hybrid]
        [--concurrency 64] [--input notes.jsonl] [--limit N] [--repeat K]

Reads reports (default: the devset's chest CT and brain MRI dev files, 200 reports), runs the
rules once for a baseline, then ``build_pipeline(PipelineConfig(llm=...)).extract_many`` (the path of
``omop-nlp extract``), and prints: notes/s end to end, the share of notes asked, answered and
fallen back (with reasons), and prompt / completion tokens per asked note as the server
reports them. ``--repeat`` sends the same notes again (a warm prefix cache); ``--json`` prints
the figures as one JSON object. No note text is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Report
from omop_nlp.relations.llm import LlmConfig
from omop_nlp.relations.llm.client import list_models

DEVSET = Path(__file__).resolve().parent.parent / "tests" / "devset"


def load_reports(paths: list[Path], limit: int | None) -> list[Report]:
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    reports.append(Report(str(row["id"]), row["text"], row.get("modality"), title=row.get("title")))
    return reports[:limit] if limit else reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="OpenAI-compatible base URL, e.g. http://localhost:8000/v1")
    parser.add_argument("--model", help="served model name (default: the server's only model)")
    parser.add_argument("--mode", choices=("llm", "hybrid"), default="llm")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--api-key-env", default="OMOP_NLP_LLM_API_KEY")
    parser.add_argument("--input", type=Path, action="append", help="JSONL with id, text, modality (repeatable)")
    parser.add_argument("--limit", type=int, help="use only the first N reports")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the same reports")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    api_key = os.environ.get(args.api_key_env) or None
    model = args.model
    if model is None:
        served = list_models(args.url, api_key)
        if len(served) != 1:
            print(f"--model needed: the server lists {served or 'no model'}", file=sys.stderr)
            return 2
        model = served[0]
    paths = args.input or [DEVSET / "chest_ct.dev.jsonl", DEVSET / "brain_mri.dev.jsonl"]
    reports = load_reports(paths, args.limit)

    rules = build_pipeline()
    started = time.perf_counter()
    for _ in rules.extract_many(reports):
        pass
    rules_s = time.perf_counter() - started

    config = LlmConfig(mode=args.mode, url=args.url, model=model, api_key=api_key, concurrency=args.concurrency,
                       max_tokens=args.max_tokens, timeout_s=args.timeout)  # fmt: skip
    pipeline = build_pipeline(PipelineConfig(llm=config))
    mapper = pipeline.relation_refiner
    passes = []
    for number in range(args.repeat):
        before = (mapper.stats.asked, mapper.stats.prompt_tokens, mapper.stats.completion_tokens)
        started = time.perf_counter()
        done = sum(1 for r in pipeline.extract_many(reports) if not isinstance(r, NoteSkipped))
        seconds = time.perf_counter() - started
        asked = mapper.stats.asked - before[0]
        passes.append({
            "pass": number + 1, "notes": len(reports), "results": done, "seconds": round(seconds, 2),
            "notes_per_s": round(len(reports) / seconds, 2), "asked": asked,
            "prompt_tokens_per_asked_note": round((mapper.stats.prompt_tokens - before[1]) / asked, 1) if asked else 0,
            "completion_tokens_per_asked_note":
                round((mapper.stats.completion_tokens - before[2]) / asked, 1) if asked else 0,
        })  # fmt: skip
    figures = {
        "url": args.url, "model": model, "mode": args.mode, "concurrency": args.concurrency,
        "response_format": mapper.backend.format_in_use, "rules_only_notes_per_s": round(len(reports) / rules_s, 1),
        "passes": passes, "answered": mapper.stats.answered, "fallback": mapper.stats.fallback,
        "fallback_reasons": dict(mapper.stats.reasons), "requests": mapper.stats.requests,
    }  # fmt: skip
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"server {args.url}  model {model}  mode {args.mode}  concurrency {args.concurrency}  "
          f"response_format {figures['response_format']}")  # fmt: skip
    print(f"rules only: {figures['rules_only_notes_per_s']} notes/s over {len(reports)} reports")
    for p in passes:
        print(f"pass {p['pass']}: {p['notes_per_s']} notes/s ({p['notes']} notes in {p['seconds']}s, {p['asked']} "
              f"asked); tokens per asked note: prompt {p['prompt_tokens_per_asked_note']}, completion "
              f"{p['completion_tokens_per_asked_note']}")  # fmt: skip
    print(mapper.stats.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
