"""Stage 1 and assertion: turn a note into sentences of asserted mentions.

source text -> tokens -> sections -> sentences/clauses -> lexicon matches -> ConText certainty.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from operator import attrgetter

from omop_nlp.assertion.context import (
    OUTRANKED,
    PARTIAL,
    QUESTION,
    SECTION_CERTAINTY,
    ContextAsserter,
    Span,
    TriggerMatch,
    load_context_asserter,
)
from omop_nlp.entities.anatomy import OtherOrgans
from omop_nlp.entities.document import Document, Item, Sentence
from omop_nlp.entities.groups import FindingGroups
from omop_nlp.entities.items import ItemVerdicts
from omop_nlp.entities.lexicon import ConceptMatch, EntityLexicon
from omop_nlp.model import Certainty, EntityType, Mention
from omop_nlp.rules import ModalityRules
from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.text.layout import layout_view, struck_spans, table_columns
from omop_nlp.text.phrases import PhraseMatch
from omop_nlp.text.sections import load_section_rules
from omop_nlp.text.sentences import split_clauses, split_sentences
from omop_nlp.text.tokens import Token, single_words, term_lemmas, tokenize

# "the latter" names the last entity named before it, "the former" the one before that, "both of these" the last
# two (presence.back_references): how far back the first one named stands, and how many are named
_BACK_REFERENCES = {"latter_reference": (1, 1), "former_reference": (2, 1), "both_reference": (2, 2)}
_DISMISSALS = (Certainty.UNLIKELY, Certainty.NEGATED)
_LESION_CUE = "tumor_reference"  # a word that describes a lesion seen ("enhancing lesion", "mass")
# In history / indication sections a trigger like "r/o" or "evaluate for" means the question asked, not a
# finding (guideline: "only as an indication to rule out"); in a recommendation or plan ("Plan: repeat CT to r/o
# an underlying mass") what is to be done, not seen.
_ASKING_SECTIONS = frozenset({"history", "indication", "recommendation"})
_ASKED = {Certainty.HEDGED, Certainty.HYPOTHETICAL, Certainty.UNLIKELY, Certainty.NEGATED}  # read as the question
_first = attrgetter("first_token")  # the bisect key of items in text order: a C-level getter
_trigger_first = attrgetter("first")
_BEYOND = float("inf")  # sorts after every token index: the bisection key of "a span starting at this token"
_ZERO = re.compile(r"0+(?:[ \t]*/[ \t]*0+)*(?:[ \t]*%)?")  # a table cell that counts none: "0", "0 / 0", "0 %"


class Annotator:
    def __init__(self, rules: ModalityRules, asserter: ContextAsserter | None = None) -> None:
        self.rules = rules
        self._lexicon = EntityLexicon(rules)
        self._asserter = asserter or load_context_asserter()
        self._sections = load_section_rules()
        self._item_verdicts = ItemVerdicts(self._sections, self._asserter)
        self._related_type = EntityType(rules.related_type)
        self._entity_type = EntityType(rules.entity_type)
        self._other_organs = OtherOrgans(rules.other_organs)
        self._groups = FindingGroups(load_sections_rules().structured_items, self._asserter, self._entity_type)
        self._refers_back = bool(rules.presence.back_references)  # no back reference words: no cue to look for
        self._labels = rules.item_labels.labels
        self._qualities = frozenset(term_lemmas(t) for t in rules.quality_terms)
        self._quality_heads = frozenset(t[0] for t in self._qualities if t)  # a cheap first test per item
        self._lung_places = frozenset(k for k, d in rules.related.items() if d.side in ("right", "left", "both"))
        self._label_sizes = single_words(rules.item_labels.sizes, "item_labels.sizes")

    def annotate(self, note: str) -> Document:
        """The note's sentences of asserted mentions, read through its layout view (hard wraps and page furniture
        of legacy and faxed reports are layout; the document holds that view): offsets index both, mention texts
        come from the note."""
        text = layout_view(note)
        tokens = tokenize(text)
        starts = [t.start for t in tokens]
        concepts = self._lexicon.find(tokens, text)
        struck = [(bisect_left(starts, s), bisect_left(starts, e)) for s, e in struck_spans(note)]
        if struck:
            concepts = [c for c in concepts if c.payload.role == "entity" or not _within(c.first, c.last, struck)]
        # Entity and location words are masked for trigger matching; episode words are not, so
        # "no significant change" stays a pseudo-trigger and "has resolved" a trigger.
        masked = [Span(c.first, c.last) for c in concepts if c.payload.role == "entity" or
                  (c.payload.role == "related" and self._related_type is EntityType.LOCATION)]
        triggers = self._asserter.triggers(tokens, text, masked)
        if struck:
            triggers = [t for t in triggers if not _within(t.first, t.last, struck)]
        columns = table_columns(note)
        cells, headers = _column_findings(concepts, columns, starts) if columns else ([], set())
        if cells:  # after the triggers: a cell's own words ("absent") say how its column's finding is, and only that
            concepts = _with_cells(concepts, cells, headers)
            spans = [(c.first, c.last) for c in cells]
            said_in_cells = [t for t in triggers if _within(t.first, t.last, spans)]
            triggers = [t for t in triggers if not _within(t.first, t.last, spans)]
        sentences: list[Sentence] = []
        outranked: list[Item] = []
        cursor = 0
        # one look per note at its concepts spares most notes these per-sentence steps
        labelled = bool(self._labels) and self._labels_some_item(concepts, tokens)
        qualities = bool(self._qualities) and any(c.first < c.last and tokens[c.first].lemma in self._quality_heads
                                                  for c in concepts)
        for sentence in self._sentences(text, starts):
            cursor = self._fill(sentence, concepts, cursor)
            self._other_organs.drop_findings(sentence, tokens)
            if labelled:
                self._drop_restated_label(sentence, tokens)
            if qualities:
                self._drop_unplaced_qualities(sentence, tokens)
            outranked += self._assert(sentence, text, note, triggers, starts)
            if self._refers_back:
                self._dismiss_by_reference([*sentences[-1:], sentence], text, triggers, starts)
            sentences.append(sentence)
        self._opening_question(sentences, triggers)
        _keep_suspected(sentences, outranked)
        self._item_verdicts.apply(sentences, text, starts, triggers)  # "Item 2: disagree" after the tool's list
        self._groups.apply(sentences, text, starts, triggers)  # "Finding = Nodule" / "Presence = Absent"
        if struck:
            self._withdraw(sentences, struck)
        if cells:
            _state_cells(sentences, {(c.first, c.last) for c in cells}, said_in_cells)
        return Document(text, tokens, sentences)

    def outline(self, note: str) -> Document:
        """The note's sentences as ``annotate`` splits them, without mentions: what report-level findings of
        mentions stored elsewhere (NOTE_NLP rows) need, each mention's sentence and the sections that correct
        the report, at a fraction of annotate's cost (no lexicon, no triggers)."""
        text = layout_view(note)
        tokens = tokenize(text)
        return Document(text, tokens, list(self._sentences(text, [t.start for t in tokens])))

    def _sentences(self, text: str, starts: list[int]) -> Iterator[Sentence]:
        """The sentences of each section in text order, still empty; ``starts`` the tokens' start offsets."""
        index = 0
        for section in self._sections.split(text):
            for span in split_sentences(text, section.start, section.end):
                yield Sentence(index, section.name, section.kind, span.start, span.end,
                               bisect_left(starts, span.start), bisect_left(starts, span.end))
                index += 1

    def _drop_restated_label(self, sentence: Sentence, tokens: list[Token]) -> None:
        """A numbered item labelled by a lesion word ("Nodule 2: RML, 5 mm ground-glass") whose size is followed by
        a word of another key that says what the lesion is (``item_labels``) names that key's lesion only: the
        label is no second lesion (a ground-glass nodule is ``ggo`` only, guideline section 2)."""
        label = next((i for i in sentence.items if i.mention and i.mention.type == self._entity_type), None)
        characters = self._labels.get(label.mention.key) if label else None
        if characters is None:
            return  # the first finding is no label word (most sentences): no list of the findings to build
        entities = sentence.mentions(self._entity_type)
        if len(entities) < 2 or not _labels_item(sentence, tokens, label):
            return
        rest = entities[1:]
        if any(i.mention.key == label.mention.key for i in rest):
            return  # the item names the label's key itself ("14 mm part-solid" is both keys)
        if any(i.mention.key in characters and i.first_token > 0 and tokens[i.first_token - 1].lemma in
               self._label_sizes for i in rest):
            sentence.items.remove(label)

    def _labels_some_item(self, concepts: list[ConceptMatch], tokens: list[Token]) -> bool:
        """A word of a label key (``item_labels``) stands before an item number and a colon ("Nodule 2:") somewhere in
        the note: without one, no sentence has a label for ``_drop_restated_label`` to drop."""
        labels = self._labels
        return any(_numbered(tokens, c.last, len(tokens)) for c in concepts
                   if c.payload.key in labels or not labels.keys().isdisjoint(c.payload.also))

    def _withdraw(self, sentences: list[Sentence], struck: list[tuple[int, int]]) -> None:
        """A finding named in struck draft text ("~~Minor basal atelectasis~~ lungs are clear") is one the signing
        radiologist removed: denied, whatever the draft said of it (its places, changes and triggers were dropped
        before: they are no one's). The correction after it states what is there."""
        for sentence in sentences:
            for item in sentence.mentions(self._entity_type):
                if _within(item.first_token, item.last_token, struck):
                    item.mention.certainty = Certainty.NEGATED

    def _drop_unplaced_qualities(self, sentence: Sentence, tokens: list[Token]) -> None:
        """A quality word ("nodularity", ``quality_terms``) in a sentence that names no lobe or lung is the
        quality of what it is said of, not a lesion: "benign disease is less likely given the nodularity" of a
        nodular pleural thickening; "clustered nodularity in the RML" stays a nodule."""
        qualities = [i for i in sentence.items if i.mention and i.first_token < i.last_token
                     and tokens[i.first_token].lemma in self._quality_heads
                     and tuple(t.lemma for t in tokens[i.first_token:i.last_token]) in self._qualities]
        if not qualities or any(i.mention and i.mention.type is self._related_type
                                and i.mention.key in self._lung_places for i in sentence.items):
            return  # no quality word (most sentences: the list is not rebuilt), or a lobe or lung places it
        dropped = set(map(id, qualities))
        sentence.items = [i for i in sentence.items if id(i) not in dropped]

    def _opening_question(self, sentences: list[Sentence], triggers: list[TriggerMatch]) -> None:
        """A line before the first header and the first finding that only asks ("Sepsis, delirium; r/o stroke.")
        is the clinical question, as under an Indication header: where findings follow it ("? Tuberculoma." then
        "Normal brain."), they answer it (guideline section 3 rule 1: "only as an indication to rule out with a
        negative answer" is absent). A report of that line alone keeps it hedged."""
        for index, sentence in enumerate(sentences):
            if sentence.section is not None:
                return  # a header: what stands before it was the opening
            if not sentence.items:
                continue  # the title ("MRI brain w/o.")
            if not self._asks(sentence, triggers):
                return
            if index + 1 < len(sentences):
                for item in sentence.mentions(self._entity_type):
                    item.mention.certainty = Certainty.HYPOTHETICAL

    def _asks(self, sentence: Sentence, triggers: list[TriggerMatch]) -> bool:
        """The sentence names no finding but the ones a question trigger hedges, and no lesion ("Enhancing
        lesion, r/o metastasis" describes one)."""
        entities = sentence.mentions(self._entity_type)
        return (bool(entities) and all(i.mention.certainty is Certainty.HEDGED for i in entities)
                and not sentence.cues(_LESION_CUE)
                and any(t.has(QUESTION) for t in triggers
                        if sentence.first_token <= t.first and t.last <= sentence.last_token))

    def _fill(self, sentence: Sentence, concepts: list[ConceptMatch], cursor: int) -> int:
        while cursor < len(concepts) and concepts[cursor].start < sentence.start:
            cursor += 1
        while cursor < len(concepts) and concepts[cursor].end <= sentence.end:
            match = concepts[cursor]
            if match.payload.role != "ignore":  # an ignored phrase is no item: it only keeps its words unmatched
                sentence.items.append(self._item(match, sentence))
                for key in match.payload.also:  # "part-solid nodule": ggo and nodule at the same span
                    sentence.items.append(self._item(match, sentence, key))
            cursor += 1
        return cursor

    def _item(self, match: ConceptMatch, sentence: Sentence, key: str | None = None) -> Item:
        role, key = match.payload.role, key or match.payload.key
        if role in ("entity", "related"):
            mention = Mention(
                key=key,
                type=self._entity_type if role == "entity" else self._related_type,
                start=match.start,
                end=match.end,
                text="",
                section=sentence.section,
                sentence=sentence.index,
            )
            return Item(match.first, match.last, mention=mention)
        return Item(match.first, match.last, cue=role)

    def _assert(self, sentence: Sentence, text: str, note: str, triggers, starts: list[int]) -> list[Item]:
        """Sets the certainty of the sentence's mentions, read in ``text`` (the layout view), and their texts as
        the ``note`` writes them (a mention across a wrap keeps its line break); gives those on the other side of a
        preference."""
        outranked: list[Item] = []
        items = sentence.mentions()
        if not items:
            return outranked
        for item in items:
            item.mention.text = note[item.mention.start : item.mention.end]
        for clause in split_clauses(text, sentence):
            token_range = (bisect_left(starts, clause.start), bisect_left(starts, clause.end))
            in_clause = items[bisect_left(items, token_range[0], key=_first):
                              bisect_left(items, token_range[1], key=_first)]  # items are in text order
            spans = [Span(i.first_token, i.last_token) for i in in_clause]
            for item, (certainty, category) in zip(in_clause,
                                                   self._asserter.assert_concepts(spans, triggers, token_range),
                                                   strict=True):
                if category == PARTIAL and item.mention.type is EntityType.LOCATION and _in_aside(
                        text, sentence.start, item.mention.start):
                    # "two of the nodules (RML, LUL) have resolved": the places in the aside are the resolved
                    # ones'; "one of the nodules in the RUL has resolved" keeps the place of them all
                    certainty = Certainty.RESOLVED
                item.mention.certainty = _with_section(certainty, sentence.section_kind)
                if category == OUTRANKED and item.mention.certainty is Certainty.UNLIKELY:
                    outranked.append(item)
        return outranked


    def _dismiss_by_reference(self, sentences: list[Sentence], text: str, triggers, starts: list[int]) -> None:
        """A back reference that is denied or dismissed ("metastasis or abscess; the latter is less likely")
        does so to the entity it names, in its sentence or the one before (``sentences``: that one, then its
        own). Only where the modality lists back references (``presence.back_references``)."""
        sentence = sentences[-1]
        references = [i for i in sentence.items if i.cue in _BACK_REFERENCES]
        for clause in split_clauses(text, sentence) if references else ():
            token_range = (bisect_left(starts, clause.start), bisect_left(starts, clause.end))
            in_clause = [r for r in references if token_range[0] <= r.first_token < token_range[1]]
            spans = [Span(r.first_token, r.last_token) for r in in_clause]
            for reference, (certainty, _) in zip(in_clause,
                                                 self._asserter.assert_concepts(spans, triggers, token_range),
                                                 strict=True):
                named = [i for s in sentences for i in s.mentions(self._entity_type)
                         if i.last_token <= reference.first_token]
                back, count = _BACK_REFERENCES[reference.cue]
                if certainty in _DISMISSALS and len(named) >= back:
                    for item in named[len(named) - back : len(named) - back + count]:
                        item.mention.certainty = certainty


