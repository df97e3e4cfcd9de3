"""The LLM mapper against a real OpenAI-compatible server that the tests start (tests/llm_server.py).

The model (Gemma 3 270M, 4-bit) is far too small to map relations well, so these tests check the
protocol, not quality: every note gets a schema-valid answer or a recorded fallback to the rules,
a server that dies mid-run costs no note, hybrid sends only uncertain keys, and the CLI runs
``extract --mapper llm`` then ``evaluate``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llm_server import LlamaServer

from omop_nlp.build import build_pipeline
from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.relations.llm import LlmConfig, LlmRelationMapper
from omop_nlp.relations.llm.uncertain import target_keys, uncertain_keys
from omop_nlp.rules import load_rules

DEVSET = Path(__file__).parents[1] / "devset"
ALLOWED = {"llm", "rules-fallback"}


def _devset(name: str) -> list[dict]:
    with open(DEVSET / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _reports(rows: list[dict]) -> list[Report]:
    return [Report(r["id"], r["text"], r.get("modality")) for r in rows]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> LlamaServer:
    server = LlamaServer(tmp_path_factory.mktemp("llm") / "server.log")
    yield server
    server.stop()


@pytest.fixture
def own_server(tmp_path) -> LlamaServer:
    """A server of the test's own, for tests that kill it or leave it busy."""
    server = LlamaServer(tmp_path / "server.log")
    yield server
    server.stop()


def _mapper(server: LlamaServer, mode: str = "llm") -> LlmRelationMapper:
    # llama.cpp's server answers one request at a time: two in flight keep it busy without queueing
    # requests long enough to time out on a slow, shared 2-core machine.
    return LlmRelationMapper(LlmConfig(mode=mode, url=server.url, model=server.model, timeout_s=120, concurrency=2))


def _assert_protocol(results, rules: Pipeline, mapper: LlmRelationMapper, targets_of) -> dict[str, int]:
    """Each target key: a valid answer (mapper llm, keys of the schema) or the rules' keys (rules-fallback)."""
    seen = {"llm": 0, "rules-fallback": 0}
    for result in results:
        modality_rules = load_rules(result.modality)
        expected = rules.extract(result.report)
        assert set(result.findings) == set(expected.findings)  # presence stays with stage 1
        for key in targets_of(expected, modality_rules):
            finding = result.findings[key]
            mappers = {m.decided_by for m in finding.mentions}
            assert len(mappers) == 1 and mappers <= ALLOWED, (result.report.id, key, mappers)
            mapper_name = mappers.pop()
            seen[mapper_name] += 1
            if mapper_name == "llm":
                assert set(finding.related) <= set(modality_rules.related)
            else:
                assert finding.related == expected.findings[key].related
    stats = mapper.stats
    assert stats.asked == stats.answered + stats.fallback
    return seen


def test_every_note_gets_a_valid_answer_or_a_recorded_fallback(server, pipeline):
    rows = _devset("chest_ct.dev.jsonl")[:4] + _devset("brain_mri.dev.jsonl")[:3]
    mapper = _mapper(server)
    results = build_pipeline(relation_refiner=mapper).extract_batch(_reports(rows))
    assert len(results) == len(rows) and all(r.__class__.__name__ == "Result" for r in results)
    seen = _assert_protocol(results, pipeline, mapper, target_keys)
    assert seen["llm"] + seen["rules-fallback"] == mapper.stats.keys_asked > 0
    assert server.process.poll() is None, f"the LLM server died (exit {server.process.returncode})"
    assert seen["llm"] > 0  # the grammar-constrained server does answer
    assert mapper.stats.prompt_tokens > 0 and mapper.stats.completion_tokens > 0
    # llama.cpp's server refuses response_format json_schema; the client switched to json_object + schema
    assert mapper.backend.format_in_use == "json_object"


def test_hybrid_sends_only_the_uncertain_keys(server, pipeline):
    rows = _devset("chest_ct.dev.jsonl")[:7] + _devset("brain_mri.dev.jsonl")[:5]
    reports = _reports(rows)
    before = {r.id: pipeline.extract(r) for r in reports}
    uncertain = {i: uncertain_keys(res, load_rules(res.modality)) for i, res in before.items()}
    assert any(uncertain.values()) and any(not keys and target_keys(before[i], load_rules(before[i].modality))
                                           for i, keys in uncertain.items())  # fmt: skip
    mapper = _mapper(server, mode="hybrid")
    results = build_pipeline(relation_refiner=mapper).extract_batch(reports)
    assert mapper.stats.asked == sum(1 for keys in uncertain.values() if keys)
    _assert_protocol(results, pipeline, mapper, uncertain_keys)
    for result in results:
        for key in target_keys(result, load_rules(result.modality)):
            if key not in uncertain[result.report.id]:  # the rules are sure: left alone
                assert {m.decided_by for m in result.findings[key].mentions} == {"rules"}
                assert result.findings[key].related == before[result.report.id].findings[key].related


