"""Section detection: which part of the report a character offset belongs to.

Headers come from ``mappings/sections.yaml``. What a section *means* for a mention (a finding
of this examination, or history / indication / recommendation / comparison) is its ``kind``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import chain
from operator import methodcaller

from omop_nlp.rules import Code
from omop_nlp.rules.sections import load_sections_rules


@dataclass(frozen=True)
class SectionDef:
    name: str
    kind: str
    code: Code | None


@dataclass(frozen=True)
class Section:
    name: str | None  # None: text before any header
    kind: str
    start: int  # offset of the section body (after the header)
    end: int


@dataclass(frozen=True)
class SectionRules:
    definitions: dict[str, SectionDef]
    pattern: re.Pattern
    header_to_name: dict[str, str]
    correction_cue: re.Pattern  # a word that makes a correction section correct the body ("stated in error")
    result_line: re.Pattern  # a dated result line of a clinician's note ("CT chest 1/9 (baseline): ...")
    by_kind: dict[str, str]  # kind -> the first section of that kind (what a dated result line opens)
    outside_opening: re.Pattern  # the opening of a sentence that restates another reader's report
    review_opening: re.Pattern  # the opening of a sentence that re-reads the images ("Having reviewed the images")
    review_words: frozenset[str]  # the first words of those openings: a cheap test of a sentence's first token
    agreement: re.Pattern  # a second opinion agreeing with the outside reading ("We agree with ...")
    disagreement: re.Pattern  # ... or not ("We disagree", "do not agree")
    item_reference: re.Pattern  # a tool's item named by its number(s) ("Item 2", "CAD marks 1 and 3", "finding #4")
    item_line: re.Pattern  # a line that opens a tool's numbered item ("2) 4 mm nodule", "Item 2: ..."); group "n"
    former_words: re.Pattern  # the words that end right before a place the earlier reading gave ("described in the")

    def corrects(self, text: str) -> bool:
        """The text of a correction section says that it corrects the body, not only agrees or adds."""
        return self.correction_cue.search(text) is not None

    def restates(self, text: str, start: int) -> bool:
        """The sentence at ``start`` restates another reader's report ("The outside report describes ...")."""
        return self.outside_opening.match(text, start) is not None

    def reviews(self, text: str, start: int) -> bool:
        """The sentence at ``start`` re-reads the images ("Having reviewed the images, we think ...")."""
        return self.review_opening.match(text, start) is not None

    def former_place(self, text: str, start: int) -> bool:
        """The place at ``start`` is where an earlier reading put the finding ("the nodule described in the right
        upper lobe is in the left upper lobe")."""
        return self.former_words.search(text, max(start - _FORMER_REACH, 0), start) is not None

    def agrees(self, text: str) -> bool:
        """The review says that it agrees with the outside reading, and nowhere that it does not."""
        return self.agreement.search(text) is not None and self.disagreement.search(text) is None

    def split(self, text: str) -> list[Section]:
        """Sections in order; the text before the first header is an unnamed findings section."""
        headers = [(m, self.header_to_name.get(_norm_header(m.group("h")))) for m in self.pattern.finditer(text)]
        dated = self._dated_results(text)
        if dated:
            headers = sorted(headers + dated, key=lambda h: h[0].start())
        final_at = max((m.start() for m, n in headers if n is not None and self.definitions[n].kind == FINAL),
                       default=-1)
        sections: list[Section] = []
        body_start, name = 0, None
        findings_below = self._findings_headers(headers)
        for match, header_name in headers:
            if header_name is None and (name is None or self.definitions[name].kind != OTHER_ORGAN):
                continue  # an unknown heading only ends an organ section ("BONES:" then "LUNG BASES:")
            kind = self.definitions[header_name].kind if header_name else None
            kind = FINDINGS if kind == FINAL else kind
            findings_below -= kind == FINDINGS  # now: the findings headers after this one
            whole = findings_below > 0 and kind not in (None, FINDINGS, OTHER_ORGAN)
            sections += self._sections(text, name, body_start, match.start(), body_start < final_at, whole=whole)
            body_start, name = match.end(), header_name
        sections += self._sections(text, name, body_start, len(text), False)
        return [s for s in sections if s.end > s.start]

    def _findings_headers(self, headers: list[tuple[re.Match, str | None]]) -> int:
        """How many of ``headers`` open a findings section."""
        return sum(1 for _, name in headers if name and self.definitions[name].kind in (FINDINGS, FINAL))

    def _dated_results(self, text: str) -> list[tuple[re.Match, str]]:
        """Result lines of several dates in one note: the latest-dated study is this report's examination, the
        earlier ones the comparison (a finding only there, "seen on 1/9", is no finding now). One date alone, or
        an ordinary report, changes nothing."""
        matches = list(at_line_starts(self.result_line, text))
        lines = list(zip(matches, _with_years([_date_key(m) for m in matches]), strict=True))
        latest = max((key for _, key in lines), default=None)
        if all(key == latest for _, key in lines):
            return []
        return [(m, self.by_kind[FINDINGS if key == latest else COMPARISON]) for m, key in lines]

    def _sections(self, text: str, name: str | None, start: int, end: int, superseded: bool, *,
                  whole: bool = False) -> list[Section]:
        """A section; a history-like header with its text on the same line ("Hx: lung cancer, s/p
        lobectomy.") scopes that line only (and its wrapped continuation): the lines below are findings. Not where
        the next header is of another part that states no findings, a findings header still to come (``whole``):
        a line between "History: ..." and "Comparison: ..." goes on with the history ("Remote resection of a
        meningioma 2018."). ``superseded``: a final read follows, so a preliminary read is another reader's
        (outside)."""
        section = self._section(name, start, end, superseded)
        if section.kind == FINDINGS or start == 0 or text[start - 1] == "\n" or whole:
            return [section]
        line_end = _LINE_END.search(text, start, end)
        body_end, rest = (line_end.start(), line_end.end()) if line_end else (end, end)
        if (line_end or end == len(text)) and _runs_on(text, start):
            # a report written as one paragraph ("CT chest. History: cough. There is consolidation ..."): the
            # header scopes its own sentence, as no line break ends it
            sentence_end = _SENTENCE_END.search(text, start, body_end)
            if sentence_end:
                body_end, rest = sentence_end.start() + 1, sentence_end.end()
        if body_end == end or not text[start:body_end].strip():
            return [section]
        return [self._section(name, start, body_end, superseded), self._section(None, rest, end, False)]

    def _section(self, name: str | None, start: int, end: int, superseded: bool) -> Section:
        """The section with the kind its mentions take: a preliminary read that a final read of the same note
        replaces is an outside reading (the final read keeps what it restates or agrees with), one that stands
        alone is the findings, as is the final read."""
        kind = self.definitions[name].kind if name else FINDINGS
        if kind == PRELIMINARY:
            kind = OUTSIDE if superseded else FINDINGS
        elif kind == FINAL:
            kind = FINDINGS
        return Section(name, kind, start, end)


