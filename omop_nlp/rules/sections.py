"""``mappings/sections.yaml``: report section headers, what each section means, and its LOINC code."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from omop_nlp.rules.common import Code, Terms, TermsByLanguage
from omop_nlp.rules.load import RulesModel, load_model

SectionKind = Literal["findings", "comparison", "history", "indication", "recommendation", "technique", "other_organ",
                      "correction", "outside", "preliminary", "final"]
# the plain word lists of sections.yaml
WordList = Literal["abbreviations", "continuing_words", "question_answers", "line_continuations"]


class SectionRule(RulesModel):
    """One section: its headers and what a mention in it means."""

    kind: SectionKind = Field(description="findings of this examination, or a section whose mentions are history / "
                              "comparison (historical) or indication / recommendation / technique (hypothetical), "
                              "or other_organ: findings of an organ that is not the lungs (no chest lesion key), "
                              "or correction: findings stated later that may correct the body (an addendum, an "
                              "attending's word, a final read's discrepancy; see correction_cues), "
                              "or outside: another reader's report restated by a second opinion (\"Outside "
                              "report:\"), whose findings count only where the review keeps them (see "
                              "outside_readers), "
                              "or preliminary: an overnight or teleradiology read that a final read of the same note "
                              "(a section of kind final) replaces, read as an outside reading where one follows and "
                              "as findings where none does (\"PRELIMINARY REPORT (teleradiology):\"), "
                              "or final: the final read after a preliminary one, read as findings")
    code: Code | None = Field(None, description="the section's LOINC code (NOTE_NLP.section_concept_id)")
    headers: TermsByLanguage = Field(description="header words per language; the first section listing a header "
                                     "takes it")


class OutsideReaders(RulesModel):
    """Other readers of the study and what they did, written once for both readers of their words: a sentence that
    opens with one restates that reader (read like an outside section), and a subject followed by a verb quotes it
    wherever it stands (a ConText quoted trigger each), so a new reader or verb covers both without a cross product
    written out by hand."""

    subjects: Terms = Field(min_length=1, description="who said it (\"outside radiologist\", \"AI\")")
    verbs: Terms = Field(min_length=1, description="how it said it (\"describes\", \"flagged\"): each subject "
                         "followed by each verb is a quoted trigger (context_rules), and opens a restating sentence")
    opens: Literal["alone", "with_verb"] = Field(description="alone: the subject by itself opens a restating "
                                                 "sentence, bare or after \"the\" (\"The outside radiologist "
                                                 "...\"), and the outside sections' headers are subjects of these "
                                                 "verbs too; with_verb: only followed by one of its verbs or "
                                                 "opening_verbs (\"The AI labels ...\"; \"AI\" alone opens a "
                                                 "tool's own line)")
    opening_verbs: Terms = Field(default_factory=list, description="verbs that open a restating sentence but quote "
                                 "nowhere else (a present tense the tokenizer folds into a noun: \"the AI flags\" "
                                 "opens a sentence, \"AI flag: infarct — confirmed\" is the tool's line)")

    def phrases(self, subjects: Terms = (), verbs: Terms | None = None) -> Terms:
        """Each subject (these and ``subjects``) with each verb (``verbs``, else the quoting ones): "outside
        report describes", "outside report described", ..."""
        return [f"{subject} {verb}" for subject in [*self.subjects, *subjects]
                for verb in (self.verbs if verbs is None else verbs)]


