"""OCR of a faxed or scanned report reads a letter as a digit inside a word ("n0dule"): the word is read as meant;
short names with a digit (sequence and level names) stay as written. Own sentences."""

from __future__ import annotations

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.text.tokens import tokenize


def test_a_digit_between_letters_of_a_long_word_is_its_letter() -> None:
    assert [t.lemma for t in tokenize("Two n0dules, one calcified p1aque")] == ["two", "nodule", ",", "one",
                                                                               "calcified", "plaque"]


def test_short_names_with_a_digit_stay() -> None:
    assert [t.lemma for t in tokenize("T1W and T2 images, b1000, L5")] == ["t1w", "and", "t2", "image", ",", "b1000",
                                                                         ",", "l5"]


def test_an_ocr_slip_names_its_finding(pipeline: Pipeline) -> None:
    text = "Impression: A 6 mm n0dule in the left upper lobe, unchanged."
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == {"nodule": ["lul"]}
