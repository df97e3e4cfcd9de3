"""Helpers of the report tests: the command line, extract and report as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_NOTES = REPO / "omop_nlp" / "demo" / "sample_notes.jsonl"


def omop_nlp(*args: str | Path) -> subprocess.CompletedProcess:
    """The command line, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "omop_nlp", *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=REPO)  # fmt: skip


def extract(notes: Path, out: Path) -> Path:
    done = omop_nlp("extract", notes, "-o", out)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def report(predictions: Path, notes: Path, out: Path, *options: str) -> Path:
    done = omop_nlp("report", predictions, "--input", notes, "-o", out, *options)
    assert done.returncode == 0, done.stderr[-2000:]
    return out
