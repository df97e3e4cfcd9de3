"""PipelineConfig and build_pipeline: one config, one builder, one nlp_system; bad configs fail early."""

from __future__ import annotations

import pickle

import pytest

from omop_nlp.build import build_pipeline, nlp_system
from omop_nlp.config import BertModels, PipelineConfig
from omop_nlp.errors import ConfigurationError, NoteFailed, NoteSkipped, UsageError
from omop_nlp.model import Report, Result
from omop_nlp.relations.llm.config import LlmConfig


def test_a_config_is_plain_data_that_a_worker_process_can_rebuild(pipeline) -> None:
    config = PipelineConfig(modality="chest_ct", llm=LlmConfig(mode="hybrid", url="http://x/v1", model="m"),
                            bert=BertModels(("model",), threads=2), max_note_chars=1000)  # fmt: skip
    assert pickle.loads(pickle.dumps(config)) == config
    assert config.relation_mapper == "hybrid" and PipelineConfig().relation_mapper == "rules"
    assert build_pipeline(PipelineConfig()).nlp_system == pipeline.nlp_system == nlp_system()


@pytest.mark.parametrize("config, error, message", [
    (PipelineConfig(modality="xray"), UsageError, "unknown modality 'xray'"),
    (PipelineConfig(max_note_chars=0), UsageError, "max_note_chars"),
    (PipelineConfig(mappings_dir="/nonexistent/mappings"), ConfigurationError, "OMOP_NLP_MAPPINGS"),
    (PipelineConfig(llm=LlmConfig(mode="llm")), ConfigurationError, "needs --llm-url"),
    (PipelineConfig(bert=BertModels(("/nonexistent/model",))), UsageError, "--bert: not a folder"),
])  # fmt: skip
def test_a_config_that_cannot_work_fails_before_any_note(config, error, message) -> None:
    with pytest.raises(error, match=message):
        build_pipeline(config)


def test_the_limit_of_the_config_skips_longer_notes() -> None:
    short = build_pipeline(PipelineConfig(max_note_chars=20))
    with pytest.raises(NoteSkipped) as skipped:
        short.extract(Report("a", "There is a nodule in the right upper lobe."))
    assert skipped.value.reason == "too_long" and skipped.value.report_id == "a"


def test_every_entry_point_gives_one_outcome_per_note_and_no_note_text(pipeline, monkeypatch) -> None:
    """One policy: extract raises NoteSkipped only; extract_batch/extract_many give an outcome per note."""
    secret = "Nodule in the RUL, patient Jane Roe."
    rules = pipeline.extract_rules

    def breaks_on_b(report, note_class_concept_id=None):
        if report.id == "b":
            raise RuntimeError(f"bug while reading {report.text}")
        return rules(report, note_class_concept_id)

    monkeypatch.setattr(pipeline, "extract_rules", breaks_on_b)
    reports = [Report("a", "Nodule in the RUL."), Report("b", secret), Report("c", "  ")]
    for outcomes in (pipeline.extract_batch(reports), list(pipeline.extract_many(reports))):
        assert [type(o) for o in outcomes] == [Result, NoteFailed, NoteSkipped]
        failed = outcomes[1]
        assert (failed.reason, failed.error_class, failed.report_id, failed.code) == (
            "internal_error", "RuntimeError", "b", "E401")
        assert "Jane" not in str(failed) and failed.__cause__ is None and failed.__context__ is None
    with pytest.raises(NoteFailed):
        pipeline.extract(reports[1])
