"""Text handling of the rule engine: offsets, sections, sentences, typos, Korean, routing.

Reports are written for this file; expectations follow annotation guideline sections 2-3 and
the engine requirements of issue 3 (offsets into the original text, section detection,
segmentation of telegraphic reports, one-typo tolerance for longer words, auto modality).
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.routing import load_router
from omop_nlp.rules import load_rules


def _scored(modality: str, findings: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    rules = load_rules(modality)
    return {
        key: frozenset(rules.expand(related)) if rules.entities[key].relates else frozenset()
        for key, related in findings.items()
    }


def _extract(pipeline: Pipeline, text: str, modality: str | None = "chest_ct"):
    return pipeline.extract(Report(id="t", text=text, modality=modality))


# --- offsets -------------------------------------------------------------------------------

OFFSET_TEXTS = [
    pytest.param("chest_ct", "A 7 mm nodule in the RUL.\nNo pleural effusion.", id="plain"),
    pytest.param("chest_ct", "FINDINGS:\r\n  Small RLL consolidation.\r\n  No pleural effusion.\r\n", id="crlf-indent"),
    pytest.param("chest_ct", "\n\n   IMPRESSION:\tBibasilar atelectasis;   no nodule.", id="leading-whitespace-tabs"),
    pytest.param("chest_ct", "[소견]\n- 우상엽 6mm 결절\n- 흉수 없음\n[결론] RUL nodule", id="korean"),
    pytest.param("chest_ct", "Mild atelectsis in the RLL \u2014 consolidaton less likely.", id="typos-and-dash"),
    pytest.param("chest_ct", "Résumé: café-au-lait. 5 mm nodule in the LLL (image 4/123).", id="non-ascii"),
    pytest.param(
        "brain_mri", "HISTORY: Known brain mets.\nFINDINGS: 새로 생긴 전이 병변, increased.", id="brain-mixed"
    ),
]


@pytest.mark.parametrize(("modality", "text"), OFFSET_TEXTS)
def test_mention_offsets_index_the_original_text(pipeline: Pipeline, modality: str, text: str) -> None:
    result = _extract(pipeline, text, modality)
    assert result.mentions, "expected at least one mention"
    for mention in result.mentions:
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.text


def test_exact_offsets_in_multiline_report(pipeline: Pipeline) -> None:
    text = "FINDINGS:\r\n  Small RLL consolidation.\r\n  No pleural effusion.\r\n"
    result = _extract(pipeline, text)
    spans = {(m.key, m.start, m.end, m.certainty) for m in result.mentions}
    assert ("rll", 19, 22, Certainty.PRESENT) in spans
    assert ("consolidation", 23, 36, Certainty.PRESENT) in spans
    assert ("pleural_effusion", 44, 60, Certainty.NEGATED) in spans
    assert result.findings_json() == {"consolidation": ["rll"]}


# --- sections ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "sections"),
    [
        pytest.param("FINDINGS:\nSmall RLL nodule.", "nodule", {"findings"}, id="findings-colon"),
        pytest.param("[Findings]\nSmall RLL nodule.", "nodule", {"findings"}, id="findings-brackets"),
        pytest.param("Findings: Small RLL nodule.", "nodule", {"findings"}, id="findings-inline"),
        pytest.param("IMPRESSION:\nSmall RLL nodule.", "nodule", {"impression"}, id="impression"),
        pytest.param("CONCLUSION:\nSmall RLL nodule.", "nodule", {"impression", "conclusion"}, id="conclusion"),
        pytest.param("INDICATION: nodule?\nFINDINGS: clear.", "nodule", {"indication"}, id="indication"),
        pytest.param("HISTORY: lung nodule.\nFINDINGS: clear.", "nodule", {"history"}, id="history"),
        pytest.param("COMPARISON: CT 2023 with RUL nodule.\nFINDINGS: clear.", "nodule", {"comparison"},
                     id="comparison"),
        pytest.param("FINDINGS: clear.\nRECOMMENDATION: CT to evaluate for nodule.", "nodule", {"recommendation"},
                     id="recommendation"),
        pytest.param("[소견]\n우상엽 결절", "결절", {"findings"}, id="ko-findings"),
        pytest.param("결론:\n우상엽 결절", "결절", {"impression", "conclusion"}, id="ko-conclusion"),
        pytest.param("Findings: clear.\nComment: small RLL nodule, likely benign.", "nodule", {"impression"},
                     id="comment-is-the-conclusion"),
    ],
)
def test_sections(pipeline: Pipeline, text: str, surface: str, sections: set[str]) -> None:
    result = _extract(pipeline, text)
    start = text.index(surface)
    mention = next(m for m in result.mentions if m.start == start)
    assert mention.section in sections


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("INDICATION: Lung nodule follow-up.\nFINDINGS: No nodule.", {}, id="indication-not-a-finding"),
        pytest.param("COMPARISON: CT 2023-01-01 showed RUL consolidation.\nFINDINGS: Clear lungs.", {},
                     id="comparison-not-a-finding"),
        pytest.param("RECOMMENDATION: Evaluate for RUL mass with PET-CT.\nIMPRESSION: Bibasilar atelectasis.",
                     {"atelectasis": ["bll"]}, id="recommendation-not-a-finding"),
    ],
)
def test_section_meaning(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _scored("chest_ct", _extract(pipeline, text).findings_json()) == _scored("chest_ct", expected)


# --- sentences and telegraphic segmentation ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1. RUL nodule 2. LLL consolidation", {"nodule": ["rul"], "consolidation": ["lll"]},
                     id="numbered-inline"),
        pytest.param("1) RUL nodule\n2) LLL consolidation", {"nodule": ["rul"], "consolidation": ["lll"]},
                     id="numbered-paren-lines"),
        pytest.param("- RUL: nodule\n- LLL: consolidation", {"nodule": ["rul"], "consolidation": ["lll"]},
                     id="dash-lines"),
        pytest.param("RUL nodule -> increased\nLLL consolidation", {"nodule": ["rul"], "consolidation": ["lll"]},
                     id="arrow"),
        pytest.param("A 3.5 cm mass in the RUL.", {"mass": ["rul"]}, id="decimal-no-split"),
        pytest.param("Nodule (image 3/45) in the RML.", {"nodule": ["rml"]}, id="image-ref"),
        pytest.param("RUL nodule\nLLL consolidation", {"nodule": ["rul"], "consolidation": ["lll"]},
                     id="line-per-finding"),
        pytest.param("No pleural effusion\nRLL atelectasis", {"atelectasis": ["rll"]},
                     id="negation-stops-at-line-end"),
    ],
)
def test_segmentation(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _scored("chest_ct", _extract(pipeline, text).findings_json()) == _scored("chest_ct", expected)


def test_sentence_indices(pipeline: Pipeline) -> None:
    text = "A 3.5 cm mass in the RUL. No pleural effusion.\nLLL atelectasis"
    by_key = {m.key: m for m in _extract(pipeline, text).mentions}
    assert by_key["mass"].sentence == by_key["rul"].sentence
    assert by_key["pleural_effusion"].sentence > by_key["mass"].sentence
    assert by_key["atelectasis"].sentence > by_key["pleural_effusion"].sentence
    assert by_key["atelectasis"].sentence == by_key["lll"].sentence


# --- typo tolerance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Mild atelectsis in the RLL.", {"atelectasis": ["rll"]}, id="atelectsis"),
        pytest.param("Mild atelectasiss in the RLL.", {"atelectasis": ["rll"]}, id="extra-letter"),
        pytest.param("Bronchiectsis in the LLL.", {"bronchiectasis": ["lll"]}, id="bronchiectsis"),
        pytest.param("Consolidaton in the RUL.", {"consolidation": ["rul"]}, id="consolidaton"),
        pytest.param("Small right pleural efusion.", {"pleural_effusion": []}, id="efusion"),
        pytest.param("Honeycombinb in both lower lobes.", {"fibrosis": ["bll"]}, id="substitution"),
        pytest.param("No consolidaiton.", {}, id="transposition-negated"),
    ],
)
def test_one_typo_tolerance(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _scored("chest_ct", _extract(pipeline, text).findings_json()) == _scored("chest_ct", expected)


@pytest.mark.parametrize("text", ["MRI of the head after gadolinium injection.", "Contrast was injected; normal."])
def test_real_words_are_no_typos(pipeline: Pipeline, text: str) -> None:
    """One edit from "infection", but a word of its own: a contrast injection names no infection."""
    assert _extract(pipeline, text, "brain_mri").findings_json() == {}


def test_typo_mention_keeps_original_spelling(pipeline: Pipeline) -> None:
    text = "Mild atelectsis in the RLL."
    mention = next(m for m in _extract(pipeline, text).mentions if m.key == "atelectasis")
    assert (mention.start, mention.end, mention.text) == (5, 15, "atelectsis")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Normal-sized mediastinal lymph nodes. Lungs clear.", id="lymph-nodes-are-not-nodules"),
        pytest.param("The heart size is normal. Lungs clear.", id="no-lesion-words"),
        pytest.param("Lungs clear. Mild emphysema.", id="emphysema-not-a-key"),
    ],
)
def test_no_spurious_lesions(pipeline: Pipeline, text: str) -> None:
    assert _extract(pipeline, text).findings_json() == {}


# --- Korean ---------------------------------------------------------------------------------



@pytest.mark.parametrize(
    ("modality", "text", "expected"),
    [
        pytest.param("chest_ct", "우상엽 결절.", {"nodule": ["rul"]}, id="nodule-rul"),
        pytest.param("chest_ct", "흉수 없음.", {}, id="effusion-absent"),
        pytest.param("chest_ct", "우하엽 무기폐, 흉수 동반", {"atelectasis": ["rll"], "pleural_effusion": []},
                     id="two-lesions"),
        pytest.param("chest_ct", "결절 보이지 않음.", {}, id="not-seen"),
        pytest.param("chest_ct", "양하엽 기관지확장증", {"bronchiectasis": ["bll"]}, id="bilateral"),
        pytest.param("chest_ct", "좌상엽 결절\n우하엽 무기폐", {"nodule": ["lul"], "atelectasis": ["rll"]},
                     id="line-per-finding"),
        pytest.param("brain_mri", "좌측 측두엽 교모세포종, 크기 증가.", {"glioma": ["progression"]},
                     id="glioma-increase"),
        pytest.param("brain_mri", "좌측 측두엽 교모세포종, 이전 검사와 비교하여 크기 증가.",
                     {"glioma": ["progression"]}, id="glioma-increase-compared"),
        pytest.param("chest_ct", "이전 검사와 비교하여 우상엽 결절 크기 증가.", {"nodule": ["rul"]},
                     id="chest-compared-with-prior"),
        pytest.param("brain_mri", "중추신경계 림프종 의심.", {"lymphoma": []}, id="lymphoma-suspected"),
    ],
)
def test_korean(pipeline: Pipeline, modality: str, text: str, expected: dict) -> None:
    assert _scored(modality, _extract(pipeline, text, modality).findings_json()) == _scored(modality, expected)


# --- modality routing ----------------------------------------------------------------------

CHEST_TEXT = "CT chest: 6 mm nodule in the RUL. Bibasilar atelectasis. No pleural effusion."
BRAIN_TEXT = "MRI brain: enhancing mass in the left temporal lobe, suggestive of glioblastoma. No acute infarction."


@pytest.mark.parametrize(
    ("text", "modality"),
    [
        pytest.param(CHEST_TEXT, "chest_ct", id="chest"),
        pytest.param(BRAIN_TEXT, "brain_mri", id="brain"),
        pytest.param("Consolidation in the RLL with small pleural effusion and bronchiectasis.", "chest_ct",
                     id="chest-no-header"),
        pytest.param("Known brain metastases, decreased compared with prior. Chronic lacunar infarct.", "brain_mri",
                     id="brain-no-header"),
        pytest.param("우상엽 결절. 흉수 없음. 양하엽 무기폐.", "chest_ct", id="chest-korean"),
        pytest.param("좌측 전두엽 전이 병변. 교모세포종 의심. 뇌경색 없음.", "brain_mri", id="brain-korean"),
        pytest.param("Patient seen in clinic for knee pain. Patella intact. Follow up in two weeks.", None,
                     id="unrelated"),
        pytest.param("", None, id="empty"),
    ],
)
def test_router_detect(text: str, modality: str | None) -> None:
    assert load_router().detect(text) == modality


def test_auto_pipeline_routes_by_text(pipeline: Pipeline) -> None:
    chest = pipeline.extract(Report(id="c", text=CHEST_TEXT))
    brain = pipeline.extract(Report(id="b", text=BRAIN_TEXT))
    assert chest.modality == "chest_ct"
    assert _scored("chest_ct", chest.findings_json()) == _scored(
        "chest_ct", {"nodule": ["rul"], "atelectasis": ["bll"]}
    )
    assert brain.modality == "brain_mri"
    assert brain.findings_json() == {"glioma": []}


def test_given_modality_wins_over_text(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report(id="x", text=CHEST_TEXT, modality="brain_mri"))
    assert result.modality == "brain_mri"