IMPRESSION = "impression"  # the section name of a report's conclusion (mappings/sections.yaml)
OTHER_ORGAN = "other_organ"  # the kind of an organ heading other than the lungs (UPPER ABDOMEN:, BONES:)
FINDINGS = "findings"  # the kind of a section that states this examination's findings
CORRECTION = "correction"  # the kind of a later part that may correct the body (addendum, attestation, discrepancy)
OUTSIDE = "outside"  # the kind of another reader's report that a second opinion restates ("Outside report:")
COMPARISON = "comparison"  # the kind of a section about an earlier examination
PRELIMINARY = "preliminary"  # a preliminary read: outside where a final read (kind FINAL) follows, else findings
FINAL = "final"  # the final read after a preliminary one: findings


def states_findings(kind: str) -> bool:
    """A section of this kind states findings of this examination: findings, or a correction of them."""
    return kind in (FINDINGS, CORRECTION)

# A line break that no wrapped continuation follows (a lower-case word continues a line that has no
# full stop at its end).
_LINE_END = re.compile(r"(?<=[.!?])[ \t]*\n|\n[ \t]*(?![a-z])")
_SENTENCE_END = re.compile(r"[.!?][ \t]+(?=[A-Z])")
_SENTENCE_BEFORE = re.compile(r"[A-Za-z]{2}[.!?][ \t]")  # "CT CHEST. ": a word's full stop, not "1." or "Dr."


