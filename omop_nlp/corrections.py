"""Report-level corrections: the later, correcting statement wins over the body.

Writers correct their own reports: an ``ADDENDUM:`` or ``Correction:`` of the same writer, an attending's
addendum to a resident's draft, a final read's discrepancy with the preliminary one (correction sections,
``mappings/sections.yaml``). A correction section that holds a correction cue ("stated in error", "I
disagree", "rather than", "as first dictated") corrects the body for the keys it names:

- a key it asserts is present, and the places it gives replace the body's for that key (less the places
  it denies: "in the left lower lobe, not the lingula");
- a key it only denies is withdrawn: where the denial names places ("no left upper lobe nodule") those
  places, and the body's mentions found only there; else the body's mentions in the words it repeats ("no
  active demyelination" withdraws "active demyelination", not "multiple sclerosis"), or all of the key's
  mentions where it repeats none of them.

A clinician's sentence that re-reads the images ("Having reviewed the images with our radiologist, we think this is
linear atelectasis rather than a true nodule", ``review_openings``) is such a part by itself; there, and in a correction
section, a finding named instead of a withdrawn one takes the withdrawn one's places where it gives none.

A correcting part corrects the report up to the next correcting part: the body above an addendum, and the original
text below an amended report's banner ("CORRECTED REPORT / Correction: ... / Original report text: ..."). A finding
a correction section names in quotation marks is the earlier reading's word and counts for nothing itself ("the
'nodule' in the RML is a vessel": denied at its places even where the part asserts the key elsewhere, "TWO nodules,
not three"); one it says is now something else ("the 'consolidation' in both lower lobes is atelectasis") is
withdrawn at its places, which the new finding takes.

A correction section without a cue ("I agree", "a second nodule is present, not mentioned above") changes
nothing: its mentions count like findings. Mentions stay as they are (NOTE_NLP and FHIR keep the body's
mentions with their own certainty); only the report-level findings change.

A second opinion corrects another reader: it restates the outside report (an ``outside`` section, "Outside
report: ...", or a sentence that opens like "The outside report describes ...") and then gives its own review.
A finding of the restatement counts only where the review keeps it: where the review states the key itself, the
review's mentions (and places) alone count; else the restated finding counts where the review agrees with the
outside reading ("We agree with the outside interpretation") and denies the key nowhere ("not favoured"). An
agreeing or disagreeing sentence that names a restated key decides for that key alone ("We disagree regarding the
effusion"); the cues of the sentences that name none decide for the other keys. A preliminary read that a final read
of the same note follows is restated in this way (``text/sections.py``: "PRELIM (teleradiology): ..." then "FINAL
READ").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from omop_nlp.entities.document import Document, Sentence
from omop_nlp.model import Certainty, EntityType, Mention
from omop_nlp.text.sections import CORRECTION, OUTSIDE, SectionRules
from omop_nlp.text.sentences import clause_at
from omop_nlp.text.tokens import term_lemmas

_DENIED = (Certainty.NEGATED, Certainty.UNLIKELY)
_START = attrgetter("start")


MentionSpan = tuple[str, int, int]  # a mention's key and offsets: the same in the pipeline and in NOTE_NLP rows
Said = tuple[Mention, int]  # a mention of a correcting part with the index of its sentence


@dataclass
class Corrections:
    """What a report's correcting parts decide, per entity key."""

    withdrawn: set[MentionSpan] = field(default_factory=set)  # the mentions no longer counted
    places: dict[str, set[str]] = field(default_factory=dict)  # key -> the places the correction gives it
    removed: dict[str, set[str]] = field(default_factory=dict)  # key -> the places the correction denies it
    added: dict[str, set[str]] = field(default_factory=dict)  # key -> places a relabelled finding lends it

    def __bool__(self) -> bool:
        return bool(self.withdrawn or self.places or self.removed or self.added)

    def withdraws(self, mention: Mention) -> bool:
        """The correction takes this mention back ("... stated in error"): by its span, so a mention rebuilt from
        a stored row is the same mention."""
        return _span(mention) in self.withdrawn


def _span(mention: Mention) -> MentionSpan:
    return mention.key, mention.start, mention.end