def _labels_item(sentence: Sentence, tokens: list[Token], item: Item) -> bool:
    """``item`` opens its sentence (after a bullet at most) as a numbered label: "Nodule 2:", "Nodule #3:"."""
    if any(t.lemma[0].isalnum() for t in tokens[sentence.first_token:item.first_token]):
        return False
    return _numbered(tokens, item.last_token, sentence.last_token)


def _numbered(tokens: list[Token], at: int, end: int) -> bool:
    """The tokens from ``at`` (before ``end``) are an item's number and a colon: "2:", "#3:"."""
    after = [t.lemma for t in tokens[at:min(at + 3, end)]]
    if after[:1] == ["#"]:
        after = after[1:]
    return len(after) >= 2 and after[0].isdigit() and after[1] == ":"


def _column_findings(concepts: list[ConceptMatch], columns: list[tuple[tuple[int, int], tuple[int, int]]],
                     starts: list[int]) -> tuple[list[ConceptMatch], set[int]]:
    """The finding each table cell states where its column's header names one finding and the cell names none of
    its own ("| Lower, both | moderate | absent |" under "| Zone | GGO | Honeycombing |"): the header's concept
    at the cell's words, so the row's place is its place (a header of "Lobe", "Size" or "Change" names none); and
    the starts of the header words that gave them."""
    entities = [c for c in concepts if c.payload.role == "entity"]
    at = [c.start for c in entities]
    found: list[ConceptMatch] = []
    headers: set[int] = set()
    for (header_start, header_end), (start, end) in columns:
        named = entities[bisect_left(at, header_start) : bisect_left(at, header_end)]
        if len(named) == 1 and named[0].end <= header_end and bisect_left(at, start) == bisect_left(at, end):
            found.append(PhraseMatch(named[0].payload, bisect_left(starts, start), bisect_left(starts, end),
                                      start, end))
            headers.add(named[0].start)
    return found, headers