def _runs_on(text: str, body_start: int) -> bool:
    """The header at ``body_start`` follows a sentence on its own line: its writer runs the report on in one
    paragraph instead of starting a line per part."""
    return _SENTENCE_BEFORE.search(text, text.rfind("\n", 0, body_start) + 1, body_start) is not None


def _date_key(match: re.Match) -> tuple[int, int, int]:
    """A result line's date as (year, first, second): "1/9" before "4/12"; a two-digit year is this century's."""
    first, second, year = match.group("a", "b", "y")
    year_number = int(year) if year else 0
    return (year_number + 2000 if 0 < year_number < 100 else year_number, int(first), int(second))


def _with_years(keys: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """An undated result line ("CT chest 4/12:") is of the year of the dated line before it, else of the first
    dated one: a note quotes results of one stretch of time, and year 0 would make the newest study the oldest."""
    dated = [year for year, _, _ in keys if year]
    if not dated:
        return keys
    out: list[tuple[int, int, int]] = []
    year_before = dated[0]
    for year, first, second in keys:
        year_before = year or year_before
        out.append((year_before, first, second))
    return out


def _alternation(terms: Iterable[str]) -> str:
    """Terms as one regex alternation, factored as a trie of their characters: the regex engine tries alternatives
    one by one (case-insensitive ones without a shortcut), so a text position tries each shared prefix once (the
    "the outside ..." of many openings, the "ct" of "ct", "cta", "ctpa"), not every term. At each branch the longer
    continuations go first and a term that ends there last, so a term never stops inside a longer one; a space of a
    term matches any run of blanks ("clinical  notes")."""
    trie: dict[str, dict] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}  # a term ends here
    return _trie_pattern(trie)


def _trie_pattern(node: dict[str, dict]) -> str:
    """The regex of one trie node: its continuations as a group, optional where a term also ends at it."""
    branches = [(r"\s+" if char == " " else re.escape(char)) + _trie_pattern(child)
                for char, child in node.items() if char]
    if not branches:
        return ""
    if "" in node:
        return f"(?:{'|'.join(branches)})?"
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def at_line_starts(pattern: re.Pattern, text: str) -> Iterator[re.Match]:
    """``pattern.finditer(text)`` for a pattern that can match only at a line start (``(?m)^``), tried at the line
    starts alone: a search would try every offset of the note, as the regex engine has no shortcut for ``^``."""
    line, end = 0, 0  # the line start tried, the end of the last match (matches do not overlap)
    while True:
        if line >= end and (match := pattern.match(text, line)):
            end = match.end()
            yield match
        line = text.find("\n", line) + 1
        if not line:
            return


def _norm_header(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().lower())


def _norm_terms(terms: dict[str, list[str]]) -> set[str]:
    """The terms of every language, normalised as headers are: one set to build a pattern of."""
    return {_norm_header(t) for language in terms.values() for t in language}


