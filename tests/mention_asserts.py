"""Assertions on mentions shared by the engine tests."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report, Result
from omop_nlp.pipeline import Pipeline


def assert_single_mention(result: Result, key: str, surface: str, certainty: Certainty) -> None:
    """Exactly one mention of ``key``, at ``surface``'s offsets in the note, with ``certainty``."""
    text = result.report.text
    mentions = [m for m in result.mentions if m.key == key]
    assert len(mentions) == 1, mentions
    mention = mentions[0]
    start = text.index(surface)
    assert (mention.start, mention.end) == (start, start + len(surface))
    assert text[mention.start : mention.end] == mention.text == surface
    assert mention.certainty == certainty


def findings(pipeline: Pipeline, text: str, modality: str = "chest_ct") -> dict[str, list[str]]:
    """The interchange ``findings`` of one note with ``text``: what the guideline's gold is written as."""
    return pipeline.extract(Report("t", text, modality)).findings_json()