class StructuredItems(RulesModel):
    """The item names of a structured report rendered as a content tree (a DICOM SR: "Finding = Nodule" with the
    sibling items "Finding site = ..." and "Presence = Absent" below it), which say of the finding item's finding
    what a sentence would say on its own line."""

    findings: Terms = Field(default_factory=list, description="names of the item whose value is a finding "
                            "(\"Finding\"): it opens a group of the item lines after it at the same indentation")
    presence: Terms = Field(default_factory=list, description="names of a sibling item whose value states or denies "
                            "the group's finding (\"Presence = Absent\"), read by the negation triggers")
    sites: Terms = Field(default_factory=list, description="names of a sibling item whose value is the finding's "
                         "place (\"Finding site\"): another organ there makes the finding that organ's, no key")


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
    line_tags: list[str] = Field(default_factory=list, description="regular expressions (case-sensitive) of a tag "
                                 "that a text export puts before every line of a report (a line number \"0004 \", "
                                 "\"TX|\"): where every line has one, the tags are layout, and a long tagged line "
                                 "that stops mid-phrase is wrapped (text/transport.py)")
    question_answers: Terms = Field(default_factory=list, description="words that answer the question before them: "
                                    "a sentence does not end at a \"?\" before one (\"Pleural effusion? None.\")")
    line_continuations: Terms = Field(default_factory=list, description="words that open a line going on about the "
                                      "finding of the line before it (\"likely\", \"with\", \"?\"): a dash that "
                                      "ends that line joins the two (\"RLL consolidation -\" / \"Likely "
                                      "pneumonia.\"); before any other line a line-end dash is the shorthand "
                                      "\"absent\" (\"eff -\" / \"Nodule in the RUL.\")")
    result_studies: TermsByLanguage = Field(default_factory=dict, description="study names that open a dated "
                                            "result line in a clinician's note (\"CT chest 3/2: ...\", \"MRI brain "
                                            "(4/4): ...\"): where a note quotes results of several dates, the "
                                            "latest is this examination's findings and the earlier the comparison")
    correction_cues: TermsByLanguage = Field(default_factory=dict, description="words that make a correction "
                                             "section correct the body (\"stated in error\", \"I disagree\", "
                                             "\"rather than\", \"as first dictated\"): there the later statement "
                                             "wins for the keys it names; a correction section without one (\"I "
                                             "agree\", an added finding) is read like findings")
    review_openings: TermsByLanguage = Field(default_factory=dict, description="openings of a sentence in which the "
                                             "writer re-reads the images (\"Having reviewed the images with our "
                                             "thoracic radiologist, we think ...\"): with a correction cue it corrects "
                                             "the report before it as a correction section does (\"... linear "
                                             "atelectasis rather than a true nodule\")")
    former_place_words: TermsByLanguage = Field(default_factory=dict, description="words right before a place "
                                                "that a correction names as where the earlier reading put a "
                                                "finding (\"the nodule described in the right upper lobe is in "
                                                "the left upper lobe\"): that place is the finding's no more")
    outside_readers: dict[str, list[OutsideReaders]] = Field(
        default_factory=dict, description="language -> other readers (an outside radiologist, a detection tool) and "
        "what they did, the one source of both: a sentence opening with one restates that reader (\"The outside "
        "radiologist describes ...\"; the headers of an outside section open one too), read like an outside "
        "section: a finding stated only there counts where the review agrees (agreement_cues) and does not deny "
        "it, and where the review states the key itself, its own word and places win; a subject followed by a verb "
        "quotes that reader anywhere (context_rules quoted triggers: what it names is the reader's, not this "
        "examination's)")
    item_references: TermsByLanguage = Field(default_factory=dict, description="words that name a detection "
                                             "tool's numbered item (\"item\", \"finding\", \"mark\"): with its "
                                             "number they open the item's own line (\"Item 2: 4 mm nodule LUL\", "
                                             "besides a list number \"2)\"), and a later sentence that opens with "
                                             "them (\"Item 2: disagree\", \"CAD mark 1 is a vessel\") gives the "
                                             "radiologist's verdict on that item: a rejection withdraws its findings")
    structured_items: StructuredItems = Field(default_factory=StructuredItems, description="the item names of a "
                                              "structured report's content tree (DICOM SR), whose sibling items "
                                              "place, state or deny the finding item's finding")
    agreement_cues: TermsByLanguage = Field(default_factory=dict, description="words by which a second opinion "
                                            "agrees with the outside reading it restates (\"We agree with the "
                                            "outside interpretation\", \"concur\")")
    disagreement_cues: TermsByLanguage = Field(default_factory=dict, description="words by which it does not "
                                               "(\"We disagree\", \"do not agree\"): these outweigh an "
                                               "agreement cue")

    def outside_headers(self, language: str) -> Terms:
        """The headers of the outside sections in ``language``: they name another reader too."""
        return [h for rule in self.sections.values() if rule.kind == "outside" for h in rule.headers.get(language, [])]

    def outside_openings(self) -> TermsByLanguage:
        """The openings of a sentence restating another reader, bare and after "the": every outside section's header
        and every reader that opens one alone ("Outside impression ...", "The outside radiologist ..."), and the
        others with a verb ("The AI labels ...")."""
        openings: TermsByLanguage = {}
        for language in sorted({*self.outside_readers, *(lang for r in self.sections.values() if r.kind == "outside"
                                                         for lang in r.headers)}):
            readers = self.outside_readers.get(language, [])
            named = [*self.outside_headers(language),
                     *(s for r in readers if r.opens == "alone" for s in r.subjects),
                     *(p for r in readers if r.opens == "with_verb" for p in r.phrases(verbs=[*r.verbs,
                                                                                           *r.opening_verbs]))]
            openings[language] = [f"{the}{n}" for n in named for the in ("", "the ")]
        return openings

    def quoted_readers(self, language: str) -> Terms:
        """The quoted triggers of ``language``: each reader (with the outside headers where a reader opens alone)
        followed by each of its verbs ("outside report describes", "AI flagged")."""
        headers = self.outside_headers(language)
        return list(dict.fromkeys(p for r in self.outside_readers.get(language, [])
                                  for p in r.phrases(headers if r.opens == "alone" else ())))

def load_sections_rules(base: Path | None = None) -> SectionsRules:
    return load_model(SectionsRules, "sections.yaml", base)


@cache
def load_section_words(name: WordList) -> frozenset[str]:
    """One word list of sections.yaml in lower case, read once: the text readers look words up lower-cased."""
    return frozenset(w.lower() for w in getattr(load_sections_rules(), name))
