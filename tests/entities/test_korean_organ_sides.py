"""A side word right before another organ's word is that organ's side (guideline section 2 rule 10): in Korean the
side and the organ are often one Hangul run ("양측부신", both adrenals), and the bare side word also names a whole
lung ("좌측"), so neither may place a lung finding. Korean organ names are data (``other_organs`` in chest_ct.yaml).
Own mixed Korean / English sentences."""

from __future__ import annotations

from mention_asserts import findings

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

LUNGS = {"right_lung", "left_lung"}


def _places(pipeline: Pipeline, text: str) -> set[str]:
    return {m.key for m in pipeline.extract(Report("t", text, "chest_ct")).mentions if m.key in LUNGS}


def test_both_adrenals_in_one_hangul_run_place_no_lung(pipeline: Pipeline) -> None:
    text = "Scattered tiny nodules; 양측부신 결절 있음."
    assert findings(pipeline, text) == {"nodule": []}
    assert _places(pipeline, text) == set()


def test_a_side_before_an_organ_phrase_the_lexicon_ignores(pipeline: Pipeline) -> None:
    assert _places(pipeline, "양측갑상선 결절 관찰됨. Lungs clear.") == set()


def test_a_bare_side_that_names_a_lung_before_an_organ_is_the_organs(pipeline: Pipeline) -> None:
    assert findings(pipeline, "좌측 신장 낭종, 좌하엽 결절 6 mm.") == {"nodule": ["lll"]}
    assert _places(pipeline, "우측 흉추에 경화성 결절.") == set()


def test_liver_and_bone_words_are_other_organs(pipeline: Pipeline) -> None:
    assert findings(pipeline, "간우엽에 8 mm 결절. 우하엽 4 mm 결절.") == {"nodule": ["rll"]}
    assert findings(pipeline, "좌측 간 실질에 결절.") == {}


def test_the_side_word_still_places_a_lung_finding(pipeline: Pipeline) -> None:
    assert findings(pipeline, "우측에 결절 하나.") == {"nodule": ["right_lung"]}
    assert findings(pipeline, "양측 폐에 다발성 결절.") == {"nodule": ["left_lung", "right_lung"]}
    assert findings(pipeline, "Nodules in both lungs; bilateral adrenal glands are normal.") == {
        "nodule": ["left_lung", "right_lung"]}
