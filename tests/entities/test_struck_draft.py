"""Struck draft text (``~~...~~``) in a report a drafting tool wrote and the radiologist edited: what it names is
withdrawn (negated), and its places, change words and triggers belong to no one; the correction after it decides.
Own sentences."""

from __future__ import annotations

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


def _result(pipeline: Pipeline, text: str, modality: str = "chest_ct"):
    return pipeline.extract(Report("t", text, modality))


def test_a_struck_finding_is_withdrawn_even_without_a_denial(pipeline: Pipeline) -> None:
    result = _result(pipeline, "- ~~Collapse of the left lower lobe~~ *Edited:* lungs clear.\n")
    assert result.findings_json() == {}
    assert {(m.key, m.certainty) for m in result.mentions} == {("atelectasis", Certainty.NEGATED)}


def test_a_relabelled_finding_keeps_the_new_key_only(pipeline: Pipeline) -> None:
    text = "- ~~Consolidation in the right lower lobe~~ *Edited by radiologist:* atelectasis of the right lower lobe.\n"
    assert _result(pipeline, text).findings_json() == {"atelectasis": ["rll"]}


def test_a_struck_place_goes_to_no_other_finding(pipeline: Pipeline) -> None:
    text = "- Small nodule. ~~In the left upper lobe~~ *Edited:* in the right upper lobe.\n"
    assert _result(pipeline, text).findings_json() == {"nodule": ["rul"]}


def test_a_struck_denial_denies_nothing_after_it(pipeline: Pipeline) -> None:
    text = "- **Pleura:** ~~No effusion~~ *Edited:* small right pleural effusion.\n"
    assert "pleural_effusion" in _result(pipeline, text).findings_json()


def test_a_struck_change_word_gives_no_episode(pipeline: Pipeline) -> None:
    text = ("History: glioblastoma, treated.\n"
            "Findings: The enhancing tumour at the left frontal margin ~~has progressed~~ *Edited:* is smaller.\n")
    assert _result(pipeline, text, "brain_mri").findings_json() == {"glioma": ["improvement"]}