def read_corrections(doc: Document, mentions: list[Mention], sections: SectionRules, entity_type: str) -> Corrections:
    """What the report's correcting parts decide over its body, the later part over the earlier; empty (false)
    for a report that corrects nothing."""
    quoted = _quoted(doc, mentions)
    out = Corrections(withdrawn=set(quoted))
    parts = _correcting_parts(doc, sections)
    for n, part in enumerate(parts):
        # the part corrects the report up to the next correcting part: an addendum the body above it, an amended
        # report's banner ("CORRECTED REPORT ... Original report:") the original text below it
        later = parts[n + 1][0].start if n + 1 < len(parts) else len(doc.text)
        starts = [s.start for s in part]
        said = [(m, s.index) for m in mentions if (s := _sentence_at(part, starts, m.start)) is not None]
        said = [(m, i) for m, i in said if _span(m) not in out.withdrawn or m.certainty in _DENIED]
        former = {m.key for m, _ in said if m.type is EntityType.LOCATION and sections.former_place(doc.text, m.start)}
        before = set(out.withdrawn)
        for key in dict.fromkeys(m.key for m, _ in said if m.type == entity_type):
            _decide(out, key, [(m, i) for m, i in said if m.key == key], said, (quoted, former),
                    [m for m in mentions if m.key == key and m.start < later])
        _relabel(out, [(m, i) for m, i in said if m.type == entity_type],
                 [m for m in mentions if not part[0].start <= m.start < part[-1].end
                  and _span(m) in out.withdrawn - before])
    _quoted_relabel(out, doc.text, [m for m in mentions if m.type == entity_type], quoted)
    _review_outside_reading(out, doc, [m for m in mentions if m.type == entity_type], sections)
    return out


def _quoted_relabel(out: Corrections, text: str, findings: list[Mention], quoted: set[MentionSpan]) -> None:
    """A correction that names the earlier reading's finding in quotation marks and says what it is ("the
    'consolidation' in both lower lobes is atelectasis"): the quoted finding is withdrawn where it was said (at its
    places, or everywhere where it names none), and the finding it now is lies there too."""
    if not quoted:
        return
    ordered = sorted(findings, key=_START)
    for n, said in enumerate(ordered):
        if _span(said) not in quoted or said.certainty in _DENIED:
            continue
        now = next((m for m in ordered[n + 1 :] if m.key != said.key), None)
        if now is None or not now.certainty.counts_as_present or not _COPULA.fullmatch(text, said.end, now.start):
            continue
        places = set(said.related)
        out.withdrawn |= {_span(m) for m in findings if m.key == said.key
                          and (not places or (m.related and set(m.related) <= places))}
        if places and not now.related:
            out.added.setdefault(now.key, set()).update(places)


# between the quoted finding and what it is: its place and the verb, in one clause ("'nodule' in the RML is a scar")
_COPULA = re.compile(r"['\"\u2019\u201d]?[^;.:\n]{0,60}?(?<!\w)(?:is|are|was|were|represents|represent)(?!\w)"
                     r"[^;.:\n]{0,30}")


def _review_outside_reading(out: Corrections, doc: Document, findings: list[Mention], sections: SectionRules) -> None:
    """Withdraws the restated outside reading's findings that the review does not keep (module docstring), and the
    review's mentions that only name a finding it rejects ("we disagree regarding the nodule")."""
    restated = [s for s in doc.sentences if s.section_kind == OUTSIDE or sections.restates(doc.text, s.start)]
    if not restated:
        return
    starts = [s.start for s in restated]
    outside: list[Mention] = []
    review: list[Mention] = []
    for m in findings:  # one pass: a mention is the outside reader's or the review's
        (outside if _sentence_at(restated, starts, m.start) is not None else review).append(m)
    keys = {m.key for m in outside}
    verdicts, naming = _verdicts(doc, review, keys, sections)
    stated = {m.key for m in review if m.certainty.counts_as_present and _span(m) not in verdicts}
    denied = {m.key for m in review if m.certainty in _DENIED}
    by_key: dict[str, list[bool]] = {}
    for m in review:
        if (verdict := verdicts.get(_span(m))) is not None:
            by_key.setdefault(m.key, []).append(verdict)
    unnamed = None if keys <= by_key.keys() else sections.agrees(_blank(doc.text, naming))
    agreed = {key: all(by_key[key]) if key in by_key else unnamed for key in keys}
    out.withdrawn |= {_span(m) for m in outside if m.key in stated or m.key in denied or not agreed[m.key]}
    out.withdrawn |= {_span(m) for m in review if _span(m) in verdicts and not agreed[m.key]}


