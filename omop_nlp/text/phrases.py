"""Phrase matching over tokens: the one matcher behind entity lexicons and ConText triggers.

Latin-script phrases match token sequences (longest first); Hangul phrases match inside Hangul
runs because Korean attaches particles and writes compounds without spaces. Optional one-typo
tolerance applies to long words (a Damerau-Levenshtein distance of 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import chain, compress
from operator import attrgetter
from typing import Generic, NamedTuple, TypeVar

from omop_nlp.text.tokens import Token, term_lemmas

P = TypeVar("P")
CASE_SENSITIVE_PREFIX = "="  # "=MS" matches "MS" only, not "ms" (milliseconds)
_CACHE_SIZE = 100_000  # typo corrections remembered
_START = attrgetter("start")  # matches sort by offset: a C-level getter, not a lambda per match
_NO_PHRASES: dict[int, set[tuple[str, ...]]] = {}  # what OpeningPhrases has for a word that opens none


class PhraseMatch(NamedTuple, Generic[P]):  # built per match: a tuple is cheaper than a frozen dataclass
    payload: P
    first: int  # token index, inclusive
    last: int  # token index, exclusive
    start: int  # character offsets into the original text
    end: int


_Entry = tuple[str | None, P]  # a phrase's case word (None: any case) and payload
# the phrases of one length that open with the same words: (length, the phrases by their words or None where all of
# them are those opening words, the entries of those opening words)
_Group = tuple[int, dict[tuple[str, ...], list[_Entry]] | None, list[_Entry]]


class PhraseMatcher(Generic[P]):
    def __init__(self, phrases: Iterable[tuple[str, P]], typo_min_length: int = 0, typo_exclude: Iterable[str] = ()):
        # first lemma -> second lemma (None for one-word phrases) -> the phrases they open as groups by length,
        # longest first: a position looks only at the phrases its own two words can open, and at one dict per
        # longer length ("in the" opens many triggers, and most "in the"s of a note open none of them)
        grouped: dict[str, dict[str | None, list[tuple[tuple[str, ...], str | None, P]]]] = {}
        hangul: dict[str, P] = {}
        vocabulary: set[str] = set()
        for phrase, payload in phrases:
            case_word = None
            if phrase.startswith(CASE_SENSITIVE_PREFIX):
                phrase = phrase[1:]
                case_word = phrase
            if _is_hangul(phrase):
                hangul.setdefault(phrase, payload)
                continue
            lemmas = term_lemmas(phrase)
            if lemmas:
                second = lemmas[1] if len(lemmas) > 1 else None
                grouped.setdefault(lemmas[0], {}).setdefault(second, []).append((lemmas, case_word, payload))
                vocabulary.update(lemmas)
        self._by_first = {first: {second: _by_length(entries, 1 if second is None else 2)
                                  for second, entries in openings.items()} for first, openings in grouped.items()}
        self._hangul_re = _hangul_regex(hangul)
        self._hangul = {re.sub(r"\s+", "", k): v for k, v in hangul.items()}
        self._typo = _TypoIndex(vocabulary, typo_min_length, set(typo_exclude)) if typo_min_length else None

    def match(self, tokens: list[Token], text: str, masked: frozenset[int] = frozenset()) -> list[PhraseMatch[P]]:
        """All non-overlapping matches, longest first at each position; ``masked`` tokens match nothing."""
        lemmas = [t.lemma for t in tokens]
        if self._typo:
            lemmas = self._typo.correct_all(lemmas)
        for i in masked:
            if i < len(lemmas):
                lemmas[i] = "\0"
        matches: list[PhraseMatch[P]] = []
        by_first = self._by_first
        n, end = len(tokens), 0  # ``end``: the token after the last match (matches do not overlap)
        # only the words that open a phrase are visited, found by C-level iterators (most words open none)
        for i in compress(range(n), map(by_first.__contains__, lemmas)):
            if i < end:
                continue
            openings = by_first[lemmas[i]]
            # no call where the word opens only longer phrases that its next word does not go on with ("in")
            if None in openings or (i + 1 < n and lemmas[i + 1] in openings):
                found = self._match_at(tokens, lemmas, i, openings)
                if found:
                    matches.append(found)
                    end = found.last
        matches.extend(self._match_hangul(tokens, text, masked))
        return sorted(matches, key=_START)

    def _match_at(self, tokens: list[Token], lemmas: list[str], i: int,
                  openings: dict[str | None, list[_Group]]) -> PhraseMatch[P] | None:
        following = lemmas[i + 1] if i + 1 < len(lemmas) else None
        longer = openings.get(following, ()) if following is not None else ()
        for n, by_words, entries in chain(longer, openings.get(None, ())):  # longest first
            if by_words is not None:
                entries = by_words.get(tuple(lemmas[i : i + n]), ())
            for case_word, payload in entries:
                if case_word is None or tokens[i].raw == case_word:
                    return PhraseMatch(payload, i, i + n, tokens[i].start, tokens[i + n - 1].end)
        return None

    def _match_hangul(self, tokens: list[Token], text: str, masked: frozenset[int]) -> list[PhraseMatch[P]]:
        if self._hangul_re is None:
            return []
        out: list[PhraseMatch[P]] = []
        for m in self._hangul_re.finditer(text):
            first = _token_index(tokens, m.start())
            last = _token_index(tokens, m.end() - 1) + 1
            if masked.issuperset(range(first, last)):
                continue
            out.append(PhraseMatch(self._hangul[re.sub(r"\s+", "", m.group())], first, last, m.start(), m.end()))
        return out


class OpeningPhrases:
    """Lemmatized phrases indexed by their first word, for 'does this text open with one of them' (a sentence's
    opening words: "It is located in ...", "Follow up of ..."; a place's head noun: "infiltrate")."""

    def __init__(self, terms: Iterable[str]) -> None:
        # first lemma -> phrase length -> the phrases of that length: a test is one set lookup per length, not a
        # comparison per phrase (a common first word, "the", opens tens of phrases across the languages)
        self._by_first: dict[str, dict[int, set[tuple[str, ...]]]] = {}
        for term in terms:
            lemmas = term_lemmas(str(term))
            if lemmas:
                self._by_first.setdefault(lemmas[0], {}).setdefault(len(lemmas), set()).add(lemmas)
        self.longest = max((n for lengths in self._by_first.values() for n in lengths), default=0)

    def open(self, lemmas: Sequence[str], start: int = 0) -> bool:
        """``lemmas`` begin with one of the phrases at ``start`` (an index, not a slice: a caller that tries every
        word of a long list copies nothing)."""
        return start < len(lemmas) and any(
            tuple(lemmas[start : start + n]) in phrases
            for n, phrases in self._by_first.get(lemmas[start], _NO_PHRASES).items())


def _by_length(entries: list[tuple[tuple[str, ...], str | None, P]], words: int) -> list[_Group]:
    """The phrases that open with the same ``words`` words (1 or 2) as groups by length, longest first; each
    phrase's entries in lexicon order."""
    longer: dict[int, dict[tuple[str, ...], list[_Entry]]] = {}
    for lemmas, case_word, payload in entries:
        if len(lemmas) > words:
            longer.setdefault(len(lemmas), {}).setdefault(lemmas, []).append((case_word, payload))
    exact = [(case_word, payload) for lemmas, case_word, payload in entries if len(lemmas) == words]
    groups: list[_Group] = [(n, by_words, []) for n, by_words in sorted(longer.items(), reverse=True)]
    return [*groups, (words, None, exact)] if exact else groups


def _is_hangul(phrase: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in phrase)


def _hangul_regex(phrases: dict[str, object]) -> re.Pattern | None:
    if not phrases:
        return None
    parts = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(r"\s*".join(map(re.escape, p.split())) for p in parts))


