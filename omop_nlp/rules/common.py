"""Types shared by several mappings files: codes and per-language word lists."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from omop_nlp.rules.load import RulesModel

PROJECT_VOCABULARY = "omop-nlp"

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
"""An ISO 639-1 language code: ``en``, ``ko``."""

Terms = list[str]
"""Words or phrases, matched case-insensitively after lemmatisation; ``=MS`` matches ``MS`` only."""

TermsByLanguage = dict[Language, Terms]


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


Regex = Annotated[str, AfterValidator(_regex)]
"""A Python regular expression, matched case-insensitively."""


class Code(RulesModel):
    """A concept by vocabulary and code; concept_id is resolved from the site's CONCEPT table at run time."""

    vocabulary: str = Field(description="vocabulary_id: SNOMED, LOINC, DCM, Episode, ... or omop-nlp "
                            "(the project's own)")
    code: str = Field(description="concept_code in that vocabulary (quote it: \"786838002\")")

    def __init__(self, vocabulary: str, code: str) -> None:
        super().__init__(vocabulary=vocabulary, code=code)

    @property
    def is_project_code(self) -> bool:
        return self.vocabulary == PROJECT_VOCABULARY
