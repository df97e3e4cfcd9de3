"""``mappings/note_selection.yaml``: which NOTE rows are radiology reports of a supported modality.

The order in which the columns decide is in ``omop_nlp.sources.note_selection`` (and the file's
header); this module only says what the file may contain.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from omop_nlp.rules.common import Code, Regex, Terms
from omop_nlp.rules.load import RulesModel, load_model
from omop_nlp.rules.modality import Modality

NOTE_SELECTION_FILE = "note_selection.yaml"


class DocumentKind(RulesModel):
    """Concepts that identify a kind of document: LOINC codes (resolved per site) and concept ids."""

    loinc: list[str] = Field(default_factory=list, description="LOINC document codes, looked up in the site's "
                             "CONCEPT table")
    concept_ids: list[int] = Field(default_factory=list, description="concept ids as they are (a site's local "
                                   "document concepts)")

    def codes(self) -> set[Code]:
        return {Code("LOINC", c) for c in self.loinc}


class TextFallback(RulesModel):
    """What decides a note that no structured column identifies."""

    enabled: bool = Field(True, description="read such notes (unless their text reads like another kind of "
                          "note); off: skip them as not_selected:unidentified")
    other_document_phrases: Terms = Field(default_factory=list, description="whole-word phrases of other kinds of "
                                          "note (\"hospital course\"): not_selected:text")


class NoteSelectionRules(RulesModel):
    """Structured columns first (class/type concept, then title), the text only as a last resort."""

    modalities: dict[Modality, DocumentKind] = Field(default_factory=dict, description="modality -> its document "
                                                     "concepts: such a note is that modality's report")
    any_radiology: DocumentKind = Field(default_factory=DocumentKind, description="radiology documents of no one "
                                        "modality: the text decides the modality")
    other_documents: DocumentKind = Field(default_factory=DocumentKind, description="other kinds of document: "
                                          "skipped as not_selected:class")
    radiology_titles: list[Regex] = Field(default_factory=list, description="titles of radiology reports of no one "
                                          "modality")
    other_titles: list[Regex] = Field(default_factory=list, description="titles of other notes: skipped as "
                                      "not_selected:title")
    text_fallback: TextFallback = Field(default_factory=TextFallback, description="notes no column identifies")

    def codes(self) -> set[Code]:
        """The LOINC document codes to resolve in the site's CONCEPT table."""
        kinds = (*self.modalities.values(), self.any_radiology, self.other_documents)
        return {code for kind in kinds for code in kind.codes()}


def load_note_selection_rules(base: Path | None = None) -> NoteSelectionRules:
    return load_model(NoteSelectionRules, NOTE_SELECTION_FILE, base)
