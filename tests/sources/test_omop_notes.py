"""Pure functions of the OMOP note source: each note's text is classified before the pipeline sees it."""

from __future__ import annotations

import pytest

from omop_nlp.sources.omop_notes import classify_text


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "null_text"),
        ("", "empty_text"),
        (" \n\t ", "empty_text"),
        (b"caf\xe9 \xff\xfe", "invalid_encoding"),
        ("\x01\x02\x03\x04\x05\x06\x07\x08" * 20 + "nodule", "binary"),
        ("Nodule in the RUL.\x00 No effusion.", None),  # a stray NUL is the pipeline's business
        ("결절 in the RUL.".encode(), None),
    ],
)
def test_note_text_is_classified_per_note(value, reason) -> None:
    text, got = classify_text(value)
    assert got == reason
    assert (text is None) == (reason is not None)
