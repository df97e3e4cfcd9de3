"""The annotated report handed from stage 1 (mentions with assertion) to stage 2 (relations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from omop_nlp.model import Mention
from omop_nlp.text.tokens import Token


@dataclass
class Item:
    """A mention or a cue word (tumor reference, anaphora...) at a token span of a sentence.

    ``first_token``/``last_token`` index ``Document.tokens`` (last exclusive), as ``Sentence``'s do;
    character offsets into the note are ``Mention.start``/``end``."""

    first_token: int
    last_token: int
    mention: Mention | None = None
    cue: str | None = None


@dataclass
class Sentence:
    index: int
    section: str | None
    section_kind: str
    start: int
    end: int
    first_token: int
    last_token: int
    items: list[Item] = field(default_factory=list)

    def mentions(self, *types: str) -> list[Item]:
        if not types:
            return [i for i in self.items if i.mention]
        return [i for i in self.items if i.mention and i.mention.type in types]  # StrEnum: no .value

    def cues(self, *roles: str) -> list[Item]:
        return [i for i in self.items if i.cue in roles]


@dataclass
class Document:
    text: str
    tokens: list[Token]
    sentences: list[Sentence]
    # the tokens' lemmas, listed once: the relation mappers read the words between items tens of times a sentence
    _lemmas: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._lemmas = [t.lemma for t in self.tokens]

    def lemmas(self, first: int, last: int) -> list[str]:
        return self._lemmas[first:last]


class RelationMapper(Protocol):
    """Stage 2 by rules (``omop_nlp.relations``): fills ``Mention.related`` of a document's mentions."""

    def map(self, doc: Document) -> None: ...
