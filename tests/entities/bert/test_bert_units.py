"""Stage-1 BERT pieces without a trained model: weak labels, windows, batching, the union policy,
and the attention mask of the network (a tiny randomly initialised BERT, built in memory)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.entities.bert.combine import StageOne, union_additions
from omop_nlp.entities.bert.config import BertConfig, BertModelError
from omop_nlp.entities.bert.labels import (
    ASSERTED_ABSENT,
    NOT_MENTIONED,
    PRESENT,
    gold_examples,
    split,
    weak_examples,
    weak_label_states,
)
from omop_nlp.entities.bert.train import pos_weights
from omop_nlp.entities.bert.windows import length_buckets, max_over_windows, pad_batch
from omop_nlp.model import DECIDED_BY_BERT, Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.rules import load_rules

DEVSET = Path(__file__).parents[2] / "devset"
CHEST = "CT chest.\nFINDINGS:\nA 6 mm solid nodule in the right upper lobe. No pleural effusion. Question of pneumonia."


def test_weak_labels_follow_the_engine_with_assertion(pipeline: Pipeline) -> None:
    chest = load_rules("chest_ct")
    states = weak_label_states(pipeline.extract(Report("1", CHEST, modality="chest_ct")), chest)
    assert states["nodule"] == PRESENT
    assert states["pleural_effusion"] == ASSERTED_ABSENT  # negated: a negative label, not a keyword hit
    assert states["fibrosis"] == NOT_MENTIONED
    examples, stats = weak_examples([Report("1", CHEST, modality="chest_ct")], chest, pipeline, absent_weight=0.25)
    (example,) = examples
    keys = list(chest.entities)
    assert example.labels[keys.index("nodule")] == 1 and example.weights[keys.index("nodule")] == 1
    assert example.labels[keys.index("pleural_effusion")] == 0 and example.weights[keys.index("pleural_effusion")] == 1
    assert example.labels[keys.index("fibrosis")] == 0 and example.weights[keys.index("fibrosis")] == 0.25
    assert stats.to_dict()["per_key"]["pleural_effusion"] == {PRESENT: 0, ASSERTED_ABSENT: 1, NOT_MENTIONED: 0}


def test_weak_examples_route_dedupe_exclude_and_skip(pipeline: Pipeline) -> None:
    chest = load_rules("chest_ct")
    brain = "MRI brain. Enhancing mass consistent with glioblastoma."
    reports = [Report("a", CHEST), Report("b", CHEST + "  "), Report("c", brain), Report("d", "   "),
               Report("e", "Chest CT: consolidation in the LLL.")]  # fmt: skip
    examples, stats = weak_examples(reports, chest, pipeline, exclude={_digest("Chest CT: consolidation in the LLL.")})
    assert [e.ref for e in examples] == ["a"]
    assert (stats.notes_read, stats.other_modality, stats.duplicates, stats.used) == (5, 1, 2, 1)
    assert stats.skipped == {"empty_text": 1}


def _digest(text: str) -> str:
    from omop_nlp.entities.bert.labels import text_digest

    return text_digest(text)


def test_gold_examples_and_seeded_split(tmp_path: Path) -> None:
    gold = gold_examples(DEVSET / "chest_ct.dev.jsonl", load_rules("chest_ct"), gold_weight=2.0)
    assert len(gold.examples) == 100 and gold.unknown_keys == []
    assert all(e.source == "gold" and set(np.unique(e.weights)) == {2.0} for e in gold.examples)
    kept, taken = split(gold.examples, 0.2, seed=3)
    assert (len(kept), len(taken)) == (80, 20)
    assert [e.ref for e in split(gold.examples, 0.2, seed=3)[1]] == [e.ref for e in taken]
    assert split(gold.examples[:1], 0.5, seed=3) == (gold.examples[:1], [])
    brain_only = gold_examples(DEVSET / "brain_mri.dev.jsonl", load_rules("chest_ct"))
    assert brain_only.examples == [] and brain_only.other_modality == 100


def test_pos_weight_is_negatives_over_positives_clipped() -> None:
    labels = np.array([[1, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=np.float32)
    weights = np.ones_like(labels)
    np.testing.assert_allclose(pos_weights(labels, weights, cap=2.5), [2.5, 1.0, 1.0])
    weights[:, 0] = 0.5
    weights[0, 0] = 1.0
    np.testing.assert_allclose(pos_weights(labels, weights, cap=10), [1.5, 1.0, 1.0])


def test_length_buckets_sort_cap_and_cover_every_window() -> None:
    lengths = np.array([5, 100, 7, 60, 6, 100, 8])
    batches = length_buckets(lengths, batch_size=3, max_batch_tokens=150)
    assert sorted(i for b in batches for i in b) == list(range(7))
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or lengths[batch].max() * len(batch) <= 150
    assert list(lengths[batches[0]]) == [5, 6, 7]
    ids, mask = pad_batch([np.array([1, 2, 3]), np.array([4])], pad_id=0)
    assert ids.shape == (2, 8) and mask.sum(1).tolist() == [3, 1] and ids[1, 1:].tolist() == [0] * 7
    probs = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.4]], dtype=np.float32)
    np.testing.assert_allclose(max_over_windows(probs, np.array([0, 0, 1]), 2), [[0.8, 0.9], [0.3, 0.4]])


def test_windows_overlap_and_are_capped(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{f"w{i}": 4 + i for i in range(50)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                       special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    from omop_nlp.entities.bert.windows import WindowTokenizer

    config = BertConfig("chest_ct", "lesion", ["a"], max_length=10, stride=2, max_windows=3)
    windows = WindowTokenizer(path, config).windows([" ".join(f"w{i}" for i in range(20)), "w1 w2"])
    assert windows.owner.tolist() == [0, 0, 0, 1]  # 20 words: 8 per window, 2 shared -> 4 windows, capped at 3
    first, second = windows.ids[0].tolist(), windows.ids[1].tolist()
    assert len(first) == 10 and first[0] == 2 and first[-1] == 3
    assert second[1:3] == first[-3:-1]  # the stride: the next window starts with the previous one's last tokens
    assert windows.ids[3].tolist() == [2, 5, 6, 3]


@dataclass
class _FakeClassifier:
    config: BertConfig
    probs: dict[str, float]
    calls: list[int] = field(default_factory=list)
    name: str = "bert fake"

    def predict(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return np.array([[self.probs.get(k, 0.0) for k in self.config.keys] for _ in texts], dtype=np.float32)


def _stage_one(probs: dict[str, float]) -> tuple[StageOne, _FakeClassifier]:
    keys = list(load_rules("chest_ct").entities)
    fake = _FakeClassifier(BertConfig("chest_ct", "lesion", keys, threshold=0.5, union_threshold=0.75), probs)
    return StageOne([fake], prefetch_size=4), fake


def test_union_adds_only_keys_the_lexicon_never_mentioned() -> None:
    keys = ["nodule", "pleural_effusion", "fibrosis", "mass"]
    probs = np.array([0.9, 0.95, 0.7, 0.2])
    assert union_additions(keys, probs, mentioned={"nodule", "pleural_effusion"}, threshold=0.5) == ["fibrosis"]
    assert union_additions(keys, probs, mentioned=set(), threshold=0.96) == []


def test_pipeline_with_stage_one_adds_hedged_report_level_findings(pipeline: Pipeline) -> None:
    probs = {"nodule": 0.99, "pleural_effusion": 0.99, "fibrosis": 0.8, "bronchiectasis": 0.6, "mass": 0.3}
    stage_one, _ = _stage_one(probs)
    plain = pipeline.extract(Report("1", CHEST))
    pipeline = build_pipeline(key_classifier=stage_one)
    result = pipeline.extract(Report("1", CHEST))
    assert set(result.findings) == set(plain.findings) | {"fibrosis"}
    assert "pleural_effusion" not in result.findings  # negated by the lexicon: the span's assertion wins
    assert "bronchiectasis" not in result.findings  # above the classifier's threshold, below the union's
    assert result.findings["nodule"].certainty == plain.findings["nodule"].certainty  # never changed
    fibrosis = result.findings["fibrosis"]
    assert (fibrosis.certainty, fibrosis.related) == (Certainty.HEDGED, [])
    (mention,) = fibrosis.mentions
    assert (mention.decided_by, mention.start, mention.end, mention.text) == (DECIDED_BY_BERT, 0, 0, "")
    assert mention in result.mentions
    assert result.as_interchange()["findings"]["fibrosis"] == []
    assert stage_one.target_keys(CHEST, "chest_ct") == ["nodule", "pleural_effusion", "fibrosis", "bronchiectasis"]
    brain = pipeline.extract(Report("2", "MRI brain. Enhancing mass, glioblastoma.", modality="brain_mri"))
    assert all(m.decided_by != DECIDED_BY_BERT for m in brain.mentions)  # no brain model: stage 1 is not consulted


def test_extract_many_scores_notes_in_batches_ahead() -> None:
    stage_one, fake = _stage_one({"fibrosis": 0.9})
    pipeline = build_pipeline(key_classifier=stage_one)
    reports = [Report(str(i), CHEST + " " * i) for i in range(10)]
    reports.insert(3, Report("brain", "MRI brain. Glioblastoma.", modality="brain_mri"))
    reports.insert(5, Report("empty", "  "))
    results = list(pipeline.extract_many(reports))
    assert len(results) == 12
    assert fake.calls == [3, 3, 4]  # chunks of 4 notes; the brain and the empty note are not scored
    assert sum("fibrosis" in r.findings for r in results if hasattr(r, "findings")) == 10


def test_cdm_run_extractor_scores_a_batch_in_one_pass() -> None:
    """`run --bert` without an LLM: the runner hands stage 1 the whole batch, not one note at a time."""
    from omop_nlp.engines.cdm import Extractor, Status
    from omop_nlp.sources.omop_notes import SourceNote

    stage_one, fake = _stage_one({"fibrosis": 0.9})
    stage_one.prefetch_size = 256
    pipeline = build_pipeline(PipelineConfig(modality="chest_ct"), key_classifier=stage_one)
    notes = [SourceNote(i, None, None, None, None, None, None, CHEST + " " * i, f"h{i}") for i in range(6)]
    notes.append(SourceNote(6, None, None, None, None, None, None, "\x00", "h6"))
    outcomes = Extractor(pipeline).extract_many(notes)
    assert fake.calls == [6]
    assert [o.status for o in outcomes] == [Status.DONE] * 6 + [Status.SKIPPED]
    assert all("fibrosis" in o.result.findings for o in outcomes[:6])


def test_attention_pooling_ignores_padding() -> None:
    import torch
    from transformers import BertConfig as HfBertConfig
    from transformers import BertModel

    from omop_nlp.entities.bert.network import KeyClassifierNet

    torch.manual_seed(0)
    shape = HfBertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)  # fmt: skip
    encoder = BertModel(shape, add_pooling_layer=False)
    net = KeyClassifierNet(encoder, num_keys=3, attention_dim=8, head_dim=16).eval()
    short = torch.tensor([[2, 10, 11, 3]])
    long = torch.tensor([[2, 12, 13, 14, 15, 16, 17, 3]])
    with torch.no_grad():
        alone = net(short, torch.ones_like(short))
        padded = torch.cat([torch.cat([short, torch.full((1, 4), 0)], 1), long])
        mask = (torch.arange(8)[None, :] < torch.tensor([[4], [8]])).long()
        batched = net(padded, mask)
        under_padding = torch.cat([short, torch.full((1, 4), 42)], 1)
        garbage = net(under_padding, torch.cat([torch.ones(1, 4), torch.zeros(1, 4)], 1).long())
    torch.testing.assert_close(batched[0:1], alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(garbage, alone, atol=1e-5, rtol=0)  # what sits under the padding does not matter


def test_model_folder_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(BertModelError, match="not a model folder"):
        BertConfig.load(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "something else"}')
    with pytest.raises(BertModelError, match="not an omop-nlp BERT config"):
        BertConfig.load(tmp_path)


def test_cli_train_bert_checks_its_options(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("train-bert", "--base-model", str(tmp_path), "-m", "chest_ct", "-o", str(tmp_path / "m"))
    assert code == 2 and "give --notes FILE, or --cdm URL" in err
    code, _, err = run_cli("train-bert", "--notes", str(DEVSET / "chest_ct.dev.jsonl"), "--base-model",
                           str(tmp_path / "missing"), "-m", "chest_ct", "-o", str(tmp_path / "m"))  # fmt: skip
    assert code == 2 and "not a local model folder" in err
    code, _, err = run_cli("extract", str(DEVSET / "chest_ct.test.jsonl"), "--bert", str(tmp_path))
    assert code == 2 and "not a model folder from train-bert" in err
    code, _, err = run_cli("export-onnx", str(tmp_path / "missing"))
    assert code == 2 and "not a folder" in err


def test_smoothing_before_int8_is_exact_in_fp32(tmp_path: Path) -> None:
    """The SmoothQuant rescaling moves scale from LayerNorm outputs into weights: fp32 output unchanged."""
    import onnx
    import onnxruntime as ort
    import torch
    from transformers import BertConfig as HfBertConfig
    from transformers import BertModel

    from omop_nlp.entities.bert.export import _quantized_linears, export_graph, smooth_activations
    from omop_nlp.entities.bert.network import KeyClassifierNet, ProbabilityNet

    torch.manual_seed(0)
    shape = HfBertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64, attn_implementation="eager")  # fmt: skip
    net = KeyClassifierNet(BertModel(shape, add_pooling_layer=False), num_keys=3, attention_dim=8, head_dim=16)
    ids = torch.randint(4, 50, (3, 12))
    mask = torch.ones_like(ids)
    export_graph(ProbabilityNet(net.eval()), ids, mask, tmp_path / "model.onnx")
    model = onnx.load(str(tmp_path / "model.onnx"))
    batches = [(ids.numpy(), mask.numpy())]

    def probs(m: onnx.ModelProto) -> np.ndarray:
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(["probs"], {"input_ids": batches[0][0], "attention_mask": batches[0][1]})[0]

    before = probs(model)
    smooth_activations(model, batches)
    assert sum(n.name.startswith("/smooth/") for n in model.graph.node) == 4  # q/k/v input and FFN input, per layer
    names = [n.name for n in _quantized_linears(model.graph)]
    assert len(names) == 2 * 5 and not any("/output/dense/" in n and "/attention/" not in n for n in names)
    np.testing.assert_allclose(probs(model), before, atol=1e-5, rtol=0)