def _token_index(tokens: list[Token], offset: int) -> int:
    lo, hi = 0, len(tokens) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if tokens[mid].start <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


class _TypoIndex:
    """Symmetric-delete index for one-edit typo correction of long words ('atelectsis')."""

    def __init__(self, vocabulary: set[str], min_length: int, exclude: set[str]) -> None:
        self._vocab = vocabulary
        self._min = min_length
        # One edit away from a vocabulary word is at most one letter longer: longer words are never
        # corrected, which also keeps the lookup (quadratic in word length) bounded on any input.
        self._max = max((len(w) for w in vocabulary), default=0) + 1
        self._exclude = exclude
        self._deletes: dict[str, str | None] = {}
        for word in vocabulary:
            if len(word) >= min_length - 1 and word.isalpha():
                for d in _deletes(word):
                    previous = self._deletes.get(d, word)
                    self._deletes[d] = word if previous == word else None  # ambiguous -> no correction
        self._cache: dict[str, str] = {}

    def correct_all(self, words: list[str]) -> list[str]:
        """Each word, or the vocabulary word it is one typo away from. Every word's answer is remembered,
        the correct ones too: a note's words are nearly all seen before, and a dictionary hit is the
        cheapest answer."""
        cache = self._cache
        if len(cache) >= _CACHE_SIZE:  # bounded across a long run's notes
            cache.clear()
        known = list(map(cache.get, words))  # one C-level pass; a word never seen is the rare case
        if None not in known:
            return known
        return [k or self._remember(w) for k, w in zip(known, words, strict=True)]

    def _remember(self, word: str) -> str:
        if not self._min <= len(word) <= self._max or word in self._vocab or word in self._exclude \
                or not word.isalpha():
            corrected = word
        else:
            corrected = self._lookup(word)
        self._cache[word] = corrected
        return corrected

    def _lookup(self, word: str) -> str:
        candidates = {self._deletes.get(word)} | {self._deletes.get(d) for d in _deletes(word)}
        candidates |= {d for d in _deletes(word) if d in self._vocab}
        candidates.discard(None)
        # Typos rarely hit the first letter; requiring it keeps 'feeding' from becoming 'seeding'.
        candidates = {c for c in candidates if c[0] == word[0] and _within_one_edit(word, c)}
        return candidates.pop() if len(candidates) == 1 else word


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (substitution, insertion, deletion, adjacent swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]