def _verdicts(doc: Document, review: list[Mention], keys: set[str],
              sections: SectionRules) -> tuple[dict[MentionSpan, bool], list[Sentence]]:
    """The review's mentions of a restated key in a sentence that agrees or disagrees ("We disagree regarding the
    effusion") -> whether that sentence agrees about it, and those sentences. Such a mention refers to the restated
    finding, it restates nothing; it takes the cue nearest before it in its clause, else the first after it there,
    else the same in its sentence, so "we agree regarding the effusion but disagree regarding the nodule" and "as to
    the nodule, we agree; as to the effusion, we disagree" decide each finding apart, and a disagreement about one
    finding does not drop the others, nor an agreement about one keep them all."""
    cues = {s.index: said for s in doc.sentences if (said := _cues(doc.text, s, sections))}
    cued = [s for s in doc.sentences if s.index in cues]
    starts = [s.start for s in cued]
    verdicts: dict[MentionSpan, bool] = {}
    naming: dict[int, Sentence] = {}
    for m in review:
        if m.key in keys and (sentence := _sentence_at(cued, starts, m.start)) is not None:
            verdicts[_span(m)] = _nearest(cues[sentence.index], clause_at(doc.text, sentence, m.start), m.start)
            naming[sentence.index] = sentence
    return verdicts, list(naming.values())


def _nearest(cues: list[tuple[int, bool]], clause: tuple[int, int], offset: int) -> bool:
    """The verdict of the cue nearest before ``offset`` in its clause, else of the first after it there; where the
    clause has none, the same over the whole sentence (``cues``, never empty)."""
    said = [c for c in cues if clause[0] <= c[0] < clause[1]] or cues
    return next((agrees for at, agrees in reversed(said) if at < offset), said[0][1])


def _cues(text: str, sentence: Sentence, sections: SectionRules) -> list[tuple[int, bool]]:
    """The agreement (true) and disagreement (false) cues of a sentence by offset, in text order; an agreement
    inside a disagreement ("agree with" of "do not agree with") is none."""
    against = [(c.start(), c.end()) for c in sections.disagreement.finditer(text, sentence.start, sentence.end)]
    agreeing = [(c.start(), True) for c in sections.agreement.finditer(text, sentence.start, sentence.end)
                if not any(start <= c.start() < end for start, end in against)]
    return sorted([*((start, False) for start, _ in against), *agreeing])


def _sentence_at(sentences: list[Sentence], starts: list[int], offset: int) -> Sentence | None:
    """The sentence of ``sentences`` (in text order, ``starts`` their starts) that holds ``offset``, by bisection:
    the mentions of a long report are looked up in a few sentences each in logarithmic time (a mention rebuilt from a
    stored row knows its offsets, not its sentence)."""
    i = bisect_right(starts, offset) - 1
    return sentences[i] if i >= 0 and offset < sentences[i].end else None


def _blank(text: str, sentences: list[Sentence]) -> str:
    """The text less the given sentences: the report-level cue is read where no sentence names a restated key."""
    for s in sentences:
        text = text[: s.start] + " " * (s.end - s.start) + text[s.end :]
    return text


def _correcting_parts(doc: Document, sections: SectionRules) -> list[list[Sentence]]:
    """The report's correcting parts in order: runs of sentences of a correction section, and single sentences that
    re-read the images ("Having reviewed the images, we think ..."), whose text holds a correction cue. Only a report
    with a correction section or a re-reading pays for reading its text."""
    reviewing, in_section = _reviewing(doc, sections)
    if not (reviewing or in_section):
        return []
    parts: list[list[Sentence]] = []
    run: list[Sentence] = []
    for sentence in [*doc.sentences, None]:
        in_section = sentence is not None and sentence.section_kind == CORRECTION and sentence.index not in reviewing
        if in_section and (not run or run[-1].index == sentence.index - 1):
            run.append(sentence)
            continue
        if run and sections.corrects(doc.text[run[0].start : run[-1].end]):
            parts.append(run)
        run = [sentence] if in_section else []
        if sentence is not None and sentence.index in reviewing and sections.corrects(
                doc.text[sentence.start : sentence.end]):
            parts.append([sentence])  # a re-reading corrects by itself
    return parts


def _reviewing(doc: Document, sections: SectionRules) -> tuple[set[int], bool]:
    """The sentences that re-read the images, and whether the report has a correction section: one pass, a set
    lookup of each sentence's first word before any pattern is tried (every report is asked)."""
    first_words, tokens, text = sections.review_words, doc.tokens, doc.text
    reviewing: set[int] = set()
    in_section = False
    for s in doc.sentences:
        if s.section_kind == CORRECTION:
            in_section = True
        elif s.first_token < s.last_token and tokens[s.first_token].lemma in first_words and sections.reviews(
                text, s.start):
            reviewing.add(s.index)
    return reviewing, in_section


def _quoted(doc: Document, mentions: list[Mention]) -> set[MentionSpan]:
    """The mentions a correction section names in quotation marks: the earlier reading's words, which count for
    nothing themselves, whether or not the section corrects the body."""
    corrections = [s for s in doc.sentences if s.section_kind == CORRECTION]
    if not corrections:
        return set()
    starts = [s.start for s in corrections]
    return {_span(m) for m in mentions
            if _sentence_at(corrections, starts, m.start) is not None and _in_quotes(doc.text, m)}


