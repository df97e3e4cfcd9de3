"""A lesion placed by "these segments" / "those segments" takes the places named last (guideline section 2 rule 2;
chest YAML `location_grammar.anaphora`). Reports written for this file."""

from __future__ import annotations

from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def test_these_segments_refer_back(pipeline: Pipeline) -> None:
    text = "Right lung S4 and S5: cylindrical bronchiectasis.\nBronchial wall thickening in these segments."
    assert findings(pipeline, text) == {"bronchiectasis": ["rml"], "bronchial_wall_thickening": ["rml"]}
