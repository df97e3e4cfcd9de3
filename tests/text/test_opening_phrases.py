"""OpeningPhrases: does a list of words open with one of the phrases, at its start or at a given word."""

from __future__ import annotations

from omop_nlp.text.phrases import OpeningPhrases

PHRASES = OpeningPhrases(["it is", "it is located", "this", "follow up of"])


def test_a_phrase_opens_the_words_whatever_its_length() -> None:
    assert PHRASES.open(["it", "is", "seen"])
    assert PHRASES.open(["it", "is", "located", "in"])
    assert PHRASES.open(["this", "likely"])
    assert PHRASES.open(["follow", "up", "of", "glioma"])


def test_words_shorter_than_every_phrase_of_their_first_word_open_none() -> None:
    assert not PHRASES.open(["follow", "up"])
    assert not PHRASES.open(["it"])
    assert not PHRASES.open([])


def test_a_start_index_reads_the_words_from_there_without_a_copy() -> None:
    words = ["nodule", "and", "it", "is", "located"]
    assert not PHRASES.open(words)
    assert PHRASES.open(words, 2)
    assert not PHRASES.open(words, 3)
    assert not PHRASES.open(words, len(words))


def test_the_longest_phrase_sets_how_far_a_reader_looks() -> None:
    assert PHRASES.longest == 3
