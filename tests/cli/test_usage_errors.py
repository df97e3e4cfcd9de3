"""Every usage error of the command line: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from omop_nlp import __version__

REPO = Path(__file__).resolve().parents[2]


def _one_line_exit_2(result: tuple[int, str, str], message: str) -> None:
    code, _, err = result
    assert code == 2, err
    assert err.count("\n") == 1 and re.match(r"error: \[E[1-3]\d\d\] ", err) and message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["frobnicate"], "No such command 'frobnicate'"),
    (["run"], "missing --cdm: the CDM database URL (or set OMOP_NLP_CDM)"),
    (["unload", "--nlp-system", "x"], "missing --cdm"),
    (["init-db"], "missing --cdm"),
    (["run", "--cdm", "sqlite:///unused.db", "--batch-size", "0"], "'--batch-size'"),
    (["run", "--cdm", "sqlite:///unused.db", "--workers", "0"], "'--workers'"),
    (["run", "--cdm", "sqlite:///unused.db", "--no-such-option"], "No such option: --no-such-option"),
    (["run", "--cdm", "not a url"], "not a database URL"),
    (["run", "--cdm", "mysql://u@h/db"], "unsupported database 'mysql'"),
    (["run", "--cdm", "sqlite:///unused.db", "--modality", "xray"], "unknown modality 'xray'"),
    (["unload", "--cdm", "sqlite:///unused.db", "--nlp-system", " "], "--nlp-system must not be empty"),
    (["extract", "missing.jsonl"], "input file not found: missing.jsonl"),
    (["extract", "-", "--max-note-chars", "0"], "'--max-note-chars'"),
    (["extract", "-", "--mapper", "llm", "--llm-url", "localhost:8000/v1"], "--llm-url must start with http://"),
    (["extract", "-", "--fhir-url", "fhir.example.org"], "FHIR server URL must start with http://"),
    (["extract", "-", "--bert", "no-such-model-folder"], "--bert: not a folder: no-such-model-folder"),
    (["fhir-resend", "missing.ndjson", "--fhir-url", "http://localhost:1/fhir"], "dead-letter file not found"),
    (["evaluate", "missing.jsonl", "missing.jsonl"], "missing.jsonl: file not found"),
])  # fmt: skip
def test_a_usage_error_is_one_line_and_exit_2(run_cli, monkeypatch, tmp_path, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("OMOP_NLP_CDM", "OMOP_NLP_CDM_SCHEMA", "OMOP_NLP_RESULTS_SCHEMA", "OMOP_NLP_LLM_URL",
                 "OMOP_NLP_FHIR_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    _one_line_exit_2(run_cli(*args), message)
    assert not (tmp_path / "unused.db").exists()  # nothing was created before the error


def test_the_cdm_url_comes_from_the_environment(run_cli, monkeypatch, tmp_path) -> None:
    """A password need not be on the command line: --cdm defaults to $OMOP_NLP_CDM."""
    monkeypatch.setenv("OMOP_NLP_CDM", "postgresql://reader:s3cret@/cdm?host=/nonexistent-socket-dir")
    code, _, err = run_cli("unload", "--nlp-system", "x")
    assert code == 2 and err.count("\n") == 1 and "s3cret" not in err


def test_version(run_cli) -> None:
    assert run_cli("--version") == (0, f"omop-nlp {__version__}\n", "")


def test_usage_errors_do_not_need_click() -> None:
    """Typer no longer depends on click: the error handler must not import it."""
    code = "import sys; sys.modules['click'] = None; from omop_nlp.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "frobnicate"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert (done.returncode, done.stderr) == (2, "error: [E100] No such command 'frobnicate'.\n")
