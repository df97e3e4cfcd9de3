"""``mappings/variants.yaml``: rules that generate spelling variants of every lexicon term."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field

from omop_nlp.rules.load import RulesModel, load_model


class VariantRules(RulesModel):
    """Joined and British/American forms generated from each term, so a lexicon lists a term once."""

    join_hyphenated: bool = Field(False, description="a hyphenated term also matches written as one word "
                                  "(\"ground-glass\" -> \"groundglass\")")
    join_spaced_max_length: int = Field(0, description="a two-word term of at most this many characters also "
                                        "matches joined (\"ground glass\" -> \"groundglass\"); 0: never")
    spellings: list[tuple[str, str]] = Field(default_factory=list, description="[British, American] pairs: a term "
                                             "with either spelling also matches with the other (haem / hem)")
    ocr_confusions: dict[str, str] = Field(default_factory=dict, description="a digit that OCR of a scanned report "
                                           "reads for a letter -> that letter: inside a word of letters it is read "
                                           "as the letter (\"n0dule\" is \"nodule\")")


@cache
def load_variant_rules(base: Path | None = None) -> VariantRules:
    return load_model(VariantRules, "variants.yaml", base)
