"""The LLM mapper's parts that need no server: settings, hybrid's "uncertain", the pipeline hook,
the CLI's option errors, the ledger note and the in-process vLLM backend's guard."""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import pytest

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.engines.cdm import _decided_by_note
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Report, Result
from omop_nlp.pipeline import Pipeline
from omop_nlp.relations.llm import LlmConfig, LlmConfigError, LlmRelationMapper
from omop_nlp.relations.llm.client import ChatOutcome
from omop_nlp.relations.llm.uncertain import target_keys, uncertain_keys
from omop_nlp.rules import load_rules

URL = "http://127.0.0.1:9/v1"  # never contacted here


def _result(pipeline: Pipeline, modality: str, text: str) -> Result:
    return pipeline.extract(Report("r1", text, modality))


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("config, message", [
    (LlmConfig(mode="llm-ish", url=URL), "unknown mapper"),
    (LlmConfig(mode="llm", url=URL, backend="tgi"), "unknown LLM backend"),
    (LlmConfig(mode="llm"), "needs --llm-url"),
    (LlmConfig(mode="hybrid", url="localhost:8000/v1"), "http://"),
    (LlmConfig(mode="llm", url=URL, concurrency=0), "concurrency"),
    (LlmConfig(mode="llm", backend="vllm-offline"), "needs --llm-model"),
])  # fmt: skip
def test_unusable_settings_are_one_line_errors(config, message):
    with pytest.raises(LlmConfigError, match=message):
        config.check()


def test_rules_need_no_mapper_and_nlp_system_names_the_mapper(pipeline):
    assert PipelineConfig(llm=LlmConfig(mode="rules")).relation_mapper == "rules"
    assert pipeline.relation_refiner is None
    assert LlmConfig(mode="llm", model="meta-llama/Meta-Llama-3-8B-Instruct").system_tag == (
        "llm:meta-llama/Meta-Llama-3-8B-Instruct")
    assert LlmConfig(mode="hybrid", model="/models/gemma-3-270m-q4_k_m.gguf").system_tag == (
        "hybrid:gemma-3-270m-q4_k_m.gguf")
    mapper = LlmRelationMapper(LlmConfig(mode="hybrid", url=URL, model="m1"))
    assert mapper.config.concurrency == 64  # the default: enough in flight for a server to batch
    with_llm = build_pipeline(relation_refiner=mapper)
    assert " hybrid:m1 " in with_llm.nlp_system
    assert " rules " in pipeline.nlp_system and with_llm.nlp_system != pipeline.nlp_system  # separate ledger rows


# -- hybrid: where the rules are uncertain --------------------------------------------------


@pytest.mark.parametrize("modality, text, uncertain", [
    # chest CT: a lesion with its location in the same phrase: certain
    ("chest_ct", "FINDINGS: 5 mm nodule in the RUL. No pleural effusion.", []),
    # a stated location that the rules gave to no lesion: every target is uncertain
    ("chest_ct", "FINDINGS: Small nodule. Emphysema in both upper lobes.", ["nodule"]),
    # a lesion with no location while the note states one (given to another lesion)
    ("chest_ct", "FINDINGS: Atelectasis in the RLL. A small nodule is also seen.", ["nodule"]),
    # nothing stated to relate (a negated location does not count): the rules' empty list stands
    ("chest_ct", "FINDINGS: Small nodule. No consolidation in the left lung.", []),
    # brain MRI: one malignant diagnosis, its change attached: certain
    ("brain_mri", "COMPARISON: MRI 2024.\nFINDINGS: Known brain metastasis. The metastasis has increased in size.",
     []),
    # a differential with a change: which disease it belongs to is a judgement
    ("brain_mri", "COMPARISON: MRI 2024.\nFINDINGS: Enhancing mass, increased in size.\nIMPRESSION: DDx: GBM vs "
     "lymphoma.", ["glioma", "lymphoma"]),
    # no comparison stated: nothing to relate
    ("brain_mri", "FINDINGS: Metastasis in the right frontal lobe.", []),
])  # fmt: skip
def test_uncertain_keys(pipeline, modality, text, uncertain):
    result = _result(pipeline, modality, text)
    rules = load_rules(modality)
    assert set(uncertain) <= set(target_keys(result, rules))
    assert uncertain_keys(result, rules) == uncertain


# -- the pipeline hook and the fallback -------------------------------------------------------


class _DeadBackend:
    """A backend whose every request failed (what the HTTP client reports for a dead server)."""

    def __init__(self, error: str = "connect_error") -> None:
        self.error = error
        self.batches: list[int] = []

    def complete(self, requests):
        self.batches.append(len(requests))
        return [ChatOutcome(error=self.error, attempts=2) for _ in requests]


