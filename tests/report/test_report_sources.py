"""Where a report's figures come from: extract output + its input, or a CDM; and the bad inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from omop_nlp.report.from_cdm import load_cdm
from omop_nlp.report.from_jsonl import load_jsonl
from omop_nlp.report.highlight import mark_groups
from omop_nlp.report.notes import ReportInputError, Selection

from .helpers import DEMO_NOTES, extract, omop_nlp


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _demo_lines() -> list[dict]:
    return [json.loads(line) for line in DEMO_NOTES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo_cdm(tmp_path_factory: pytest.TempPathFactory) -> str:
    workdir = tmp_path_factory.mktemp("cdm")
    done = omop_nlp("demo", "--workdir", workdir)
    assert done.returncode == 0, done.stderr[-2000:]
    return f"sqlite:///{workdir / 'cdm.sqlite'}"


def test_a_cdm_and_the_jsonl_of_the_same_run_give_the_same_figures(demo_cdm: str, demo_predictions: Path) -> None:
    from_files = load_jsonl(demo_predictions, DEMO_NOTES, Selection())
    from_cdm = load_cdm(demo_cdm, None, None, None, Selection())
    a, b = from_files.summary, from_cdm.summary
    assert a.processed == b.processed == len(_demo_lines())
    assert a.certainty == b.certainty and sum(a.certainty.values()) > 100
    assert a.notes_with_key == b.notes_with_key
    assert a.variants == b.variants
    assert a.lung == b.lung
    assert a.transitions() == b.transitions() and a.transitions()
    assert from_cdm.nlp_system.startswith("omop-nlp ")
    # The demo CDM keeps the JSONL id in note_source_value; its note_id is the line number.
    by_line = {str(i): line["id"] for i, line in enumerate(_demo_lines(), start=1)}
    assert {by_line[n.id]: n.findings for n in from_cdm.notes} == {n.id: n.findings for n in from_files.notes}
    assert all(n.facts for n in from_cdm.notes if n.findings)


def test_summaries_count_every_note_but_pages_follow_the_selection(demo_predictions: Path) -> None:
    sample = load_jsonl(demo_predictions, DEMO_NOTES, Selection(sample=5, seed=3))
    assert len(sample.notes) == 5 and sample.summary.processed == len(_demo_lines())
    glioma = load_jsonl(demo_predictions, DEMO_NOTES, Selection(keys=frozenset({"glioma"})))
    assert glioma.notes and all(any(m["key"] == "glioma" for m in n.mentions) for n in glioma.notes)
    chosen = load_jsonl(demo_predictions, DEMO_NOTES, Selection(note_ids=frozenset({"demo-004", "demo-010"})))
    assert sorted(n.id for n in chosen.notes) == ["demo-004", "demo-010"]


def test_notes_extract_skipped_are_counted_with_the_reason(tmp_path: Path) -> None:
    lines = [*_demo_lines()[:3], {"id": "blank", "text": "  "}, {"id": "weather", "text": "Sunny with light wind."}]
    notes = _write(tmp_path / "notes.jsonl", lines)
    with notes.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    data = load_jsonl(extract(notes, tmp_path / "p.jsonl"), notes, Selection())
    assert data.summary.processed == 3
    assert dict(data.summary.skipped) == {"empty_text": 1, "unknown_modality": 1, "invalid_line": 1}


def test_predictions_of_another_input_are_refused_in_one_line(tmp_path: Path, demo_predictions: Path) -> None:
    other = _write(tmp_path / "other.jsonl", _demo_lines()[:10])
    done = omop_nlp("report", demo_predictions, "--input", other, "-o", tmp_path / "r.html")
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "are not in" in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_predictions_of_another_system_are_refused(tmp_path: Path) -> None:
    line = {"id": "demo-001", "modality": "chest_ct", "findings": {}, "mentions": [{"label": "NODULE"}]}
    with pytest.raises(ReportInputError, match="line 1: mentions are not extract's"):
        load_jsonl(_write(tmp_path / "other.jsonl", [line]), DEMO_NOTES, Selection())


def test_an_edited_input_text_is_refused(tmp_path: Path, demo_predictions: Path) -> None:
    lines = _demo_lines()
    lines[0]["text"] = "Addendum. " + lines[0]["text"]
    edited = _write(tmp_path / "edited.jsonl", lines)
    with pytest.raises(ReportInputError, match="report demo-001: mention text differs"):
        load_jsonl(demo_predictions, edited, Selection(note_ids=frozenset({"demo-001"})))


def test_a_cdm_without_rows_for_the_system_is_refused_in_one_line(tmp_path: Path, demo_cdm: str) -> None:
    done = omop_nlp("report", "--cdm", demo_cdm, "--nlp-system", "other-system 1.0", "-o", tmp_path / "r.html")
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "no NOTE_NLP rows for nlp_system 'other-system 1.0'" in done.stderr
    empty = tmp_path / "empty.sqlite"
    assert omop_nlp("init-db", f"sqlite:///{empty}").returncode == 0
    done = omop_nlp("report", "--cdm", f"sqlite:///{empty}", "-o", tmp_path / "r.html")
    assert done.returncode != 0 and "no NOTE_NLP rows for any nlp_system" in done.stderr


def test_usage_errors(tmp_path: Path, demo_predictions: Path) -> None:
    assert "--input is required" in omop_nlp("report", demo_predictions).stderr
    assert "either extract output" in omop_nlp("report").stderr
    for missing in (["report", tmp_path / "none.jsonl", "--input", DEMO_NOTES],
                    ["report", demo_predictions, "--input", tmp_path / "none.jsonl"]):  # fmt: skip
        done = omop_nlp(*missing, "-o", tmp_path / "r.html")
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "none.jsonl" in done.stderr


@pytest.mark.postgres
def test_a_postgresql_cdm_in_its_own_schemas_gives_the_figures_of_the_files(pg_cdm, tmp_path: Path) -> None:
    texts = [line["text"] for line in _demo_lines()]
    note_ids = pg_cdm.add_notes(texts)
    pg_cdm.run(cdm_facts=True)
    notes = _write(tmp_path / "notes.jsonl", [
        {"id": str(note_id), "text": row["note_text"], "person_id": row["person_id"],
         "date": row["note_date"].isoformat()}
        for note_id, row in zip(note_ids, pg_cdm.rows("note", order_by="note_id"), strict=True)
    ])  # fmt: skip
    from_files = load_jsonl(extract(notes, tmp_path / "p.jsonl"), notes, Selection(sample=10))
    from_cdm = load_cdm(pg_cdm.url, "cdm", "results", None, Selection(sample=10))
    a, b = from_files.summary, from_cdm.summary
    assert (a.processed, a.certainty, a.notes_with_key, a.variants, a.lung) == (
        b.processed, b.certainty, b.notes_with_key, b.variants, b.lung)  # fmt: skip
    assert a.transitions() == b.transitions()
    assert len(from_cdm.notes) == 10
    assert {n.id: n.findings for n in from_cdm.notes} == {
        n.id: n.findings for n in load_jsonl(tmp_path / "p.jsonl", notes, Selection(
            note_ids=frozenset(n.id for n in from_cdm.notes))).notes}  # fmt: skip


def test_a_cdm_report_follows_note_ids(demo_cdm: str) -> None:
    chosen = load_cdm(demo_cdm, None, None, None, Selection(note_ids=frozenset({"3", "7"})))
    assert [n.id for n in chosen.notes] == ["3", "7"]
    with pytest.raises(ReportInputError, match="integer"):
        load_cdm(demo_cdm, None, None, None, Selection(note_ids=frozenset({"demo-003"})))


def test_a_cdm_report_reads_a_correcting_addendum_as_extract_does(any_cdm, tmp_path: Path) -> None:
    text = ("Findings: A small nodule in the left lower lobe. Trace pleural effusion on the right.\n"
            "Addendum: the effusion described above was dictated in error; there is no pleural effusion.\n")
    notes = _write(tmp_path / "notes.jsonl", [{"id": "1", "text": text}])
    any_cdm.add_notes([text])
    any_cdm.run()
    extracted = load_jsonl(extract(notes, tmp_path / "p.jsonl"), notes, Selection()).notes[0].findings
    from_cdm = load_cdm(any_cdm.url, any_cdm.cdm_schema, any_cdm.results_schema, None, Selection()).notes[0]
    assert "pleural_effusion" not in extracted and from_cdm.findings == extracted


# Notes of one patient, written for this test: a finding an addendum withdraws, the same finding kept, a cancer of
# the history that the impression denies, a tumour that grows, and a brain MRI with no mention at all.
_CORRECTED_RUN = [
    "CT chest.\nFindings: Small right pleural effusion. Mild atelectasis of the left lower lobe.\n"
    "Addendum: the pleural effusion reported above was dictated in error; there is none.",
    "CT chest.\nFindings: Small right pleural effusion.",
    "MRI brain.\nClinical history: Breast cancer with brain metastases treated by radiosurgery two years ago.\n"
    "Findings: The parafalcine meningioma has grown slightly since the last study.\n"
    "Impression: 1. Slowly enlarging parafalcine meningioma. 2. No evidence of metastatic disease.",
    "MRI brain with contrast.\nHistory: glioblastoma after resection.\nFindings: The enhancing glioma in the left "
    "frontal lobe has increased in size.\nImpression: Progression of the left frontal glioma.",
    "MRI brain with and without contrast.\nFindings: Normal study. The ventricles and sulci are normal for age.\n"
    "Impression: Normal MRI of the brain.",
]


def test_a_cdm_summary_counts_the_findings_its_pages_and_extract_show(any_cdm, tmp_path: Path) -> None:
    note_ids = any_cdm.add_notes(_CORRECTED_RUN)
    any_cdm.run()
    ledger = any_cdm.tables.ledger
    with any_cdm.engine.begin() as conn:  # rows written, FHIR not yet delivered: processed all the same
        conn.execute(ledger.update().where(ledger.c.note_id == note_ids[1]).values(status="fhir_pending"))
    notes = _write(tmp_path / "notes.jsonl", [
        {"id": str(note_id), "text": row["note_text"], "person_id": row["person_id"],
         "date": row["note_date"].isoformat()}
        for note_id, row in zip(note_ids, any_cdm.rows("note", order_by="note_id"), strict=True)
    ])  # fmt: skip
    from_files = load_jsonl(extract(notes, tmp_path / "p.jsonl"), notes, Selection())
    from_cdm = load_cdm(any_cdm.url, any_cdm.cdm_schema, any_cdm.results_schema, None, Selection())
    a, b = from_files.summary, from_cdm.summary
    assert b.notes_with_key[("chest_ct", "pleural_effusion")] == 1  # the withdrawn effusion is not counted
    assert ("brain_mri", "metastasis") not in b.notes_with_key  # denied by the impression
    assert (b.processed, dict(b.skipped), dict(b.notes_per_modality)) == (5, {}, {"chest_ct": 2, "brain_mri": 3})
    assert (a.processed, a.notes_per_modality, a.notes_with_key, a.certainty, a.variants, a.lung) == (
        b.processed, b.notes_per_modality, b.notes_with_key, b.certainty, b.variants, b.lung)  # fmt: skip
    assert a.sequences().keys() == b.sequences().keys() == {(1, "glioma")}
    assert a.transitions() == b.transitions() and sum(b.transitions().values()) == 2
    pages = {n.id: n.findings for n in from_cdm.notes}
    counted = Counter((n.modality, key) for n in from_cdm.notes for key in n.findings)
    assert counted == b.notes_with_key and pages == {n.id: n.findings for n in from_files.notes}


def test_a_key_added_by_stage_one_is_shown_without_a_mark(tmp_path: Path, demo_predictions: Path) -> None:
    """A BERT-added key has no words (offsets 0-0): the page lists it among the findings and marks nothing."""
    lines = [json.loads(line) for line in demo_predictions.read_text(encoding="utf-8").splitlines()]
    first = lines[0]
    added = next(k for k in ("bronchiectasis", "fibrosis", "pleural_thickening") if k not in first["findings"])
    first["findings"][added] = []
    first["mentions"].append({"key": added, "type": "lesion", "start": 0, "end": 0, "text": "", "section": None,
                              "certainty": "hedged", "related": [], "mapper": "bert"})  # fmt: skip
    predictions = _write(tmp_path / "with-bert.jsonl", lines)
    report = load_jsonl(predictions, DEMO_NOTES, Selection(note_ids=frozenset({first["id"]})))
    page = report.notes[0]
    assert added in page.findings
    marked = [i for group in mark_groups(page.mentions) for i in group]
    assert marked and all(page.mentions[i]["mapper"] != "bert" for i in marked)
    assert ("chest_ct", added, "") not in report.summary.variants
