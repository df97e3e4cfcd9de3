"""``mappings/<modality>.yaml``: the keys of one modality, their words and codes, and the grammar
words the lexicon and the relation rules read.

One model per section. A new section is a new field of :class:`ModalityRules` (with a default, so
that a modality without it still loads) whose type is a model of its own in this module.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from omop_nlp.rules.common import Code, Terms, TermsByLanguage
from omop_nlp.rules.load import MappingError, RulesModel, load_model

MODALITIES = ("chest_ct", "brain_mri")


def _known_modality(name: str) -> str:
    if name not in MODALITIES:
        raise ValueError(f"unknown modality {name!r}; expected one of {', '.join(MODALITIES)}")
    return name


Modality = Annotated[str, AfterValidator(_known_modality)]
"""A supported modality name, as a key of another file's section."""


class KeyDef(RulesModel):
    """What entity keys and related keys share: a display name, a code and the words that name them."""

    display: str = Field(description="human-readable name (NOTE_NLP lexical_variant context, FHIR display)")
    code: Code = Field(description="the concept the key is written as")
    terms: TermsByLanguage = Field(default_factory=dict, description="entity values per language: the words "
                                   "that name the key in a report")
    _key: str = PrivateAttr(default="")

    @property
    def key(self) -> str:
        """The key this definition is filed under (``nodule``, ``rul``)."""
        return self._key

    def all_terms(self) -> list[str]:
        return [t for lang_terms in self.terms.values() for t in lang_terms]


class EntityKey(KeyDef):
    """A stage-1 entity key: a lesion (chest CT) or a diagnosis (brain MRI)."""

    relates: bool = Field(False, description="stage 2 relates it to related keys (locations, episodes)")
    group: Literal["malignant", "tumor", "non_tumor"] | None = Field(
        None, description="diagnosis group; malignant tumors take episodes and count when treated or known")


class RelatedKey(KeyDef):
    """A stage-2 related key: a location (chest CT) or an episode (brain MRI)."""

    side: Literal["right", "left", "both", "none"] | None = Field(
        None, description="laterality of a location (FHIR bodySite laterality; lobe-level checks)")
    expands_to: list[str] = Field(default_factory=list, description="the keys a bilateral location stands for in "
                                  "scoring (guideline rule 4: bll -> rll, lll)")
    episode_concept: Code | None = Field(None, description="the EPISODE disease-status concept of an episode key")


class DocumentLoinc(RulesModel):
    """The LOINC document code of the report type (FHIR DiagnosticReport.code)."""

    code: str = Field(description="LOINC code, e.g. 24627-2")
    display: str = Field(description="its display name")


class LocationGrammar(RulesModel):
    """Lobe words composed from a side and a zone ("right ... lower lobe", "Lt. base"): side word + zone
    word -> location key. Segments map to their lobe (guideline rule 5)."""

    sides: dict[str, Terms] = Field(default_factory=dict, description="side name -> side words")
    zones: dict[str, Terms] = Field(default_factory=dict, description="zone name -> zone words")
    compose: dict[str, dict[str, str | list[str]]] = Field(
        default_factory=dict, description="side -> zone -> the location key (or keys) they make together")
    glue: Terms = Field(default_factory=list, description="single words that may stand between a side and its "
                        "zone words (\"right upper and lower lobes\")")
    zone_links: Terms = Field(default_factory=list, description="single words that may link zone words to the lung "
                              "of a side after them (\"the lower lobe of left lung\")")
    zone_list_links: Terms = Field(default_factory=list, description="single words that join two bare zone words "
                                   "(no place of their own) before the lung of a side (\"S4, S5 of the right lung\")")
    bilateral_words: Terms = Field(default_factory=list, description="\"both lungs\", \"bilateral\" with no zone "
                                   "word: both lungs")
    anaphora: Terms = Field(default_factory=list, description="\"in the same lobe\": the previous lesion's location")
    count_words: Terms = Field(default_factory=list, description="single side words that, right before findings, "
                               "count them rather than place them (\"both nodules are solid\": two nodules)")

    def lung_sides(self) -> dict[str, str]:
        """A whole lung's location key -> its side (the first side whose ``compose`` makes it from ``lung``): the
        lexicon and the location mapper both ask which side a lung names."""
        sides: dict[str, str] = {}
        for side, zones in self.compose.items():
            if isinstance(lung := zones.get("lung"), str):
                sides.setdefault(lung, side)
        return sides