def _with_cells(concepts: list[ConceptMatch], cells: list[ConceptMatch], headers: set[int]) -> list[ConceptMatch]:
    """``concepts`` with the cells' findings, in text order, less the header words they came from: a header
    names what its column holds and states nothing itself."""
    kept = [c for c in concepts if c.payload.role != "entity" or c.start not in headers]
    return sorted([*kept, *cells], key=attrgetter("start"))


def _state_cells(sentences: list[Sentence], cells: set[tuple[int, int]], triggers: list[TriggerMatch]) -> None:
    """A cell's finding is as the cell's own words say: "absent", "no" or a count of none ("0", "0 / 0") denies it,
    "resolved" resolves it, a grade, a count or "present" states it; what another cell of the row says is not said
    of it."""
    for sentence in sentences:
        for item in sentence.mentions():
            if (item.first_token, item.last_token) not in cells:
                continue
            said = triggers[bisect_left(triggers, item.first_token, key=_trigger_first) :
                            bisect_left(triggers, item.last_token, key=_trigger_first)]
            certainty = (Certainty.NEGATED if any(t.has("negated") for t in said) or _ZERO.fullmatch(item.mention.text)
                         else Certainty.RESOLVED if any(t.has("resolved") for t in said) else Certainty.PRESENT)
            item.mention.certainty = _with_section(certainty, sentence.section_kind)


