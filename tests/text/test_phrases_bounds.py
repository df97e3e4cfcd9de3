"""Typo matching stays bounded on any word (issue 12 item 11): its lookup is quadratic in word length."""

from __future__ import annotations

import tracemalloc

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


def peak_bytes(pipeline: Pipeline, text: str) -> int:
    tracemalloc.start()
    try:
        pipeline.extract(Report("1", text))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_40000_letter_word_costs_about_what_a_short_note_costs() -> None:
    pipeline = Pipeline("chest_ct")
    pipeline.extract(Report("0", "Warm-up: spiculated nodule in the right upper lobe."))
    word = ("abcdefghijklmnopqrstuvwxyz" * 1600)[:40_000]  # distinct deletions: no set collapses them
    long_word = peak_bytes(pipeline, f"CT chest. {word} nodule in the left lower lobe.")
    assert long_word < 32 * 2**20  # before the cap: every one-letter deletion of the word, ~1.6 GB


def test_typos_of_lexicon_words_are_still_corrected() -> None:
    result = Pipeline("chest_ct").extract(Report("1", "CT chest. Subsegmental atelectsis in the left lower lobe."))
    assert "atelectasis" in result.findings
