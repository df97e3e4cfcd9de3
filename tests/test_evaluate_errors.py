"""evaluate --errors: every error the scores count, grouped by kind, with its sentence."""

from __future__ import annotations

import json
from pathlib import Path

from omop_nlp.evaluate_errors import format_errors, scoring_errors
from omop_nlp.model import Report


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_each_kind_is_listed_with_the_sentence_of_the_predicted_mention(tmp_path: Path, pipeline) -> None:
    gold = [
        {"id": "c1", "modality": "chest_ct", "text": "Small LLL nodule.\nThere is no pleural fluid.",
         "findings": {"nodule": ["rll"], "atelectasis": []}},
        {"id": "b1", "modality": "brain_mri", "text": "The known metastasis has increased since the prior scan.",
         "findings": {"metastasis": ["stable"]}},
    ]
    pred = [pipeline.extract(Report(g["id"], g["text"], g["modality"])).as_interchange() for g in gold]
    pred[0]["findings"]["pleural_effusion"] = []  # an extra key, with its negated mention as evidence
    errors = scoring_errors(_write(tmp_path / "g.jsonl", gold), _write(tmp_path / "p.jsonl", pred))

    by_kind = {(e.kind, e.key): e for e in errors}
    assert set(by_kind) == {("missed key", "atelectasis"), ("extra key", "pleural_effusion"),
                            ("wrong location", "nodule"), ("wrong episode", "metastasis")}
    wrong_place = by_kind["wrong location", "nodule"]
    assert (wrong_place.gold, wrong_place.predicted) == (("rll",), ("lll",))
    assert wrong_place.evidence[0].sentence == "Small LLL nodule."
    assert by_kind["extra key", "pleural_effusion"].evidence[0].certainty == "negated"
    assert by_kind["missed key", "atelectasis"].evidence == ()

    text = format_errors(errors)
    assert "chest_ct: missed key (1)" in text and "brain_mri: wrong episode (1)" in text
    assert "(no mention of this key in the prediction)" in text
    assert "[present [progression]] The known metastasis has increased since the prior scan." in text


def test_bilateral_spellings_are_no_error(tmp_path: Path) -> None:
    gold = _write(tmp_path / "g.jsonl",
                  [{"id": "1", "modality": "chest_ct", "text": "x", "findings": {"nodule": ["bll"]}}])
    pred = _write(tmp_path / "p.jsonl", [{"id": "1", "findings": {"nodule": ["lll", "rll"]}}])
    assert scoring_errors(gold, pred) == []
    assert format_errors([]) == "no errors"


def test_a_two_column_page_shows_the_sentence_as_the_annotator_read_it(tmp_path: Path, pipeline) -> None:
    text = ("FINDINGS                          HISTORY\n"
            "Patchy consolidation in the       Fever.\n"
            "right lower lobe.                 COMPARISON\n"
            "No effusion.                      None.\n")
    gold = [{"id": "c2", "modality": "chest_ct", "text": text, "findings": {"consolidation": ["rml"]}}]
    pred = [pipeline.extract(Report("c2", text, "chest_ct")).as_interchange()]
    errors = scoring_errors(_write(tmp_path / "g.jsonl", gold), _write(tmp_path / "p.jsonl", pred))
    assert [e.evidence[0].sentence for e in errors] == ["Patchy consolidation in the right lower lobe."]
