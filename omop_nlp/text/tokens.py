"""Tokenisation that keeps offsets into the original note text.

Matching works on lower-case, plural-folded tokens ("lemmas"); hyphens are dropped so that
"ground-glass" and "ground glass" are the same term, and dotted abbreviations are one word
("R.U.L." is "rul"); a dash that ends a phrase is a token, the shorthand "absent" ("Effusion -.", "PTX -ve").
Hangul runs stay one token; the lexicon matches inside them because Korean attaches particles to nouns
(결절이, 우상엽에).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import NamedTuple

from omop_nlp.rules.sections import load_section_words
from omop_nlp.rules.variants import load_variant_rules
from omop_nlp.text.layout import JOINER

# A typeset PDF's text layer writes "fi", "ff", "fl" ... as one ligature character ("\ufb01brosis") and keeps the
# soft hyphens of its line breaking ("consoli\u00addation"): they stand inside a word, and its lemma reads them as the
# letters they are and as nothing (``_plain_word``). Folding keeps them: the text's length may not change.
_LIGATURES = "\ufb00-\ufb06"
_IN_WORD = f"\u00ad{_LIGATURES}"
_TYPESET = re.compile(f"[{_IN_WORD}]")

# Group 1 is the token. The blanks before it are matched with it, so that the scan skips them in one step instead
# of trying every token pattern at each blank. A match never starts inside a run of blanks (``(?<!\s)``) nor gives
# them back (``*+``): a long run before a character that opens no token ("-") is scanned once, not once per blank.
TOKEN_RE = re.compile(
    r"(?<!\s)\s*+("
    r"\([+-]\)"  # (-) / (+) used as negative / positive markers
    r"|(?:[A-Za-z]\.){2,}(?![A-Za-z])"  # dotted abbreviations: "R.U.L." reads as "RUL"
    rf"|[A-Za-z{_LIGATURES}][A-Za-z0-9'{JOINER}{_IN_WORD}]*"  # a word split at a hard wrap (joined in the layout
    # view, text/layout.py), or as a typeset PDF's text layer writes it: ligatures, soft hyphens
    r"|\d+(?:\.\d+)?"
    r"|[\uac00-\ud7a3]+"
    r"|->|→|=>"
    r"|[-\u2012-\u2014](?=[ \t]*(?:[.,;)\]\r\n]|$)|ve\b)"  # a dash ending a phrase is "absent": "eff -", "PTX -ve"
    r"|[^\sA-Za-z0-9\-\u2010-\u2015]"
    r")"
)

_PLURAL_KEEP = ("ss", "is", "us", "as", "ys")

_DASHES = frozenset("-\u2012\u2013\u2014")
_LINE_END_DASH = re.compile(r"[-\u2012-\u2014][ \t]*\r?\n")  # the one place a dash may join two lines
_NEXT_LINE = re.compile(r"[ \t]*\r?\n[ \t]*([^\r\n]*)")
_ROW_MARK = re.compile(r"[-\u2012-\u2014+](?:ve)?[ \t]*+[.,;]?[ \t]*+$")  # a checklist row ends with its mark: "eff -"
_NUMBERED_ITEM = re.compile(r"\d+[.)][ \t]")
_FIRST_WORD = re.compile(r"\?|[^\s,:;.?]+")


class Token(NamedTuple):  # a note has thousands: a tuple is built about twice as fast as a frozen dataclass
    lemma: str
    start: int
    end: int
    raw: str


def fold(text: str) -> str:
    """Case-fold and unify look-alike characters without changing the length of the text."""
    if text.isascii():  # most reports: nothing to unify
        return text.lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2212", "-")  # the minus sign: "(\u2212)"
    return "".join(
        c if len(unicodedata.normalize("NFKC", c).lower()) != 1 else unicodedata.normalize("NFKC", c).lower()
        for c in text
    )


def lemma(word: str) -> str:
    """Plural and possessive folding: 'nodules' -> 'nodule', "rul's" -> 'rul', 'metastasis' stays."""
    word = word.removesuffix("'s").rstrip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(_PLURAL_KEEP) and word.isalpha():
        return word[:-1]
    return word


_OCR_MIN_LENGTH = 5  # "t1w", "c5": short words with a digit are names, not OCR slips


def _ocr_read(word: str) -> str:
    """A word as meant where OCR read a letter as a digit between letters ("n0dule" -> "nodule"; a scanned, faxed
    report); ``ocr_confusions`` in variants.yaml. Called once per new word (tokenize caches lemmas)."""
    if len(word) < _OCR_MIN_LENGTH:
        return word
    confusions = _ocr_confusions()
    return confusions[0].sub(lambda m: confusions[1][m.group()], word) if confusions else word


@cache
def _ocr_confusions() -> tuple[re.Pattern, dict[str, str]] | None:
    table = load_variant_rules().ocr_confusions
    if not table:
        return None
    return re.compile(rf"(?<=[a-z])[{re.escape(''.join(table))}](?=[a-z])"), table


_LEMMAS: dict[str, str] = {}  # word -> lemma, bounded: report vocabularies repeat
_LEMMAS_MAX = 50_000


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    append, new, known = tokens.append, tuple.__new__, _LEMMAS.get  # the hottest loop of a run: no lookups
    folded = fold(text)
    for m in TOKEN_RE.finditer(folded):
        word = m.group(1)
        lemma_ = known(word)
        if lemma_ is None:
            undotted = word.replace(".", "") if len(word) > 2 and word[-1] == "." and word[0].isalpha() else word
            undotted = undotted.replace(JOINER, "")  # "consoli-" / "dation" at a wrap reads "consolidation"
            if not undotted.isascii():
                undotted = _plain_word(undotted)
            lemma_ = lemma(undotted if undotted.isalpha() else _ocr_read(undotted)) or word
            if len(_LEMMAS) < _LEMMAS_MAX:
                _LEMMAS[word] = lemma_
        start, end = m.span(1)
        append(new(Token, (lemma_, start, end, text[start:end])))  # Token(...) without its Python-level __new__
    if _LINE_END_DASH.search(folded):  # rare: most notes skip the second look
        return [t for t in tokens if t.lemma not in _DASHES or not _joins_lines(text, t.end)]
    return tokens


def _plain_word(word: str) -> str:
    """``word`` with a typeset PDF's ligatures spelled out and its soft hyphens dropped ("\ufb01brotic" is
    "fibrotic"); called once per new word (tokenize caches lemmas)."""
    return _TYPESET.sub(lambda m: "" if m.group() == "\u00ad" else unicodedata.normalize("NFKC", m.group()), word)


def _joins_lines(text: str, end: int) -> bool:
    """A dash at a line end (ending at ``end``) before a line that goes on about the same finding joins the two lines
    instead of saying "absent": the next line opens with a ``line_continuations`` word ("RLL consolidation -" /
    "Likely pneumonia.", "with air bronchograms") or is the next numbered item ("1. RUL nodule -" / "2. No
    effusion."). Before a new statement ("eff -" / "Nodule in the RUL.") or a checklist row of its own ("ptx -" /
    "eff -") the dash is the shorthand "absent". Case cannot tell them apart: shorthand is often all lower case and
    legacy reports all upper case, so the first word does."""
    line = _NEXT_LINE.match(text, end)
    if line is None or not line.group(1) or _ROW_MARK.search(line.group(1)):
        return False
    if _NUMBERED_ITEM.match(line.group(1)):
        return True
    word = _FIRST_WORD.match(line.group(1))
    return word is not None and word.group().lower() in load_section_words("line_continuations")


def term_lemmas(term: str) -> tuple[str, ...]:
    """A lexicon term tokenised the same way as note text."""
    return tuple(t.lemma for t in tokenize(term))


def single_words(entries: list, where: str) -> frozenset[str]:
    """A word list from the mappings as lemmas, for token-by-token comparison: a multi-word entry
    would never match, so it is refused with the place it was found (``where``)."""
    words = set()
    for entry in entries:
        lemmas = term_lemmas(str(entry))
        if len(lemmas) != 1:
            raise ValueError(f"{where}: {entry!r} is not a single word")
        words.add(lemmas[0])
    return frozenset(words)
