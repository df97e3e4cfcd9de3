"""`extract --workers N`: the same interchange lines as one process, in input order."""

from __future__ import annotations

import json
from pathlib import Path

DEVSET = Path(__file__).parents[1] / "devset"


def test_extract_with_workers_writes_what_one_process_writes_in_the_same_order(run_cli, tmp_path) -> None:
    lines = (DEVSET / "chest_ct.test.jsonl").read_text().splitlines()
    lines += (DEVSET / "brain_mri.test.jsonl").read_text().splitlines()
    lines.insert(7, json.dumps({"id": "empty-1", "text": "   "}))  # skipped in its place, the rest goes on
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code_one, _, err_one = run_cli("extract", str(source), "-o", str(tmp_path / "one.jsonl"))
    code_two, _, err_two = run_cli("extract", str(source), "-o", str(tmp_path / "two.jsonl"), "--workers", "2")
    assert code_one == code_two == 0
    one, two = (tmp_path / "one.jsonl").read_text(), (tmp_path / "two.jsonl").read_text()
    assert one == two and len(one.splitlines()) == len(lines) - 1
    assert err_one.splitlines()[-1] == err_two.splitlines()[-1]  # the summary: same skips, same reasons