class RelationGrammar(RulesModel):
    """Single words the location mapper reads between locations and lesions (relations/locations.py)."""

    prepositions: Terms = Field(default_factory=list, description="may stand between a location and the lesion "
                                "it modifies (\"RUL 7 mm solid nodule\")")
    coordination: Terms = Field(default_factory=list, description="join lesions that share their locations "
                                "(\"consolidation and atelectasis in the RLL\")")
    location_list: Terms = Field(default_factory=list, description="join two locations into one list "
                                 "(\"RUL, RML and LLL\"); other words start a new phrase")
    heading_marks: Terms = Field(default_factory=list, description="after a location-only line, make it a heading "
                                 "(\"Right lower lobe:\")")
    lesion_modifiers: Terms = Field(default_factory=list, description="may stand inside a coordination of lesions "
                                    "after and/or (\"consolidation and some atelectasis\")")
    list_bullets: Terms = Field(default_factory=list, description="start a list item, as numbers do (\"-\", \"•\"): "
                                "a lead-in line naming a lesion (\"Multiple nodules:\") lends it to the items below")
    image_references: Terms = Field(default_factory=list, description="with the numbers after them, an aside that "
                                    "interrupts no phrase (\"left upper (image 17) and left lower nodules\")")
    finding_marks: Terms = Field(default_factory=list, description="a one-token mark after a finding that is an "
                                 "aside and interrupts no phrase (\"septal thickening (+) and GGO in both lungs\")")
    shared_place: Terms = Field(default_factory=list, description="a lesion with no place named after one of these "
                                "takes the place of the lesion before it (\"RML consolidation with peribronchial "
                                "thickening\")")
    placed_by_next: Terms = Field(default_factory=list, description="... or of the lesion after it (\"bronchiolectasis "
                                  "within the groundglass in the lower lobes\")")
    own_place: Terms = Field(default_factory=list, description="a place right after one of these after a lesion "
                             "is that lesion's alone where the lesions before it have their own (\"left hilar mass "
                             "with collapse of the left lower lobe\")")
    distribution: Terms = Field(default_factory=list, description="before a place after the sentence's lesions: the "
                                "place is the distribution of all of them (\"Bilateral ground-glass with reticulation, "
                                "predominantly in the lower lobes\")")
    fronting: Terms = Field(default_factory=list, description="words that may open a sentence before a place that "
                            "then is every lesion's of the sentence (\"In the RUL there is scarring and a granuloma\")")
    heading_verbs: Terms = Field(default_factory=list, description="a verb right after a place that opens the "
                                 "sentence, which then heads every lesion of the sentence that names no place of its "
                                 "own, as a colon would (\"Double lung upper lobe see cord-like shadow and calcified "
                                 "nodules\", translated templates)")
    weighting: Terms = Field(default_factory=list, description="in a comma clause before a place after lesions that "
                             "are placed already, the place weighs their extent and names none of its own (\"septal "
                             "thickening in both lungs, more in the right lung\")")
    largest_members: Terms = Field(default_factory=list, description="words that name the largest members of a set "
                                   "placed in both lungs (\"nodules in both lungs, largest in the RML and LLL\"): "
                                   "the lobes after them are examples, so both lungs stay beside lobes of both "
                                   "sides")
    other_members: Terms = Field(default_factory=list, description="words that place the rest of such a set in "
                                 "its sentence (\"the largest in the LLL, the others in the RUL and RLL\"): every "
                                 "member is placed, so the lobes replace both lungs")