@cache
def load_section_rules() -> SectionRules:
    definitions: dict[str, SectionDef] = {}
    header_to_name: dict[str, str] = {}
    rules = load_sections_rules()
    for name, rule in rules.sections.items():
        definitions[name] = SectionDef(name, rule.kind, rule.code)
        for headers in rule.headers.values():
            for header in headers:
                header_to_name.setdefault(_norm_header(header), name)
    alternatives = _alternation(header_to_name)
    # A header starts a line, optionally numbered or bracketed, and ends with ':' / ']' / '>' or
    # the end of the line; a bare header word alone on its line must be upper case or Korean. A short
    # aside may stand before its colon or the line's end ("Correction (same day):", "FINAL READ (attending)").
    # Runs of blanks are possessive ("*+"): two runs side by side that backtrack into each other
    # cost a line of thousands of blanks time of the square of its length (a padded form field).
    pattern = re.compile(
        rf"(?im)^[ \t]*+(?:\d+[.)][ \t]*+)?[\[<(*#]*[ \t]*+(?P<h>{alternatives})"
        rf"(?P<a>[ \t]*\([^()\n]{{1,30}}\)(?=[ \t]*(?::|$)))?[ \t]*+"
        rf"(?:[\]>)*]+[ \t]*:?|:|[ \t]*-(?=[ \t])|(?=[ \t]*$))[ \t]*"
    )
    # Dictated prose names a section inside a line, after a sentence: "... No new lesions. Impression: ..."
    inline = re.compile(r"(?<=[.!?][ \t])(?P<h>[A-Z][A-Za-z /&-]{1,40}?):[ \t]*")
    # Any other upper-case heading ("LUNGS AND PLEURA:") after an organ heading (BONES:) ends that
    # section: what follows is findings again.
    other = re.compile(r"(?m)^[ \t]*(?P<h>[A-Z][A-Z0-9 /&,-]{2,40}):[ \t]*")
    cue = _words_pattern(rules.correction_cues)
    studies = _norm_terms(rules.result_studies)
    # a study name opens the line, its date follows before the colon: "CT chest with contrast 2/3:", "MRI brain
    # (10/3) compared with 7/3:" (the first date is the study's)
    result_line = re.compile(
        r"(?im)^[ \t]*(?:" + _alternation(studies) + r")(?![\w/-])[^:\n\d]{0,40}?\(?"
        r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?(?!\d)[^:\n]{0,40}:[ \t]*"
        if studies else r"(?!)")
    by_kind: dict[str, str] = {}
    for name, definition in definitions.items():
        by_kind.setdefault(definition.kind, name)
    outside = _norm_terms(rules.outside_openings())
    # a sentence opens with it, after any bullet or quotation mark: "- The outside report describes ..."
    outside_opening = re.compile(r"(?i)[\s\-*•\"']*(?:" + _alternation(outside) + r")(?!\w)" if outside else r"(?!)")
    reviews = _norm_terms(rules.review_openings)
    review_opening = re.compile(r"(?i)[\s\-*•]*(?:" + _alternation(reviews) + r")(?!\w)" if reviews else r"(?!)")
    item_reference, item_line = _item_patterns(_norm_terms(rules.item_references))
    return SectionRules(definitions, _UpperOrBracketed(pattern, inline, other, header_to_name), header_to_name, cue,
                        result_line, by_kind, outside_opening, review_opening,
                        frozenset(r.split()[0] for r in reviews),
                        _words_pattern(rules.agreement_cues),
                        _words_pattern(rules.disagreement_cues), item_reference, item_line,
                        _ending(_norm_terms(rules.former_place_words)))


# an item's number, not a measure or a time ("item 9 mm across", "findings 2 weeks ago")
_ITEM_NUMBER = (r"(?:#|no\.|nr\.?|number)?[ \t]*+\d{1,2}(?![\d.,]\d)(?!\w)"
                r"(?![ \t]*(?:mm|cm|ml|cc|%|(?:minute|hour|day|week|month|year|h|d|wk|mo|yr)s?\b))")


