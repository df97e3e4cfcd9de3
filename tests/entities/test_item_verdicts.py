"""A detection tool's numbered item judged in a later sentence that names it by its number alone (corpus style
`ai`, omop_nlp/entities/items.py): a rejection there withdraws that item's findings, a confirmation keeps them, and
a number that only names what a clause is about judges nothing. Sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"
TOOL_LIST = ("Detection software list:\n1) 5 mm nodule right upper lobe slice 31.\n2) 8 mm nodule left lower lobe "
             "slice 77.\n3) Consolidation middle lobe.\n")


@pytest.mark.parametrize(("modality", "text", "expected"), [
    pytest.param(CT, TOOL_LIST + "Radiologist: Item 2: disagree. Items 1 and 3: agree.",
                 {"consolidation": ["rml"], "nodule": ["rul"]}, id="item-disagreed"),
    pytest.param(CT, TOOL_LIST + "On review, finding #3 — not confirmed by the radiologist.",
                 {"nodule": ["lll", "rul"]}, id="finding-number-not-confirmed"),
    pytest.param(CT, TOOL_LIST + "CAD mark 1 is a vessel seen end-on. Mark 2 confirmed.",
                 {"consolidation": ["rml"], "nodule": ["lll"]}, id="mark-is-a-vessel"),
    pytest.param(CT, TOOL_LIST + "Items 1 and 2 are confirmed; item 3 is rejected, it is dependent density.",
                 {"nodule": ["lll", "rul"]}, id="one-clause-per-verdict"),
    pytest.param(CT, TOOL_LIST + "Item 1 accepted, item 2 a false positive.",
                 {"consolidation": ["rml"], "nodule": ["rul"]}, id="after-a-comma"),
    pytest.param(CT, TOOL_LIST + "Items 2 and 3: confirmed, both new since the last screen.",
                 {"consolidation": ["rml"], "nodule": ["lll", "rul"]}, id="confirmed-later-keeps-them"),
    # the number names what the clause is about, not the item the verdict is on: the score is judged
    pytest.param(CT, TOOL_LIST + "The tool's risk estimate for item 2: 40 % — not agreed.",
                 {"consolidation": ["rml"], "nodule": ["lll", "rul"]}, id="a-property-of-the-item-judged"),
    # the item named where the radiologist explains it, with no verdict of its own
    pytest.param(CT, TOOL_LIST + "Mild bronchial wall thickening in the middle lobe near item 3.",
                 {"bronchial_wall_thickening": ["rml"], "consolidation": ["rml"], "nodule": ["lll", "rul"]},
                 id="named-without-a-verdict"),
    pytest.param(MR, "Triage tool:\n1) acute infarct, right occipital lobe.\n2) haemorrhage, left thalamus.\n"
                 "Neuroradiologist: item 2 is calcification; item 1 is confirmed.", {"stroke_infarction": []},
                 id="brain-item-explained-away"),
])  # fmt: skip
def test_a_later_verdict_by_number_decides_the_item(pipeline: Pipeline, modality: str, text: str,
                                                    expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


def test_the_item_line_takes_the_rejection_as_its_own_line_would(pipeline: Pipeline) -> None:
    """The rejected item's mentions are denied (NOTE_NLP shows them so), as "— rejected" on its line would."""
    result = pipeline.extract(Report("t", TOOL_LIST + "Item 2: overruled.", CT))
    line = TOOL_LIST.index("2)"), TOOL_LIST.index("3)")
    assert {(m.key, m.certainty) for m in result.mentions if line[0] <= m.start < line[1]} == {
        ("nodule", Certainty.NEGATED), ("lll", Certainty.NEGATED)}


def test_a_number_with_no_item_line_before_it_withdraws_nothing(pipeline: Pipeline) -> None:
    text = "Consolidation in the left lower lobe.\nItem 4: rejected."
    assert pipeline.extract(Report("t", text, CT)).findings_json() == {"consolidation": ["lll"]}
