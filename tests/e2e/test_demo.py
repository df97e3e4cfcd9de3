"""`omop-nlp demo` end to end: NOTE_NLP rows of a known sample note and the FHIR files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "omop_nlp" / "demo" / "sample_notes.jsonl"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "omop_nlp", "demo", "--workdir", str(workdir)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "processed: 44 notes" in done.stdout
    return workdir


def _rows(workdir: Path, note_id: int) -> list[tuple]:
    with sqlite3.connect(workdir / "cdm.sqlite") as conn:
        return conn.execute(
            'SELECT lexical_variant, "offset", term_exists, note_nlp_concept_id, term_modifiers '
            "FROM note_nlp WHERE note_id = ? ORDER BY CAST(\"offset\" AS INTEGER)", (note_id,)
        ).fetchall()


def test_first_note_rows(demo_dir: Path) -> None:
    text = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[0])["text"]
    rows = _rows(demo_dir, 1)
    nodule_at = text.index("There is a 7 mm solid nodule in the right upper lobe.") + len("There is a 7 mm ")
    effusion_at = text.index("No pleural effusion.") + len("No ")
    by_offset = {int(r[1]): r for r in rows}
    nodule = by_offset[nodule_at]
    assert nodule[0] == "solid nodule" and nodule[2] == "Y"
    assert nodule[3] == 37206719  # Nodule of lung, resolved from the demo CONCEPT table
    assert "rul" in nodule[4]
    effusion = by_offset[effusion_at]
    assert effusion[0] == "pleural effusion" and effusion[2] == "N"
    assert effusion[3] == 254061


def test_rerun_is_idempotent(demo_dir: Path) -> None:
    before = _rows(demo_dir, 1)
    done = subprocess.run([sys.executable, "-m", "omop_nlp", "run", "--cdm", f"sqlite:///{demo_dir / 'cdm.sqlite'}",
                           "--reprocess", "--no-progress"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(r[:4] for r in _rows(demo_dir, 1)) == sorted(r[:4] for r in before)


def test_fhir_files(demo_dir: Path) -> None:
    observations = [json.loads(line) for line in (demo_dir / "fhir" / "Observation.ndjson").open()]
    conditions = [json.loads(line) for line in (demo_dir / "fhir" / "Condition.ndjson").open()]
    assert observations and conditions
    assert all(r["meta"]["security"][0]["code"] == "AIAST" for r in observations + conditions)
    codes = {c["code"] for r in observations for c in r["code"].get("coding", [])}
    assert "786838002" in codes  # Nodule of lung
