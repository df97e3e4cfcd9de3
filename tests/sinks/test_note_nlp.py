"""Pure functions of the NOTE_NLP sink: the snippet and the row fields of a mention."""

from __future__ import annotations

from omop_nlp.model import Certainty, EntityType, Mention
from omop_nlp.sinks.note_nlp import snippet, term_exists, term_modifiers, term_temporal


def test_snippet_is_the_sentence_around_the_mention_within_250_chars() -> None:
    text = "EXAM: CT chest.\nFINDINGS: There is a 7 mm solid nodule in the right upper lobe. No pleural effusion."
    start = text.index("solid nodule")
    assert snippet(text, start, start + 12) == "FINDINGS: There is a 7 mm solid nodule in the right upper lobe."
    long_text = "word " * 200 + "nodule " + "word " * 200
    start = long_text.index("nodule")
    cut = snippet(long_text, start, start + 6)
    assert len(cut) <= 250 and "nodule" in cut


def test_row_fields_from_certainty_and_relations() -> None:
    mention = Mention("nodule", EntityType.LESION, 0, 6, "nodule", section="impression",
                      certainty=Certainty.HEDGED, related=["rll", "rul"])  # fmt: skip
    assert term_modifiers(mention, "location") == (
        "key=nodule,certainty=hedged,section=impression,location=rll|rul,type=lesion,mapper=rules"
    )
    assert term_exists(Certainty.HEDGED) == "Y" and term_exists(Certainty.NEGATED) == "N"
    assert term_exists(Certainty.HYPOTHETICAL) == "N"
    assert term_temporal(Certainty.HISTORICAL) == "past" and term_temporal(Certainty.PRESENT) == "present"
