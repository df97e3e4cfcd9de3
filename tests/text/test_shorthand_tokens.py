"""Tokens of shorthand notation: a dash that ends a finding's phrase is the writer's "absent" and stays a token;
a dash inside words, before a word or as a bullet stays dropped (a hyphen joins, "ground-glass" == "ground glass")."""

from __future__ import annotations

import pytest

from omop_nlp.text.tokens import tokenize


def _lemmas(text: str) -> list[str]:
    return [t.lemma for t in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Atelectasis -.", ["atelectasis", "-", "."]),
        ("GGO -, BWT -", ["ggo", "-", ",", "bwt", "-"]),
        ("Pneumothorax -\nEffusion +", ["pneumothorax", "-", "effusion", "+"]),
        ("(mass -)", ["(", "mass", "-", ")"]),
        ("nodule \u2013;", ["nodule", "\u2013", ";"]),
        ("effusion -ve", ["effusion", "-", "ve"]),
        ("nodule \u2212,", ["nodule", "-", ","]),
        ("effusion (\u2212)", ["effusion", "(-)"]),
        ("ggo -\nbwt -", ["ggo", "-", "bwt", "-"]),
        ("1. Cavity -\n2. Abscess -", ["1", ".", "cavity", "-", "2", ".", "abscess", "-"]),
        ("Atx -\nSmall RUL nodule.", ["atx", "-", "small", "rul", "nodule", "."]),
        ("cons -\nmild lingular scarring", ["con", "-", "mild", "lingular", "scarring"]),
        ("PTX \u2014\nHEART SIZE NORMAL.", ["ptx", "\u2014", "heart", "size", "normal", "."]),
        ("bwt \u2212\nLungs otherwise clear.", ["bwt", "-", "lung", "otherwise", "clear", "."]),
    ],
    ids=["full-stop", "comma-list", "line-end", "parenthesis", "en-dash", "minus-ve", "minus-sign",
         "minus-sign-marker", "lower-case-checklist-rows", "numbered-checklist-rows", "before-a-new-finding",
         "before-a-lower-case-new-finding", "before-an-upper-case-line", "minus-sign-before-a-new-line"],
)
def test_a_dash_that_ends_a_phrase_is_a_token(text: str, expected: list[str]) -> None:
    assert _lemmas(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ground-glass", ["ground", "glass"]),
        ("- LLL scarring", ["lll", "scarring"]),
        ("Effusion - none", ["effusion", "none"]),
        ("4-6 mm", ["4", "6", "mm"]),
        ("mass - see above", ["mass", "see", "above"]),
        ("RUL -> stable", ["rul", "->", "stable"]),
        ("LLL opacity -\nprobably atelectasis", ["lll", "opacity", "probably", "atelectasis"]),
        ("1. Hilar mass -\n2. Lungs clear.", ["1", ".", "hilar", "mass", "2", ".", "lung", "clear", "."]),
        ("LUL opacity -\nProbably scarring.", ["lul", "opacity", "probably", "scarring", "."]),
        ("RML OPACITY -\nSUSPICIOUS FOR PNEUMONIA", ["rml", "opacity", "suspicious", "for", "pneumonia"]),
        ("LLL density \u2013\n? early infection", ["lll", "density", "?", "early", "infection"]),
        ("Lingular opacity -\nWith a few air bronchograms.", ["lingular", "opacity", "with", "a", "few", "air",
                                                               "bronchogram", "."]),
    ],
    ids=["hyphen", "bullet", "before-a-word", "range", "aside", "arrow", "line-goes-on", "next-numbered-item",
         "capitalised-hedge-line", "upper-case-hedge-line", "question-line", "capitalised-with-line"],
)
def test_other_dashes_are_dropped(text: str, expected: list[str]) -> None:
    assert _lemmas(text) == expected