class EpisodeGrammar(RulesModel):
    """Single words the episode mapper reads around change words (relations/episodes.py)."""

    clause_breaks: Terms = Field(default_factory=list, description="end the clause a change word applies in")
    denials: Terms = Field(default_factory=list, description="right before an attribution phrase they deny it "
                           "(\"not related to\", \"less likely\"), and right after one that follows its subject "
                           "(\"가능성 낮음\")")
    alternatives: Terms = Field(default_factory=list, description="right after an attribution's subject they make "
                                "it one side of a differential (\"infection or metastases\")")
    attachments: Terms = Field(default_factory=list, description="between a diagnosis and a change word they make "
                               "the change a feature's (\"glioblastoma with increased enhancement\"), which an "
                               "attribution after it may explain")
    articles: Terms = Field(default_factory=list, description="may stand between an attribution and its subject "
                            "(\"likely a radiation injury\")")
    first_exam_changes: Terms = Field(default_factory=list, description="change words that also describe a first "
                                      "examination (\"a new mass\"): an episode only where the report compares "
                                      "with a prior examination")
    resection_changes: Terms = Field(default_factory=list, description="change words that tell a tumor's removal "
                                     "(\"gross total resection\", \"removed\"): an episode only where the report "
                                     "compares with a pre-operative examination (prior_examination.preoperative)")
    remission_improvements: Terms = Field(default_factory=list, description="improvement phrases of a remission of "
                                          "the disease (\"complete remission\"), not of one lesion: beside a "
                                          "progression of the same diagnosis they tell the state before it")
    remission_states: Terms = Field(default_factory=list, description="stable words that tell a state without "
                                    "disease (\"in remission\", \"sustained complete response\"): where the report "
                                    "states progression of the same diagnosis (a relapse) they tell the state "
                                    "before it, no stable")
    lesion_names: Terms = Field(default_factory=list, description="change words that also name the lesion the "
                                "change made (\"recurrence\"): as the head of a place phrase, a place word and the "
                                "article before them (\"decrease in enhancement at the left frontal recurrence\"), "
                                "they name that known lesion, no change of this examination")
    place_links: Terms = Field(default_factory=list, description="the prepositions that open such a place phrase "
                               "(\"at\", \"around\")")


class OrganReach(RulesModel):
    """How many words may stand between an organ word and a lesion word."""

    before: int = Field(4, description="organ word before the lesion word (\"left adrenal 1 cm nodule\")")
    after: int = Field(8, description="after the link that follows the lesion word (\"nodule in the right lobe of "
                       "the thyroid\")")


class OtherOrgans(RulesModel):
    """Guideline section 2 rule 10: a lesion word whose phrase names an organ other than the lungs is no key."""

    words: TermsByLanguage = Field(default_factory=dict, description="organ and site words (\"adrenal\", "
                                   "\"subcutaneous\", \"T8\")")
    links: Terms = Field(default_factory=list, description="join an organ named after the lesion word to it "
                         "(\"in\", \"of\", \":\")")
    reach: OrganReach = Field(default_factory=OrganReach, description="words allowed between organ and lesion")
    breaks: Terms = Field(default_factory=list, description="end the phrase (\"hepatic cyst and a RUL nodule\")")
    subject_breaks: Terms = Field(default_factory=list, description="end an organ that opens the sentence as its "
                                  "subject (\"The thyroid is enlarged with nodules\" has none)")
    levels: Terms = Field(default_factory=list, description="an organ word next to one of these gives an axial "
                          "level, not the lesion's organ (\"nodule at the level of T5\", \"at D10 level\")")
    lung_words: Terms = Field(default_factory=list, description="name the lung between an organ word and the lesion "
                              "word, or in the lesion's own term: the lesion is the lung's (\"calcified mediastinal "
                              "and perihilar pulmonary nodules\")")