def _in_quotes(text: str, mention: Mention) -> bool:
    """A correction names the earlier reading's word in quotation marks ("the 'consolidation' is atelectasis", "the
    phrase "left effusion" was dictated in error"): that word is what was said, not what the correction states.
    The mention lies inside a quoted stretch of its line: an opening mark before it (not an apostrophe of a word)
    whose closing mark follows it."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    opening = _OPENING.search(text[line_start : mention.start][::-1])
    if opening is None:
        return False
    closing = _CLOSING[text[mention.start - opening.end()]]
    close = text.find(closing, mention.end - 1, mention.end + _QUOTE_SPAN)  # a token may keep its closing mark
    return close >= 0 and (close + 1 == len(text) or not text[close + 1].isalnum()) and "\n" not in text[
        mention.end : close]


_QUOTE_SPAN = 80  # the longest quoted phrase read as one
_CLOSING = {"'": "'", '"': '"', "\u2018": "\u2019", "\u201c": "\u201d"}
# the nearest opening mark before a mention, read backwards over its line: no closing mark between, and the
# character before the mark (after it, reversed) is no letter ("patient's" holds an apostrophe, not a quote)
_OPENING = re.compile(rf"^[^'\"\u2018\u2019\u201c\u201d]{{0,{_QUOTE_SPAN}}}?['\"\u2018\u201c](?!\w)")


def _decide(out: Corrections, key: str, stated: list[Said], said: list[Said],
            earlier_words: tuple[set[MentionSpan], set[str]], earlier: list[Mention]) -> None:
    """One key named by a correcting part: ``stated`` its mentions there, ``said`` all mentions of the part (each
    with its sentence), ``earlier_words`` what the part says the earlier reading said: the mentions of correction
    sections in quotation marks, and the places it names as the earlier reading's ("the nodule described in the
    right upper lobe is in the left upper lobe"); ``earlier`` every mention of the key up to the next correcting
    part."""
    quoted, former = earlier_words
    asserted = [m for m, _ in stated if m.certainty.counts_as_present]
    denials = [(m, i) for m, i in stated if m.certainty in _DENIED]
    denied = set().union(*(_denied_places(d, said) for d in denials))
    if asserted:
        out.removed.pop(key, None)
        places = set().union(*(m.related for m in asserted)) - denied - former
        if places:
            out.places[key] = places
        elif taken := set().union(*(_denied_places(d, said) for d in denials if _span(d[0]) in quoted)):
            # the earlier reading's word denied at its places: "TWO nodules, not three; the 'nodule' in the RML
            # is a vessel"
            out.removed[key] = taken
        return
    out.places.pop(key, None)
    for denial in denials:
        places = _denied_places(denial, said)
        if places:
            out.removed.setdefault(key, set()).update(places)
            out.withdrawn |= {_span(m) for m in earlier if m.related and set(m.related) <= places}
        else:
            out.withdrawn |= {_span(m) for m in _repeated(denial[0], earlier)}


def _relabel(out: Corrections, stated: list[Said], withdrawn: list[Mention]) -> None:
    """A correction that names a finding again as another ("this is linear atelectasis rather than a true nodule")
    gives the new finding, where it names no place of its own, the places of the one it withdraws: of a key its
    sentence denies, so a part that also withdraws another finding elsewhere lends that one's places to nothing."""
    denied: dict[int, set[str]] = {}
    for m, here in stated:
        if m.certainty in _DENIED:
            denied.setdefault(here, set()).add(m.key)
    for m, here in stated:
        places = set().union(*(w.related for w in withdrawn if w.key in denied.get(here, ())))
        if places and m.certainty.counts_as_present and not m.related and m.key not in out.places:
            out.places[m.key] = places


def _denied_places(denial: Said, said: list[Said]) -> set[str]:
    """The places a denial takes, or that its sentence names and no finding asserted there takes ("on
    review there is no consolidation in the right lower lobe"; "this is a mass in the left upper lobe
    rather than consolidation" denies consolidation nowhere)."""
    mention, here = denial
    sentence = [m for m, index in said if index == here]
    taken = set().union(*(m.related for m in sentence if m.certainty.counts_as_present))
    return set(mention.related) | ({m.key for m in sentence if m.type is EntityType.LOCATION} - taken)


def _repeated(denial: Mention, earlier: Iterable[Mention]) -> list[Mention]:
    """The mentions a denial takes back: those that name its head word ("no active demyelination":
    "demyelination"), or all of the key's where none does."""
    stated = [m for m in earlier if m.certainty not in _DENIED]
    head = term_lemmas(denial.text)[-1:]
    named = [m for m in stated if head and head[0] in term_lemmas(m.text)]
    return named or stated
