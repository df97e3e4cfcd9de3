"""Evaluator metrics on small gold/prediction pairs whose values were worked out by hand."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from omop_nlp.evaluate import (
    EvaluationReport,
    JsonlError,
    evaluate_files,
    format_table,
    iter_jsonl,
)


def _write(path: Path, rows: list[dict | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ct(report_id: str, findings: dict, **extra: object) -> dict:
    return {"id": report_id, "modality": "chest_ct", "findings": findings, **extra}


def _mri(report_id: str, findings: dict, **extra: object) -> dict:
    return {"id": report_id, "modality": "brain_mri", "findings": findings, **extra}


def _run(tmp_path: Path, gold: list, pred: list) -> EvaluationReport:
    return evaluate_files(_write(tmp_path / "gold.jsonl", gold), _write(tmp_path / "pred.jsonl", pred))


def test_exact_match_scores_everything_perfect(tmp_path: Path) -> None:
    gold = [_ct("a", {"nodule": ["rul"], "pleural_effusion": []}), _ct("b", {"ggo": ["lll", "pleura"]})]
    ct = _run(tmp_path, gold, gold).modalities["chest_ct"]
    assert ct.entities.accuracy.value == 1.0
    assert (ct.entities.micro.tp, ct.entities.micro.fp, ct.entities.micro.fn) == (3, 0, 0)
    assert ct.entities.macro.f1 == 1.0 and ct.entities.macro.keys == 3  # nodule, pleural_effusion, ggo
    assert ct.relations.accuracy.hits == ct.relations.accuracy.total == 2  # nodule, ggo
    assert ct.relations.micro.f1 == 1.0
    assert ct.entities.specificity.total == 0 and ct.entities.specificity.value is None


def test_missing_report_and_extra_keys(tmp_path: Path) -> None:
    gold = [
        _ct("r1", {"nodule": ["rul"], "ggo": ["lll"]}),
        _ct("r2", {"atelectasis": ["bll"]}),
        _ct("r3", {}),
        _ct("r4", {"consolidation": ["rml"]}),
    ]
    pred = [
        _ct("r1", {"nodule": ["rul"], "ggo": ["lll"], "fibrosis": []}),  # one extra key
        # r2 missing: an empty prediction
        _ct("r3", {}),
        _ct("r4", {"consolidation": ["rml"]}),
        _ct("r9", {"nodule": []}),  # not in gold: ignored, counted
    ]
    report = _run(tmp_path, gold, pred)
    ct = report.modalities["chest_ct"]
    assert report.predictions_not_in_gold == 1
    assert (ct.reports, ct.missing_predictions) == (4, 1)
    # Accuracy: r3 and r4 exact, r1 (extra fibrosis) and r2 (missing) wrong -> 2/4.
    assert (ct.entities.accuracy.hits, ct.entities.accuracy.total) == (2, 4)
    # Micro: TP nodule, ggo, consolidation = 3; FP fibrosis = 1; FN atelectasis = 1 -> P = R = F1 = 3/4.
    micro = ct.entities.micro
    assert (micro.tp, micro.fp, micro.fn) == (3, 1, 1)
    assert micro.precision == micro.recall == micro.f1 == pytest.approx(3 / 4)
    # Macro over the 5 keys that occur: nodule, ggo, consolidation (1, 1, 1), atelectasis (P n/a -> 0,
    # R 0, F1 0), fibrosis (P 0, R n/a -> 0, F1 0): P = R = F1 = 3/5; the 6 other keys are left out.
    macro = ct.entities.macro
    assert macro.keys == 5
    assert macro.precision == macro.recall == macro.f1 == pytest.approx(3 / 5)
    per_key = {s.key: s.counts for s in ct.entities.per_key}
    assert per_key["atelectasis"].precision is None and per_key["atelectasis"].recall == 0.0
    assert per_key["fibrosis"].recall is None and per_key["fibrosis"].support == 0
    assert per_key["mass"].empty
    # Specificity: r3 is the only report with no gold key and has no predicted key -> 1/1.
    assert (ct.entities.specificity.hits, ct.entities.specificity.total) == (1, 1)
    # Relations: r2's atelectasis is undetected, so scored with an empty prediction: {rll, lll} -> FN 2.
    # Accuracy 3/4; micro TP 3, FP 0, FN 2 -> P 1, R 3/5, F1 6/8; macro over nodule, ggo, consolidation
    # (F1 1 each) and atelectasis (0) -> P = R = F1 = 3/4.
    rel = ct.relations
    assert (rel.accuracy.hits, rel.accuracy.total) == (3, 4)
    assert (rel.micro.tp, rel.micro.fp, rel.micro.fn) == (3, 0, 2)
    assert rel.micro.precision == 1.0
    assert rel.micro.recall == pytest.approx(3 / 5)
    assert rel.micro.f1 == pytest.approx(6 / 8)
    assert rel.macro.precision == rel.macro.recall == rel.macro.f1 == pytest.approx(3 / 4)


def test_bilateral_expansion_scores_both_spellings_the_same(tmp_path: Path) -> None:
    gold = [
        _ct("a", {"atelectasis": ["bll"]}),
        _ct("b", {"nodule": ["rul", "lul"]}),
        _ct("c", {"fibrosis": ["right_lung", "left_lung"]}),
    ]
    pred = [
        _ct("a", {"atelectasis": ["rll", "lll"]}),  # bll == {rll, lll}
        _ct("b", {"nodule": ["bul"]}),  # bul == {rul, lul}
        _ct("c", {"fibrosis": ["bll"]}),  # lungs are not lobes: {rll, lll} vs {right_lung, left_lung}
    ]
    rel = _run(tmp_path, gold, pred).modalities["chest_ct"].relations
    assert (rel.accuracy.hits, rel.accuracy.total) == (2, 3)
    by_key = {s.key: s for s in rel.per_key}
    # Expanded sets are counted, not the spelled keys: atelectasis TP 2, nodule TP 2.
    assert by_key["atelectasis"].counts == by_key["nodule"].counts
    assert (by_key["atelectasis"].counts.tp, by_key["atelectasis"].counts.fp) == (2, 0)
    fibrosis = by_key["fibrosis"].counts
    assert (fibrosis.tp, fibrosis.fp, fibrosis.fn) == (0, 2, 2)


def test_relation_macro_averages_over_entity_keys(tmp_path: Path) -> None:
    gold = [
        _ct("a", {"nodule": ["rul", "rml", "rll", "lul"]}),
        _ct("b", {"mass": ["lll"]}),
        _ct("c", {"ggo": []}),
    ]
    pred = [
        _ct("a", {"nodule": ["rul", "rml", "rll", "lul"]}),  # TP 4
        _ct("b", {"mass": ["lul"]}),  # TP 0, FP 1, FN 1
        _ct("c", {"ggo": []}),  # exact, but no related key on either side
    ]
    rel = _run(tmp_path, gold, pred).modalities["chest_ct"].relations
    # Accuracy counts all three instances: a and c exact -> 2/3.
    assert (rel.accuracy.hits, rel.accuracy.total) == (2, 3)
    # Micro: TP 4, FP 1, FN 1 -> P = R = F1 = 4/5.
    assert rel.micro.precision == rel.micro.recall == rel.micro.f1 == pytest.approx(4 / 5)
    # Macro: nodule 1, mass 0; ggo has no related key anywhere and is left out -> (1 + 0) / 2 = 1/2.
    assert rel.macro.keys == 2
    assert rel.macro.precision == rel.macro.recall == rel.macro.f1 == pytest.approx(1 / 2)
    ggo = next(s for s in rel.per_key if s.key == "ggo")
    assert ggo.exact.value == 1.0 and ggo.counts.precision is None


def test_specificity_counts_reports_without_gold_keys(tmp_path: Path) -> None:
    gold = [_ct("a", {}), _ct("b", {}), _ct("c", {"nodule": []}), _ct("d", {})]
    pred = [_ct("a", {}), _ct("b", {"ggo": ["rul"]}), _ct("c", {"nodule": []})]  # d missing: empty
    ent = _run(tmp_path, gold, pred).modalities["chest_ct"].entities
    # Reports with no gold key: a, b, d; with no predicted key: a, d -> 2/3.
    assert (ent.specificity.hits, ent.specificity.total) == (2, 3)
    # Accuracy: a, c, d exact -> 3/4.
    assert (ent.accuracy.hits, ent.accuracy.total) == (3, 4)


def test_pleural_effusion_and_thickening_are_not_scored_for_relations(tmp_path: Path) -> None:
    gold = [_ct("a", {"pleural_effusion": ["pleura"], "pleural_thickening": [], "nodule": ["rul"]})]
    pred = [_ct("a", {"pleural_effusion": [], "pleural_thickening": ["pleura", "rll"], "nodule": ["rul"]})]
    ct = _run(tmp_path, gold, pred).modalities["chest_ct"]
    assert ct.entities.accuracy.value == 1.0
    rel = ct.relations
    assert (rel.accuracy.hits, rel.accuracy.total) == (1, 1)  # only the nodule instance
    assert (rel.micro.tp, rel.micro.fp, rel.micro.fn) == (1, 0, 0)
    keys = {s.key for s in rel.per_key}
    assert "pleural_effusion" not in keys and "pleural_thickening" not in keys
    assert len(keys) == 9


def test_brain_mri_relations_cover_only_malignant_diagnoses(tmp_path: Path) -> None:
    gold = [
        _mri("m1", {"glioma": ["progression"], "non_malignant_tumor": []}),
        _mri("m2", {"metastasis": ["progression", "improvement"]}),
        _ct("c1", {"nodule": ["rul"]}),
    ]
    pred = [
        _mri("m1", {"glioma": ["progression"], "lymphoma": ["progression"], "non_malignant_tumor": []}),
        _mri("m2", {"metastasis": ["progression"]}),
        _ct("c1", {"nodule": ["rul"]}),
    ]
    report = _run(tmp_path, gold, pred)
    assert list(report.modalities) == ["chest_ct", "brain_mri"]
    mri = report.modalities["brain_mri"]
    # Entities: m1 has a false lymphoma -> accuracy 1/2; micro TP 3, FP 1, FN 0.
    assert (mri.entities.accuracy.hits, mri.entities.micro.tp, mri.entities.micro.fp) == (1, 3, 1)
    # Relations: glioma exact (TP 1); metastasis TP 1, FN 1; the false lymphoma is not a gold instance.
    rel = mri.relations
    assert [s.key for s in rel.per_key] == ["glioma", "lymphoma", "metastasis"]
    assert (rel.accuracy.hits, rel.accuracy.total) == (1, 2)
    assert (rel.micro.tp, rel.micro.fp, rel.micro.fn) == (2, 0, 1)
    # Macro over glioma (P 1, R 1) and metastasis (P 1, R 1/2, F1 2/3): R = 3/4, F1 = 5/6.
    assert rel.macro.recall == pytest.approx(3 / 4)
    assert rel.macro.f1 == pytest.approx(5 / 6)


def test_negation_split_uses_gold_field_else_predicted_mentions(tmp_path: Path) -> None:
    negated_nodule = [{"key": "nodule", "certainty": "negated"}]
    gold = [
        _ct("r1", {"nodule": ["rul"]}, negated=["ggo"]),  # with
        _ct("r2", {}, negated=["pleural_effusion"]),  # with
        _ct("r3", {"ggo": ["lll"]}, negated=[]),  # without: the gold field decides, not the mentions
        _ct("r4", {"ggo": ["lll"]}),  # no field: prediction's negated mention -> with
        _ct("r5", {}),  # no field, only a present mention -> without
    ]
    pred = [
        _ct("r1", {"nodule": ["rul"]}),
        _ct("r2", {"pleural_effusion": []}),  # wrong
        _ct("r3", {"ggo": ["lll"]}, mentions=negated_nodule),
        _ct("r4", {"ggo": ["lll"]}, mentions=negated_nodule),
        _ct("r5", {}, mentions=[{"key": "nodule", "certainty": "present"}, "not a mention"]),
    ]
    neg = _run(tmp_path, gold, pred).modalities["chest_ct"].negation
    # With: r1 right, r2 wrong, r4 right -> 2/3. Without: r3, r5 right -> 2/2.
    assert (neg.with_negated.hits, neg.with_negated.total) == (2, 3)
    assert (neg.without_negated.hits, neg.without_negated.total) == (2, 2)
    assert (neg.decided_by_gold, neg.decided_by_prediction) == (3, 2)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": "x", "modality": "chest_ct", "findings": {"nodule": ["SECRET TEXT"]', "not valid JSON"),
        ('["SECRET TEXT"]', "expected a JSON object"),
        ('{"modality": "chest_ct", "findings": {}, "text": "SECRET TEXT"}', "missing or invalid 'id'"),
        ('{"id": "x", "modality": "chest_ct", "findings": {"nodule": "SECRET TEXT"}}', "invalid 'findings'"),
        ('{"id": "x", "findings": {}, "text": "SECRET TEXT"}', "unknown 'modality'"),
        ('{"id": "x", "modality": "chest_ct", "text": "SECRET TEXT"}', "missing or invalid 'findings'"),
        (
            '{"id": "a", "modality": "chest_ct", "findings": {}, "text": "SECRET TEXT"}',
            "duplicate id (first on line 1)",
        ),
    ],
)
def test_malformed_gold_line_names_file_and_line_not_text(tmp_path: Path, line: str, problem: str) -> None:
    gold = _write(tmp_path / "gold.jsonl", [_ct("a", {}), "", line])
    pred = _write(tmp_path / "pred.jsonl", [_ct("a", {})])
    with pytest.raises(JsonlError) as info:
        evaluate_files(gold, pred)
    message = str(info.value)
    assert message.startswith(f"{gold}: line 3: ")  # the blank line 2 still counts
    assert problem in message
    assert "SECRET" not in message
    assert (info.value.line, info.value.path) == (3, str(gold))


def test_bad_utf8_and_missing_prediction_file(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [_ct("a", {})])
    bad = tmp_path / "pred.jsonl"
    bad.write_bytes(b'{"id": "a", "findings": {}}\n{"id": "\xff\xfe"}\n')
    with pytest.raises(JsonlError, match=r"pred\.jsonl: line 2: not valid UTF-8"):
        evaluate_files(gold, bad)
    with pytest.raises(JsonlError, match=r"nope\.jsonl: file not found"):
        evaluate_files(gold, tmp_path / "nope.jsonl")


def test_prediction_without_findings_is_an_empty_prediction(tmp_path: Path) -> None:
    gold = [_ct("a", {}), _ct("b", {"nodule": []})]
    pred = [{"id": "a", "skipped": "empty_text"}, {"id": "b"}]
    ent = _run(tmp_path, gold, pred).modalities["chest_ct"].entities
    assert (ent.accuracy.hits, ent.micro.fn, ent.specificity.hits) == (1, 1, 1)


def test_unknown_keys_are_scored_and_listed(tmp_path: Path) -> None:
    gold = [_ct("a", {"nodule": []})]
    pred = [_ct("a", {"nodule": [], "tumour": []})]
    ct = _run(tmp_path, gold, pred).modalities["chest_ct"]
    assert ct.unknown_keys == ["tumour"]
    assert ct.entities.micro.fp == 1
    assert ct.entities.per_key[-1].key == "tumour"


def test_iter_jsonl_reads_stdin_and_can_skip_bad_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"id": "a"}\nnot json\n\n{"id": "b"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    errors: list[JsonlError] = []
    rows = list(iter_jsonl("-", on_error=errors.append))
    assert rows == [(1, {"id": "a"}), (4, {"id": "b"})]
    assert [str(e) for e in errors] == ["<stdin>: line 2: not valid JSON (column 1)"]


def test_to_dict_is_json_and_table_shows_percentages(tmp_path: Path) -> None:
    gold = [_ct("r1", {"nodule": ["rul"], "ggo": []}), _ct("r2", {"atelectasis": ["bll"]}), _ct("r3", {})]
    pred = [_ct("r1", {"nodule": ["rul"]}), _ct("r3", {}), _mri("x", {})]
    report = _run(tmp_path, gold, pred)
    data = json.loads(json.dumps(report.to_dict()))
    ct = data["modalities"]["chest_ct"]
    # Micro TP 1 (nodule), FN 2 (ggo, atelectasis): R = 1/3.
    assert ct["entities"]["micro"]["recall"] == pytest.approx(1 / 3)
    assert ct["entities"]["per_key"]["nodule"]["support"] == 1
    assert ct["relations"]["per_key"]["atelectasis"]["instances"] == 1
    assert data["predictions_not_in_gold"] == 1
    table = format_table(report)
    assert "chest_ct: 3 gold reports, 1 without prediction" in table
    assert "accuracy 33.33% (1/3)" in table  # entity accuracy: only r3 exact
    assert "R 33.33%" in table
    assert "specificity 100.00% (1/1)" in table
    assert "Relations    accuracy 66.67% (2/3)" in table  # nodule and ggo exact, atelectasis missed
    assert "Negation" in table and "predictions not in gold: 1" in table
    assert "brain_mri" not in table