class AdjectiveHeads(RulesModel):
    """An adjective of a key names it whatever generic noun it modifies (\"consolidative density\")."""

    nouns: Terms = Field(default_factory=list, description="generic head nouns (\"opacity\", \"density\")")
    adjectives: dict[str, Terms] = Field(default_factory=dict, description="entity key -> its adjectives")
    nouns_before: Terms = Field(default_factory=list, description="generic nouns that also name the key with "
                                "the adjective after them, in the word order of writers of Romance languages "
                                "(\"pattern reticular\", \"image nodular\")")
    nouns_of: Terms = Field(default_factory=list, description="generic nouns that name the key of the term after "
                            "them and \"of\" (\"focus of consolidation\" is consolidation, not the nodule that "
                            "\"focus\" alone names)")


class StatedFinding(RulesModel):
    """A key stated as a part in a state, apart in the clause ("Bronchial walls in both lower lobes thickened",
    "fluid in the right pleural cavity"): the state word is the finding."""

    key: str = Field(description="the entity key the part in that state names")
    parts: Terms = Field(min_length=1, description="the parts, of two words or more (\"bronchial walls\", "
                         "\"pleural cavity\"), so that a one-word place keeps its own meaning")
    states: Terms = Field(min_length=1, description="the state words (\"thickened\", \"fluid\")")


class StatedFindings(RulesModel):
    """Parts in a state that name a key, and how far apart the two may stand."""

    reach: int = Field(8, ge=1, description="the most words from the part to its state, either order")
    breaks: Terms = Field(default_factory=list, description="words that end the clause between the two")
    findings: list[StatedFinding] = Field(default_factory=list, description="the parts and states of each key")


class TwoKeyTerm(RulesModel):
    """Terms that name several entity keys at once (a part-solid nodule is both ggo and nodule)."""

    keys: list[str] = Field(min_length=2, description="the entity keys the terms name")
    terms: Terms = Field(description="the terms")


class ItemLabels(RulesModel):
    """A numbered item labelled by a lesion word ("Nodule 2: RML, 5 mm ground-glass") that states what the lesion
    is by another key's word after its size names that key's lesion only: a ground-glass nodule is ``ggo`` only
    (guideline section 2), so the label's word names no lesion of its own."""

    labels: dict[str, list[str]] = Field(default_factory=dict, description="label key -> the keys whose word after "
                                         "the item's size says what the labelled lesion is (nodule -> [ggo])")
    sizes: Terms = Field(default_factory=list, description="the size units such a word follows (\"mm\", \"cm\")")


class Presence(RulesModel):
    """How presence is decided beyond the assertion of each mention (guideline section 3 rule 1)."""

    later_dismissal_wins: bool = Field(False, description="a hedged diagnosis later named as unlikely (\"abscess "
                                       "or lymphoma ... lymphoma is considered less likely\") is absent, unless a "
                                       "mention after the dismissal asserts it again")
    dismissal_names: Literal["words", "key"] = Field(
        "words", description="what a dismissal must name to dismiss an earlier hedged mention: the same words or their "
        "tail (brain: \"likely meningioma; schwannoma less likely\" keeps the meningioma, \"a high-grade glioma ... "
        "glioma is considered unlikely\" dismisses it) or the same key (chest: \"early fibrotic "
        "lung disease ... established fibrosis is not favoured\" dismisses the fibrosis)")
    dismissal_within: Literal["report", "sentence"] = Field(
        "report", description="where a dismissal reaches back: the whole report (brain), or its own sentence (chest: "
        "a differential ranked where it is listed; \"nodules, likely granulomas. Metastatic nodules are unlikely\" "
        "keeps the nodules)")
    repeated_dismissal_wins: bool = Field(False, description="where dismissals reach only their own sentence: a "
                                          "later dismissal that repeats the hedged finding's name of two words or more "
                                          "reaches back over the whole report (a differential paragraph argued to a "
                                          "verdict: \"Differential considerations include infection and cavitating "
                                          "squamous cell carcinoma. ... squamous cell carcinoma is less likely\")")
    same_names: dict[str, str] = Field(default_factory=dict, description="short name -> the full name a dismissal "
                                       "may name the same diagnosis by (\"Radiology differential: lymphoma versus "
                                       "glioblastoma ... GBM is less likely\": gbm -> glioblastoma)")
    back_references: dict[Literal["latter", "former", "both"], Terms] = Field(
        default_factory=dict, description="words that name the last (latter), the one before the last (former) or "
        "the last two (both) diagnoses named before them: denying or dismissing them does so to those diagnoses "
        "(\"metastasis or abscess; the latter is less likely\", \"a metastasis and a glioblastoma ... makes both of "
        "these unlikely\")")