def test_a_timeout_is_retried_once_then_the_rules_answer(own_server, pipeline):
    mapper = LlmRelationMapper(LlmConfig(mode="llm", url=own_server.url, model=own_server.model, timeout_s=0.05,
                                         concurrency=2))  # fmt: skip
    reports = _reports(_devset("chest_ct.dev.jsonl")[:2])
    results = build_pipeline(relation_refiner=mapper).extract_batch(reports)
    assert mapper.stats.fallback == 2 and mapper.stats.reasons == {"timeout": 2}
    assert mapper.stats.requests == 4  # one retry each
    for result in results:
        assert result.findings_json() == pipeline.extract(result.report).findings_json()
        assert {m.decided_by for k in target_keys(result, load_rules("chest_ct"))
                for m in result.findings[k].mentions} == {"rules-fallback"}  # fmt: skip


def test_server_killed_mid_run_loses_no_note(own_server, pipeline, sqlite_cdm):
    """A CDM run with the LLM: the server dies after its first answer; the run goes on, every note
    is done, NOTE_NLP and the ledger say which mapper produced what."""
    rows = [r for r in _devset("chest_ct.dev.jsonl")[:6] + _devset("brain_mri.dev.jsonl")[:6]
            if pipeline.router.route(Report(r["id"], r["text"]), None) is not None]  # routed from the text alone
    note_ids = sqlite_cdm.add_notes([r["text"] for r in rows])
    mapper = _mapper(own_server)
    with_llm = build_pipeline(relation_refiner=mapper)
    watcher = own_server.kill_after_answers(1)
    summary = sqlite_cdm.run(pipeline=with_llm, batch_size=4)
    watcher.join(5)
    assert own_server.process.poll() is not None  # it was killed during the run
    assert summary.processed == len(rows) and not summary.failed
    ledger = sqlite_cdm.ledger()
    assert sorted(ledger) == note_ids and {e["status"] for e in ledger.values()} == {"done"}
    assert summary.nlp_system.startswith("omop-nlp ") and " llm:" in summary.nlp_system
    assert mapper.stats.answered >= 1 and mapper.stats.fallback >= 1
    assert mapper.stats.answered + mapper.stats.fallback == mapper.stats.asked
    notes_by_mapper: dict[str, set[int]] = {"llm": set(), "rules-fallback": set()}
    rows_by_note: dict[int, int] = {}
    for row in sqlite_cdm.note_nlp():
        rows_by_note[row["note_id"]] = rows_by_note.get(row["note_id"], 0) + 1
        mods = dict(part.split("=", 1) for part in row["term_modifiers"].split(","))
        if mods["mapper"] != "rules":
            notes_by_mapper[mods["mapper"]].add(row["note_id"])
    assert notes_by_mapper["llm"] and notes_by_mapper["rules-fallback"]
    for note_id, row in zip(note_ids, rows, strict=True):
        expected = pipeline.extract(Report(str(note_id), row["text"]))
        assert rows_by_note.get(note_id, 0) == len(expected.mentions)  # every mention still written
        error = ledger[note_id]["error"]
        if note_id in notes_by_mapper["rules-fallback"]:
            assert "rules-fallback" in error
        if note_id in notes_by_mapper["llm"]:
            assert "llm" in error


def test_cli_extract_with_the_llm_then_evaluate(server, run_cli, tmp_path, sqlite_cdm):
    rows = _devset("chest_ct.dev.jsonl")[:1] + _devset("brain_mri.dev.jsonl")[1:2]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    code, _, err = run_cli("extract", str(gold), "-o", str(pred), "--mapper", "llm", "--llm-url", server.url,
                           "--llm-concurrency", "2")  # --llm-model from the server's /models  # fmt: skip
    assert code == 0, err
    assert "extracted 2 report(s)" in err and "llm: " in err and "answered" in err
    lines = [json.loads(line) for line in pred.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in rows]
    assert {m["mapper"] for line in lines for m in line["mentions"]} & ALLOWED
    code, out, err = run_cli("evaluate", str(gold), str(pred))
    assert code == 0 and "Relations" in out
    # the CDM run takes the same options and writes the mapper into NOTE_NLP
    sqlite_cdm.add_notes([rows[0]["text"]])
    code, out, err = run_cli("run", "--cdm", sqlite_cdm.url, "--mapper", "hybrid", "--llm-url", server.url,
                             "--llm-model", server.model)  # fmt: skip
    assert code == 0, err
    assert "nlp_system: omop-nlp " in out and " hybrid:" in out and "llm: " in out
    assert all("mapper=" in row["term_modifiers"] for row in sqlite_cdm.note_nlp())
