"""A part and its state said apart in one clause name a chest key at the state word (chest YAML
`stated_findings`; guideline section 2 key table): bronchial walls thickened is bronchial wall thickening,
pleural layers thickened pleural thickening, fluid in a pleural cavity a pleural effusion, in either order, with
places between, denied as any finding is. A part or a state alone names nothing. Sentences written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Bronchial walls in the lower lobes of both lungs thickened.", {"bronchial_wall_thickening": ["bll"]}),
    ("In the right middle lobe the bronchial walls are thickened.", {"bronchial_wall_thickening": ["rml"]}),
    ("The pleural layers on the left are thickened up to 4 mm.", {"pleural_thickening": []}),
    ("Left pleural cavity - fluid, layer up to 20 mm.", {"pleural_effusion": []}),
    ("A small amount of fluid is seen in the right pleural cavity.", {"pleural_effusion": []}),
    # denied as any finding
    ("Pleural layers are not thickened.", {}),
    ("Fluid in the pleural cavities is not determined.", {}),
    ("Pleural cavities - fluid no.", {}),
    ("No fluid in the pleural spaces. Bronchial walls not thickened.", {}),
    # a part or a state alone, or the two in different sentences
    ("The bronchial walls are smooth. Fluid-filled oesophagus.", {}),
    ("Pleural cavities are free. The wall of the gallbladder is thickened.", {}),
    ("Cavity in the right upper lobe with a fluid level.", {}),
])  # fmt: skip
def test_stated_findings(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
