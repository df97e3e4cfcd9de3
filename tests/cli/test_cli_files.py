"""`extract` and `evaluate` on the command line: bad lines are skipped and reported, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

LINES = [
    b'{"id": "a", "text": "No pleural effusion. RUL nodule."}',
    b"\xff\xfe not utf-8",
    b'{"id": "b", "text": "   "}',
    b'{"id": "c"}',
    b'{"text": "an id is missing"}',
    b'{"id": "d", "text": "Knee MRI: small joint effusion."}',
    b'{"id": "e", "modality": "brain_mri", "text": "Known GBM. Increased enhancing tumor."}',
]


def test_extract_skips_bad_lines_and_reports_them(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(LINES) + b"\n")
    out = tmp_path / "out.jsonl"
    code, _, err = run_cli("extract", str(source), "-o", str(out))
    assert code == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["findings"]) for r in lines] == [
        ("a", {"nodule": ["rul"]}),
        ("e", {"glioma": ["progression"]}),
    ]
    assert "in.jsonl: line 2: not valid UTF-8" in err
    assert "report b: empty_text" in err
    assert "report d: unknown_modality" in err
    assert "extracted 2 report(s); skipped: 1 empty_text, 3 invalid_line, 1 unknown_modality" in err
    assert "RUL nodule" not in err  # no note text in messages


def test_extract_mentions_point_into_the_text(run_cli, tmp_path: Path) -> None:
    text = "FINDINGS: 7 mm nodule in the RLL. No effusion."
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "x", "text": text}) + "\n")
    out = tmp_path / "out.jsonl"
    assert run_cli("extract", str(source), "-o", str(out))[0] == 0
    line = json.loads(out.read_text())
    assert {m["key"]: (m["certainty"], m["section"]) for m in line["mentions"]} == {
        "nodule": ("present", "findings"), "rll": ("present", "findings"), "pleural_effusion": ("negated", "findings"),
    }
    assert all(text[m["start"] : m["end"]] == m["text"] for m in line["mentions"])


def test_extract_then_evaluate_round_trip(run_cli, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "x", "modality": "chest_ct", "text": "Bibasilar atelectasis.",
                                "findings": {"atelectasis": ["rll", "lll"]}}) + "\n")
    pred = tmp_path / "pred.jsonl"
    assert run_cli("extract", str(gold), "-o", str(pred))[0] == 0
    code, out, _ = run_cli("evaluate", str(gold), str(pred), "--json")
    assert code == 0
    chest = json.loads(out)["modalities"]["chest_ct"]
    assert chest["entities"]["accuracy"]["value"] == 1.0
    assert chest["relations"]["accuracy"]["value"] == 1.0  # bll scores the same as [rll, lll]


def test_evaluate_errors_lists_each_error_with_its_sentence(run_cli, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "x", "modality": "chest_ct", "text": "Small RML nodule. No effusion.",
                                "findings": {"nodule": ["rll"], "atelectasis": []}}) + "\n")
    pred = tmp_path / "pred.jsonl"
    assert run_cli("extract", str(gold), "-o", str(pred))[0] == 0
    code, out, _ = run_cli("evaluate", str(gold), str(pred), "--errors")
    assert code == 0
    assert "chest_ct: missed key (1)" in out and "x  atelectasis  gold []  predicted -" in out
    assert "chest_ct: wrong location (1)" in out and "[present [rml]] Small RML nodule." in out
    code, out, _ = run_cli("evaluate", str(gold), str(pred), "--json", "--errors")
    assert {e["kind"] for e in json.loads(out)["errors"]} == {"missed key", "wrong location"}


def test_cli_errors_are_one_line(run_cli, tmp_path: Path) -> None:
    assert run_cli("extract", str(tmp_path / "missing.jsonl")) [0] == 2
    code, _, err = run_cli("extract", "-", "--modality", "xray")
    assert code == 2 and err.strip() == "error: [E100] unknown modality 'xray': use auto, chest_ct, brain_mri"
    bad = tmp_path / "gold.jsonl"
    bad.write_text("{not json\n")
    code, _, err = run_cli("evaluate", str(bad), str(bad))
    assert code == 2 and err.strip().startswith("error: [E101] ") and "line 1: not valid JSON" in err
    assert "Traceback" not in err