def _item_patterns(nouns: set[str]) -> tuple[re.Pattern, re.Pattern]:
    """A tool's item named by a word of ``nouns`` and its number(s), or by "#" and a number ("Items 1 and 3",
    "finding #4", "#2"); and the line that opens such an item, which a list number opens too ("2) 4 mm nodule",
    "(2)", "#2", "CAD mark 2:"). Never matching where there are no words. Runs of blanks are possessive, as in
    the header pattern: a long blank line is tried once."""
    if not nouns:
        return re.compile(r"(?!)"), re.compile(r"(?!)")
    named = r"(?:" + _alternation(nouns) + r")s?[ \t]*+" + _ITEM_NUMBER
    numbers = rf"(?:[ \t]*+(?:,|and|&|/|or)[ \t]*+{_ITEM_NUMBER})*"
    reference = re.compile(rf"(?i)(?<!\w)(?:{named}|#[ \t]*\d{{1,2}}(?!\w)){numbers}")
    line = re.compile(r"(?im)^[ \t]*+[-*\u2022]?[ \t]*+(?:\(?(?P<n>\d{1,2})[.)](?!\d)|#[ \t]*+(?P<h>\d{1,2})(?!\w)"
                      r"|(?:[a-z]+[ \t]++){0,2}?(?:" + _alternation(nouns) +
                      r")[ \t]*+(?:#|no\.)?[ \t]*+(?P<w>\d{1,2})[ \t]*+[:.)\-\u2013\u2014])")
    return reference, line



_FORMER_REACH = 40  # characters before a place read for the words that make it a former place


def _ending(words: set[str]) -> re.Pattern:
    """Any of ``words`` (and "the") ending where the search window ends; never matching where there are none."""
    if not words:
        return re.compile(r"(?!)")
    return re.compile(r"(?i)(?<!\w)(?:" + _alternation(words) + r")[ \t]+(?:the[ \t]+)?\Z")


def _words_pattern(terms: dict[str, list[str]]) -> re.Pattern:
    """Any of the terms (all languages) as whole words, case-insensitive; never matching where there are none."""
    words = _norm_terms(terms)
    return re.compile(r"(?i)(?<!\w)(?:" + _alternation(words) + r")(?!\w)" if words else r"(?!)")


_START = methodcaller("start")


class _UpperOrBracketed:
    """Filters header matches: 'Lungs are clear' is no header, 'LUNGS:' and 'Lungs:' are."""

    def __init__(self, pattern: re.Pattern, inline: re.Pattern, other: re.Pattern, known: dict[str, str]) -> None:
        self._pattern = pattern
        self._inline = inline
        self._other = other
        self._known = known

    def finditer(self, text: str):
        inline = (m for m in self._inline.finditer(text) if _norm_header(m.group("h")) in self._known)
        other = (m for m in at_line_starts(self._other, text) if _norm_header(m.group("h")) not in self._known)
        # sorted is stable: at one start, a line header before an inline one before another (as the merge was)
        return sorted(chain(self._line_headers(text), inline, other), key=_START)

    def _line_headers(self, text: str):
        for m in at_line_starts(self._pattern, text):
            token = m.group(0).strip()
            header = m.group("h")
            # an aside at the line's end delimits nothing: "FINAL READ (attending)" is upper case alone on its line
            delimited = ((token.endswith((":", "]", ">", ")", "-", "*")) and not (m.group("a") and token[-1] == ")"))
                         or token.startswith(("[", "<", "#", "*")))
            line_end = text.find("\n", m.end())
            alone = not text[m.end() : line_end if line_end >= 0 else len(text)].strip()  # no copy of the rest
            if delimited or (alone and (header.isupper() or not header.isascii())):
                yield m


@cache
def header_pair_line() -> re.Pattern:
    """A line of two known headers side by side, a wide gap between them ("FINDINGS      CLINICAL HISTORY"): the
    top of a two-column page whose columns a PDF text extractor read straight across (text/columns.py). Group
    ``right`` is the second header, where the right column starts."""
    alternatives = _alternation(load_section_rules().header_to_name)
    return re.compile(rf"(?im)^[ \t]*(?P<left>{alternatives}):?[ \t]{{4,}}(?P<right>{alternatives}):?[ \t]*$")