class PriorExamination(RulesModel):
    """Whether a report compares with a prior examination (guideline section 3 rule 2): it does where it
    states one or follows known disease; where it denies one, it is a first examination."""

    stated: TermsByLanguage = Field(default_factory=dict, description="words that state a comparison "
                                    "(\"compared\", \"interval\", \"s/p\")")
    denied: TermsByLanguage = Field(default_factory=dict, description="phrases that deny one (\"no prior\", "
                                    "\"first examination\")")
    preoperative: TermsByLanguage = Field(default_factory=dict, description="phrases that name the prior "
                                          "examination as one before an operation (\"preoperative MRI\"): the "
                                          "tumor's removal since then is a change (episode_grammar.resection_changes)")


class MeasuredChange(RulesModel):
    """A size now beside the size before ("8 mm (previously 5 mm)") states a change where no change word
    of the sentence does (guideline section 3: increased or decreased size)."""

    earlier: Terms = Field(default_factory=list, description="the words alone between two sizes that make the "
                           "second one the earlier size (\"previously\", \"was\", \"from\", \"as against\")")
    later: Terms = Field(default_factory=list, description="marks that, alone between two sizes, make the second "
                         "one the later size (\"12 mm -> 6 mm\")")
    units: dict[str, float] = Field(default_factory=dict, description="unit word -> millimetres")
    growth: float = Field(1.2, description="a size now over the size before at or above this is progression")
    shrinkage: float = Field(0.8, description="... at or below this improvement; equal sizes are stable, other "
                             "differences state nothing by themselves")


class LesionSites(RulesModel):
    """Where a lesion is, to tell whether two sentences speak of the same one (relations/episodes.py): a
    change that one sentence puts down to treatment is none in another sentence about the same lesion."""

    sides: dict[str, Terms] = Field(default_factory=dict, description="side name -> side words")
    places: TermsByLanguage = Field(default_factory=dict, description="anatomical place words (\"frontal\", "
                                    "\"cerebellar\")")
    treated_site: TermsByLanguage = Field(default_factory=dict, description="words naming the treated site "
                                          "(\"resection cavity\"), one place")