def _within(first: int, last: int, spans: list[tuple[int, int]]) -> bool:
    """Tokens ``first`` up to ``last`` (excluded) stand inside one of ``spans`` (token ranges in text order, not
    overlapping, end excluded: struck text or table cells), found by bisection."""
    index = bisect_right(spans, (first, _BEYOND)) - 1
    return index >= 0 and last <= spans[index][1]


def _in_aside(text: str, start: int, at: int) -> bool:
    """``at`` stands inside parentheses opened since ``start`` (a sentence's start)."""
    return text.count("(", start, at) > text.count(")", start, at)


def _keep_suspected(sentences: list[Sentence], outranked: list[Item]) -> None:
    """The other side of a preference ("toxoplasmosis favoured over lymphoma") stays in the differential where
    the report suspected it before ("Differential: toxoplasmosis versus lymphoma"): a ranking is no dismissal
    of it (guideline section 3 rule 1: "DDx: GBM vs lymphoma" gives both). Named only there, it is dismissed."""
    for item in outranked:
        mention = item.mention
        if any(m.mention.key == mention.key and m.mention.certainty is Certainty.HEDGED
               and m.first_token < item.first_token for s in sentences for m in s.mentions(mention.type)):
            mention.certainty = Certainty.HEDGED


def _with_section(certainty: Certainty, section_kind: str) -> Certainty:
    """A mention's certainty as its section reads it: a question asked, the patient's story, or as stated."""
    section_certainty = SECTION_CERTAINTY.get(section_kind)
    if section_certainty is None:
        return certainty
    if section_kind in _ASKING_SECTIONS and certainty in _ASKED:
        return Certainty.HYPOTHETICAL
    if section_kind in ("history", "indication", "comparison") and certainty is Certainty.PRESENT:
        return Certainty.HISTORICAL
    return section_certainty if certainty is Certainty.PRESENT else certainty
