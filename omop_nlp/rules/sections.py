"""``mappings/sections.yaml``: report section headers, what each section means, and its LOINC code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from omop_nlp.rules.common import Code, Terms, TermsByLanguage
from omop_nlp.rules.load import RulesModel, load_model

SectionKind = Literal["findings", "comparison", "history", "indication", "recommendation", "technique", "other_organ",
                      "correction", "outside"]
WordList = Literal["abbreviations", "continuing_words", "question_answers"]  # the plain word lists of sections.yaml


class SectionRule(RulesModel):
    """One section: its headers and what a mention in it means."""

    kind: SectionKind = Field(description="findings of this examination, or a section whose mentions are history / "
                              "comparison (historical) or indication / recommendation / technique (hypothetical), "
                              "or other_organ: findings of an organ that is not the lungs (no chest lesion key), "
                              "or correction: findings stated later that may correct the body (an addendum, an "
                              "attending's word, a final read's discrepancy; see correction_cues), "
                              "or outside: another reader's report restated by a second opinion (\"Outside "
                              "report:\"), whose findings count only where the review keeps them (see "
                              "outside_readings)")
    code: Code | None = Field(None, description="the section's LOINC code (NOTE_NLP.section_concept_id)")
    headers: TermsByLanguage = Field(description="header words per language; the first section listing a header "
                                     "takes it")


class SectionsRules(RulesModel):
    """The sections a report is split into; text before any header is findings."""

    sections: dict[str, SectionRule] = Field(description="section name -> its rule")
    abbreviations: Terms = Field(default_factory=list, description="words written with a dot that does not end a "
                                 "sentence before a lower-case word (\"postop. volume loss\"); other words of three "
                                 "or more letters end one there (\"no recurrent tumor. old infarct\")")
    continuing_words: Terms = Field(default_factory=list, description="words no sentence ends with (\"no\", "
                                    "\"the\", \"in\", \"and\"): an upper-case line wrapped at a fixed width "
                                    "that stops on one goes on on the next line (\"... NO\" / \"PNEUMOTHORAX.\")")
    page_furniture: list[str] = Field(default_factory=list, description="regular expressions (case-insensitive) "
                                      "of a fax or OCR page header or footer (\"Page 1 of 2\", \"FAX FROM ... "
                                      "14:02\"); a line made only of them is layout, not text: a sentence it "
                                      "interrupts goes on after it")
    question_answers: Terms = Field(default_factory=list, description="words that answer the question before them: "
                                    "a sentence does not end at a \"?\" before one (\"Pleural effusion? None.\")")
    result_studies: TermsByLanguage = Field(default_factory=dict, description="study names that open a dated "
                                            "result line in a clinician's note (\"CT chest 3/2: ...\", \"MRI brain "
                                            "(4/4): ...\"): where a note quotes results of several dates, the "
                                            "latest is this examination's findings and the earlier the comparison")
    correction_cues: TermsByLanguage = Field(default_factory=dict, description="words that make a correction "
                                             "section correct the body (\"stated in error\", \"I disagree\", "
                                             "\"rather than\", \"as first dictated\"): there the later statement "
                                             "wins for the keys it names; a correction section without one (\"I "
                                             "agree\", an added finding) is read like findings")
    outside_readings: TermsByLanguage = Field(default_factory=dict, description="words that open a sentence "
                                              "restating another reader's report (\"The outside radiologist "
                                              "describes ...\"), besides the headers of an outside section, read "
                                              "like an outside section: a finding stated only there counts where the "
                                              "review agrees (agreement_cues) and does not deny it; where the review "
                                              "states the key itself, its own word and places win")
    agreement_cues: TermsByLanguage = Field(default_factory=dict, description="words by which a second opinion "
                                            "agrees with the outside reading it restates (\"We agree with the "
                                            "outside interpretation\", \"concur\")")
    disagreement_cues: TermsByLanguage = Field(default_factory=dict, description="words by which it does not "
                                               "(\"We disagree\", \"do not agree\"): these outweigh an "
                                               "agreement cue")

    def outside_openings(self) -> TermsByLanguage:
        """The openings of a sentence restating another reader: outside_readings and every outside section's
        header, bare and after "the" ("Outside impression ...", "The outside impression ..."), written once."""
        openings: TermsByLanguage = {language: list(terms) for language, terms in self.outside_readings.items()}
        for rule in self.sections.values():
            if rule.kind == "outside":
                for language, headers in rule.headers.items():
                    openings.setdefault(language, []).extend(f"{the}{h}" for h in headers for the in ("", "the "))
        return openings


def load_sections_rules(base: Path | None = None) -> SectionsRules:
    return load_model(SectionsRules, "sections.yaml", base)


@cache
def load_section_words(name: WordList) -> frozenset[str]:
    """One word list of sections.yaml in lower case, read once: the text readers look words up lower-cased."""
    return frozenset(w.lower() for w in getattr(load_sections_rules(), name))