def test_extract_batch_returns_errors_in_place_and_falls_back(pipeline):
    backend = _DeadBackend()
    mapper = LlmRelationMapper(LlmConfig(mode="llm", url=URL, model="m"), backend=backend)
    with_llm = build_pipeline(relation_refiner=mapper)
    reports = [
        Report("a", "FINDINGS: 5 mm nodule in the RUL.", "chest_ct"),
        Report("b", "   ", "chest_ct"),
        Report("c", "FINDINGS: No acute abnormality.", "chest_ct"),
        Report("d", "COMPARISON: MRI 2024.\nFINDINGS: Known metastasis, increased.", "brain_mri"),
    ]
    out = with_llm.extract_batch(reports)
    assert [type(o).__name__ for o in out] == ["Result", "NoteSkipped", "Result", "Result"]
    assert isinstance(out[1], NoteSkipped) and out[1].report_id == "b"
    assert backend.batches == [2]  # one call for the batch; the note with no target is not sent
    expected = [pipeline.extract(r) for r in (reports[0], reports[2], reports[3])]
    for got, want in zip((out[0], out[2], out[3]), expected, strict=True):
        assert got.findings_json() == want.findings_json()  # the rules' answer stands: nothing lost
    assert {m.decided_by for m in out[0].findings["nodule"].mentions} == {"rules-fallback"}
    assert {m.decided_by for m in out[2].mentions} <= {"rules"}
    assert mapper.stats.asked == 2 and mapper.stats.fallback == 2 and mapper.stats.reasons == {"connect_error": 2}
    assert "2 fell back to rules (connect_error 2)" in mapper.stats.line()
    assert _decided_by_note(out[0]) == "mapper=rules-fallback"
    assert _decided_by_note(out[2]) is None


def test_a_too_long_report_stays_with_the_rules(pipeline):
    backend = _DeadBackend()
    mapper = LlmRelationMapper(LlmConfig(mode="llm", url=URL, model="m", max_report_chars=50), backend=backend)
    result = build_pipeline(relation_refiner=mapper).extract(
        Report("a", "FINDINGS: 5 mm nodule in the RUL. " + "Normal heart. " * 10, "chest_ct"))
    assert backend.batches == []
    assert result.findings_json() == {"nodule": ["rul"]}
    assert mapper.stats.reasons == {"too_long": 1}


class _AnsweringBackend:
    def __init__(self, answers):
        self.answers = answers

    def complete(self, requests):
        return [ChatOutcome(value=request.validate(answer), attempts=1, prompt_tokens=400, completion_tokens=12)
                for request, answer in zip(requests, self.answers, strict=True)]


def test_an_answer_replaces_the_rules_relations_of_its_keys(pipeline):
    text = "FINDINGS: 5 mm nodule in the RUL. Atelectasis in the right lung base and in the right lung."
    backend = _AnsweringBackend(['{"nodule": ["lll", "left_lung"], "atelectasis": ["rll", "right_lung"]}'])
    mapper = LlmRelationMapper(LlmConfig(mode="llm", url=URL, model="m"), backend=backend)
    result = build_pipeline(relation_refiner=mapper).extract(Report("a", text, "chest_ct"))
    # guideline rule 3 applies to the model's answer too: no lung side where a lobe of it is given
    assert result.findings_json() == {"nodule": ["lll"], "atelectasis": ["rll"]}
    for key in ("nodule", "atelectasis"):
        for mention in result.findings[key].mentions:
            assert mention.decided_by == "llm" and mention.related == result.findings[key].related
    line = result.as_interchange()
    assert {m["mapper"] for m in line["mentions"] if m["type"] == "lesion"} == {"llm"}
    assert _decided_by_note(result) == "mapper=llm"
    assert mapper.stats.answered == 1 and mapper.stats.prompt_tokens == 400


