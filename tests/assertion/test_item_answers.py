"""A structured item's value after "=" answers its name as a value after ":" does (corpus style `dsr`): "no" denies
the finding the item names. Reports written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "key", "certainty"), [
    pytest.param("Atelectasis = no", "atelectasis", Certainty.NEGATED, id="item-no"),
    pytest.param("Tree:\n  > Finding = Mass\n  > Presence = No\n", "mass", Certainty.NEGATED, id="presence-no"),
    pytest.param("Pleural effusion = yes, small", "pleural_effusion", Certainty.PRESENT, id="item-yes"),
])  # fmt: skip
def test_an_items_value_answers_it(pipeline: Pipeline, text: str, key: str, certainty: Certainty) -> None:
    result = pipeline.extract(Report("t", text, "chest_ct"))
    assert [m.certainty for m in result.mentions if m.key == key] == [certainty]