class ModalityRules(RulesModel):
    """The rules of one modality: its keys, their words and codes, and the words the stages read."""

    modality: str = Field(description="the modality name; the file is mappings/<modality>.yaml")
    display: str = Field(description="human-readable modality (\"Chest CT\")")
    document_loinc: DocumentLoinc = Field(description="LOINC document code of the report type")
    entity_type: Literal["lesion", "diagnosis"] = Field(description="what the entity keys are")
    related_type: Literal["location", "episode"] = Field(description="what the related keys are")
    entities: dict[str, EntityKey] = Field(description="stage-1 entity keys (guideline section 2)")
    related: dict[str, RelatedKey] = Field(description="stage-2 related keys, in the order prompts list them")
    location_grammar: LocationGrammar = Field(default_factory=LocationGrammar,
                                              description="side + zone composition of location words")
    ignore: TermsByLanguage = Field(default_factory=dict, description="phrases that contain an entity value but "
                                    "are not the entity (\"thyroid nodule\"); the longest match wins")
    typo_exclude: Terms = Field(default_factory=list, description="words never corrected as typos of a term")
    relation_grammar: RelationGrammar = Field(default_factory=RelationGrammar,
                                              description="words the location mapper reads")
    non_key_heads: Terms = Field(default_factory=list, description="nouns a location may modify that are no key "
                                 "(\"left lower lobe infiltrate\"): the location is theirs")
    procedure_heads: Terms = Field(default_factory=list, description="nouns of a procedure: a location heading one "
                                   "is never a lesion's (\"right upper lobe wedge resection\")")
    other_organs: OtherOrgans = Field(default_factory=OtherOrgans, description="organ words: lesion words of "
                                      "another organ are no key (guideline section 2 rule 10)")
    adjective_heads: AdjectiveHeads = Field(default_factory=AdjectiveHeads, description="adjective + generic noun "
                                            "terms of a key")
    two_key_terms: list[TwoKeyTerm] = Field(default_factory=list, description="terms that name two keys at once")
    stated_findings: StatedFindings = Field(default_factory=StatedFindings, description="a part and its state, "
                                            "apart in a clause, that name a key (\"bronchial walls ... thickened\")")
    quality_terms: Terms = Field(default_factory=list, description="terms that name a lesion only where their "
                                 "sentence places it in the lung (\"clustered nodularity in the RML\"); elsewhere a "
                                 "quality of what they are said of (\"less likely given the nodularity\" of a "
                                 "pleural rind)")
    item_labels: ItemLabels = Field(default_factory=ItemLabels, description="numbered item labels (\"Nodule 2:\") "
                                    "whose item says what the lesion is by another key")
    continuation_starts: Terms = Field(default_factory=list, description="a location-only sentence starting like "
                                       "this continues the previous sentence's lesion (\"It is located in the RUL.\")")
    explanation_starts: Terms = Field(default_factory=list, description="a lesion sentence without location "
                                      "starting like this takes the previous finding's locations")
    diagnosis_terms: Terms = Field(default_factory=list, description="terms that name what a lesion is (\"adeno"
                                   "carcinoma\"): one with no place takes the place of the lesion its sentence names "
                                   "before it")
    tumor_references: TermsByLanguage = Field(default_factory=dict, description="words that refer back to a "
                                              "tumor (\"the lesion\", \"enhancement\") for episodes")
    non_episode_subjects: TermsByLanguage = Field(default_factory=dict, description="subjects a change word may "
                                                  "describe that are no tumor (\"postoperative change\")")
    episode_attributions: TermsByLanguage = Field(default_factory=dict, description="attribute a change to the "
                                                  "subject named after them (\"likely\", \"due to\")")
    episode_attributions_after: TermsByLanguage = Field(default_factory=dict, description="attribute a change "
                                                        "to the subject named right before them, as Korean and terse "
                                                        "reports put it (\"radiation necrosis favoured\")")
    episode_dismissals_after: TermsByLanguage = Field(default_factory=dict, description="right after a "
                                                      "non-tumor subject they dismiss it (\"pseudoprogression is less "
                                                      "likely\"): no change is said of it or put down to it")
    treatment_effects: TermsByLanguage = Field(default_factory=dict, description="effects of treatment, non-episode "
                                               "subjects too: when the impression explains the change by one of "
                                               "these and states no progression, growth described elsewhere is no "
                                               "progression")
    history_leads: TermsByLanguage = Field(default_factory=dict, description="a sentence opening with one of "
                                           "these tells the clinical story (\"Follow up of ...\"): its change words "
                                           "are no episodes of this examination, nor those of a sentence opening with "
                                           "sections.yaml outside_readers (Latin script only)")
    episode_back_references: TermsByLanguage = Field(default_factory=dict, description="a findings sentence "
                                                     "opening with one of these (\"It is thought to be ...\") speaks "
                                                     "of the sentence just before it: where it puts that change down "
                                                     "to treatment, the change is no progression (Latin script only)")
    change_explanations: TermsByLanguage = Field(default_factory=dict, description="said right after a change, "
                                                 "they explain it as no real change (\"within measurement "
                                                 "variability\"): no episode")
    prior_examination: PriorExamination = Field(default_factory=PriorExamination,
                                                description="words that state or deny a prior examination")
    lesion_sites: LesionSites = Field(default_factory=LesionSites, description="sides and places of brain lesions")
    measured_change: MeasuredChange = Field(default_factory=MeasuredChange, description="sizes now and before "
                                            "that state a change (\"now 5 mm (was 14 mm)\")")
    presence: Presence = Field(default_factory=Presence, description="presence beyond each mention's assertion")
    episode_grammar: EpisodeGrammar = Field(default_factory=EpisodeGrammar,
                                            description="words the episode mapper reads")

    @model_validator(mode="after")
    def _check_keys(self) -> ModalityRules:
        """Keys are filed under their names; expansions and compositions name related keys."""
        for key, definition in (*self.entities.items(), *self.related.items()):
            definition._key = key
        for where, keys in ([("adjective_heads.adjectives", list(self.adjective_heads.adjectives))]
                            + [(f"two_key_terms[{i}].keys", t.keys) for i, t in enumerate(self.two_key_terms)]
                            + [(f"stated_findings.findings[{i}].key", [f.key])
                               for i, f in enumerate(self.stated_findings.findings)]):
            unknown = [k for k in keys if k not in self.entities]
            if unknown:
                raise ValueError(f"{where}: not entity keys: {', '.join(unknown)}")
        for key, definition in self.related.items():
            unknown = [k for k in definition.expands_to if k not in self.related]
            if unknown:
                raise ValueError(f"related.{key}.expands_to: not related keys: {', '.join(unknown)}")
        for side, zones in self.location_grammar.compose.items():
            for zone, keys in zones.items():
                unknown = [k for k in ([keys] if isinstance(keys, str) else keys) if k not in self.related]
                if unknown:
                    raise ValueError(f"location_grammar.compose.{side}.{zone}: not related keys: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _check_conditional_changes(self) -> ModalityRules:
        """The episode grammar's conditional change words only restrict change words the episode terms
        already list (as written there): one missing there (a typo) would silently switch its rule off."""
        change_words = {t.lower() for definition in self.related.values() for t in definition.all_terms()}
        grammar = self.episode_grammar
        for where, words in (("first_exam_changes", grammar.first_exam_changes),
                             ("resection_changes", grammar.resection_changes)):
            unknown = [w for w in words if w.lower() not in change_words]
            if unknown:
                raise ValueError(f"episode_grammar.{where}: not episode terms: {', '.join(unknown)}")
        return self

    @property
    def document_code(self) -> Code:
        """The report type as a code (the NOTE class of the demo CDM, FHIR DiagnosticReport.code)."""
        return Code("LOINC", self.document_loinc.code)

    def is_malignant(self, key: str) -> bool:
        return self.entities[key].group == "malignant"

    def expand(self, related: list[str] | set[str]) -> set[str]:
        """Bilateral expansion of guideline rule 4 (bll -> {rll, lll})."""
        out: set[str] = set()
        for key in related:
            definition = self.related.get(key)
            out.update(definition.expands_to if definition and definition.expands_to else (key,))
        return out


@cache
def load_rules(modality: str, base: Path | None = None) -> ModalityRules:
    """The validated rules of ``modality`` from ``mappings/<modality>.yaml``."""
    if modality not in MODALITIES:
        raise MappingError(f"unknown modality {modality!r}; expected one of {', '.join(MODALITIES)}")
    return load_model(ModalityRules, f"{modality}.yaml", base)