# -- CLI option errors: one line, exit 2 ----------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--mapper", "llama"], "unknown mapper 'llama': use rules, llm, hybrid"),
    (["--mapper", "llm"], "--mapper llm needs --llm-url"),
    (["--mapper", "llm", "--llm-url", URL, "--llm-backend", "tgi"], "unknown LLM backend 'tgi'"),
    (["--mapper", "llm", "--llm-url", URL, "--llm-api-key-env", "OMOP_NLP_TEST_UNSET_KEY"],
     "environment variable OMOP_NLP_TEST_UNSET_KEY is not set"),
    (["--mapper", "hybrid", "--llm-backend", "vllm-offline", "--llm-model", "some/model"], "needs vLLM"),
])  # fmt: skip
def test_cli_option_errors(run_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.delenv("OMOP_NLP_TEST_UNSET_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "vllm", None)  # vLLM absent, as in this environment
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "1", "text": "Nodule in the RUL.", "modality": "chest_ct"}\n', encoding="utf-8")
    code, _, err = run_cli("extract", str(source), "-o", str(tmp_path / "out.jsonl"), *args)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    code, _, err = run_cli("run", "--cdm", f"sqlite:///{tmp_path / 'cdm.db'}", *args)
    assert code == 2 and message in err


def test_cli_run_refuses_workers_with_an_llm(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr("omop_nlp.relations.llm.client.list_models", lambda *a, **k: ["m"])
    code, _, err = run_cli("run", "--cdm", f"sqlite:///{tmp_path / 'cdm.db'}", "--mapper", "llm",
                           "--llm-url", URL, "--workers", "2")  # fmt: skip
    assert code == 2 and "--workers > 1" in err


# -- the in-process vLLM backend ------------------------------------------------------------------


def test_vllm_offline_without_vllm_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(LlmConfigError, match=r"omop-nlp\[vllm\] in an environment of its own"):
        build_pipeline(PipelineConfig(llm=LlmConfig(mode="llm", backend="vllm-offline",
                                                    model="meta-llama/Meta-Llama-3-8B-Instruct")))


def test_vllm_offline_batches_validates_and_retries_once(monkeypatch, pipeline):
    """vLLM cannot run here (no GPU, not installed): a stand-in module with vLLM's call shape checks
    the backend's own logic: one batched chat call, schema per request, one retry of invalid answers."""
    calls = []

    class SamplingParams:
        def __init__(self, **kw):
            self.kw = kw

    class StructuredOutputsParams:
        def __init__(self, json):
            self.json = json

    class FakeLLM:
        def chat(self, conversations, sampling_params, use_tqdm):
            calls.append((len(conversations), [p.kw["structured_outputs"].json["required"] for p in sampling_params]))
            texts = ['{"nodule": ["rul"]}', "not json"] if len(calls) == 1 else ['{"metastasis": ["progression"]}']
            if len(calls) > 2:
                texts = ["still not json"]
            return [SimpleNamespace(prompt_token_ids=[1] * 300, outputs=[SimpleNamespace(
                text=t, token_ids=[1] * 9, finish_reason="stop")]) for t in texts]  # fmt: skip

    vllm = types.ModuleType("vllm")
    vllm.SamplingParams = SamplingParams
    sampling = types.ModuleType("vllm.sampling_params")
    sampling.StructuredOutputsParams = StructuredOutputsParams
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sampling)
    from omop_nlp.relations.llm.vllm_offline import VllmOfflineBackend

    config = LlmConfig(mode="llm", backend="vllm-offline", model="m")
    mapper = LlmRelationMapper(config, backend=VllmOfflineBackend(config, llm=FakeLLM()))
    out = build_pipeline(relation_refiner=mapper).extract_batch([
        Report("a", "FINDINGS: 5 mm nodule in the RUL.", "chest_ct"),
        Report("b", "COMPARISON: MRI 2024.\nFINDINGS: Known metastasis, increased.", "brain_mri"),
    ])
    assert calls == [(2, [["nodule"], ["metastasis"]]), (1, [["metastasis"]])]
    assert out[0].findings_json() == {"nodule": ["rul"]} and out[1].findings_json() == {"metastasis": ["progression"]}
    assert {m.decided_by for m in out[1].findings["metastasis"].mentions} == {"llm"}
    assert mapper.stats.requests == 3 and mapper.stats.prompt_tokens == 900


class _RecordingBackend(_AnsweringBackend):
    def __init__(self, answers):
        super().__init__(answers)
        self.asked = 0  # requests received

    def complete(self, requests):
        self.asked += len(requests)
        return super().complete(requests)


def test_a_place_a_correction_took_away_is_not_put_back_by_the_model(pipeline):
    text = ("Findings: Patchy consolidation in the right upper lobe and the left upper lobe. Mild emphysema.\n"
            "ADDENDUM: On review there is no consolidation in the left upper lobe.")
    assert _result(pipeline, "chest_ct", text).findings_json()["consolidation"] == ["rul"]
    backend = _RecordingBackend(['{"consolidation": ["rul", "lul"]}'])
    mapper = LlmRelationMapper(LlmConfig(mode="llm", url=URL, model="m"), backend=backend)
    result = build_pipeline(relation_refiner=mapper).extract(Report("a", text, "chest_ct"))
    assert result.findings_json()["consolidation"] == ["rul"]  # the addendum's word is the answer: not asked
    assert backend.asked == 0 and {m.decided_by for m in result.findings["consolidation"].mentions} == {"rules"}
