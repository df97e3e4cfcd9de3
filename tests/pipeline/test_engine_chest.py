"""Chest CT behaviour of the rule engine, written from annotation guideline section 2.

Every case is a short report written for this file and the findings the guideline gives for
it. Findings are compared the way the evaluator scores them (guideline sections 2.4, 2.6):
bilateral keys are expanded (``bll`` == ``rll`` + ``lll``) and the location of
``pleural_effusion`` / ``pleural_thickening`` is not scored (an empty list or ``pleura``).
"""

from __future__ import annotations

import pytest
from mention_asserts import assert_single_mention

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.rules import load_rules

RULES = load_rules("chest_ct")


def _scored(findings: dict[str, list[str]]) -> dict[str, frozenset[str]]:
    """The findings as the evaluator sees them: expanded locations, unscored ones dropped."""
    out: dict[str, frozenset[str]] = {}
    for key, related in findings.items():
        if RULES.entities[key].relates:
            out[key] = frozenset(RULES.expand(related))
        else:
            assert set(related) <= {"pleura"}, f"{key} may carry only [] or [pleura], got {related}"
            out[key] = frozenset()
    return out


def _extract(pipeline: Pipeline, text: str):
    return pipeline.extract(Report(id="t", text=text, modality="chest_ct"))


def _check(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    result = _extract(pipeline, text)
    assert result.modality == "chest_ct"
    got = result.findings_json()
    assert _scored(got) == _scored(expected), f"got {got}, expected {expected}"



def case(case_id: str, text: str, expected: dict[str, list[str]], *marks):
    return pytest.param(text, expected, id=case_id, marks=marks)


# --- rule 1: what is present --------------------------------------------------------------

NEGATION = [
    case("no", "No pleural effusion.", {}),
    case("no-then-positive", "There is no pleural effusion. A 5 mm nodule in the LUL.", {"nodule": ["lul"]}),
    case("list-under-one-no", "No nodule, mass, or consolidation.", {}),
    case("list-under-one-no-long", "No pulmonary nodule, mass, consolidation, pleural effusion or bronchiectasis.", {}),
    case("without", "The lungs are clear without consolidation or pleural effusion.", {}),
    case("negative-for", "Negative for pulmonary nodule.", {}),
    case("no-evidence-of", "No evidence of interstitial thickening or honeycombing.", {}),
    case("free-of", "Both lungs are free of consolidation.", {}),
    case("not-seen", "Pleural effusion is not seen.", {}),
    case(
        "negated-then-present-sentence",
        "No consolidation. Mild bronchiectasis in the RML.",
        {"bronchiectasis": ["rml"]},
    ),
    case(
        "but-ends-scope",
        "No pleural effusion, but there is atelectasis in the RLL.",
        {"atelectasis": ["rll"]},
    ),
    case(
        "however-ends-scope",
        "No consolidation; however, a 6 mm nodule is seen in the RML.",
        {"nodule": ["rml"]},
    ),
    case(
        "however-new-sentence",
        "No mass. However, there is bronchiectasis in the LLL.",
        {"bronchiectasis": ["lll"]},
    ),
    case(
        "but-inside-list",
        "No nodule or mass, but mild fibrosis in the right apex.",
        {"fibrosis": ["rul"]},
    ),
]

HEDGED = [
    case("probable", "Probable small consolidation in the RLL.", {"consolidation": ["rll"]}),
    case("suspicious-for", "Suspicious for a mass in the LUL.", {"mass": ["lul"]}),
    case("cannot-be-excluded", "Mild bronchiectasis in the RML cannot be excluded.", {"bronchiectasis": ["rml"]}),
    case("r/o", "Faint opacity in the RUL, r/o GGO.", {"ggo": ["rul"]}),
    case("likely", "Subsegmental opacity in the LLL, likely atelectasis.", {"atelectasis": ["lll"]}),
    case("suggestive-of", "Findings suggestive of fibrosis in both lower lobes.", {"fibrosis": ["bll"]}),
    case(
        "ddx",
        "Nodular opacity in the RUL, DDx: nodule vs. focal consolidation.",
        {"nodule": ["rul"], "consolidation": ["rul"]},
    ),
    case(
        "appear-to-represent",
        "Linear opacities in the left lower lobe that appear to represent scarring.",
        {"fibrosis": ["lll"]},
    ),
    case("thought-to-represent", "Linear opacity in the RLL, thought to represent scarring.", {"fibrosis": ["rll"]}),
    case("no-x-to-represent-y", "No focal opacity to represent consolidation.", {}),
    case("not-thought-to-represent", "Opacity in the RLL, not thought to represent consolidation.", {}),
]

UNLIKELY = [
    case("less-likely", "Linear opacity in the RML; consolidation is less likely.", {}),
    case(
        "not-favored",
        "Opacity in the LLL, favored to be atelectasis; mass is not favored.",
        {"atelectasis": ["lll"]},
    ),
    case("unlikely", "Fibrosis is unlikely.", {}),
]

RESOLVED = [
    case("disappeared", "The previously noted nodule in the RUL has disappeared.", {}),
    case("no-longer-seen", "Previously seen consolidation in the LLL is no longer seen.", {}),
    case("interval-resolution", "Interval resolution of the right pleural effusion.", {}),
    case("resolved", "The ground-glass opacity in the RUL has resolved.", {}),
    case(
        "resolved-and-new",
        "Previously noted GGO in the RUL has resolved. New 4 mm nodule in the LLL.",
        {"nodule": ["lll"]},
    ),
    case(
        "resolved-in-one-lobe",
        "The RUL nodule has resolved; the LLL nodule is unchanged.",
        {"nodule": ["lll"]},
    ),
    # comparison wording that is not a negation or resolution of the current finding
    case("previously-noted-unchanged", "Previously noted nodule in the RUL is unchanged.", {"nodule": ["rul"]}),
    case("no-interval-change", "No interval change in the RUL nodule.", {"nodule": ["rul"]}),
    case("no-new-nodule", "No new nodule.", {}),
    case(
        "not-seen-on-prior",
        "A 6 mm nodule in the RUL, not seen on the prior study.",
        {"nodule": ["rul"]},
    ),
    case(
        "listed-findings-have-cleared",
        "Consolidation, atelectasis and pleural effusion at the left base have cleared since the prior study.",
        {},
    ),
    case(
        "not-visible-on-prior",
        "Consolidation in the LLL, not visible on prior.",
        {"consolidation": ["lll"]},
    ),
    case(
        "history-resected-cancer",
        "HISTORY: Lung cancer s/p RUL lobectomy.\nFINDINGS: No recurrent mass. Postoperative change in the right "
        "hemithorax.",
        {},
    ),
]

NOT_OF_THIS_EXAM = [
    case("indication-only", "INDICATION: Evaluate for pulmonary nodule.\nFINDINGS: The lungs are clear.", {}),
    case("to-evaluate-for", "CT requested to evaluate for nodule. The lungs are clear.", {}),
    case(
        "recommendation-only",
        "FINDINGS: Mild atelectasis in the RLL.\nRECOMMENDATION: Follow-up CT in 12 months to evaluate for nodule.",
        {"atelectasis": ["rll"]},
    ),
    case("question", "Clinical question: lung mass?\nFINDINGS: No mass. No pleural effusion.", {}),
    case(
        "work-up-of-a-possible-finding",
        "Left upper lobe nodule. CT is recommended to evaluate for possible malignancy.",
        {"nodule": ["lul"]},
    ),
    case("artifact", "A faint nodular opacity over the right midlung is artifactual.", {}),
    case(
        "nipple-shadows",
        "Symmetric nodular opacities at both lung bases, compatible with nipple shadows.",
        {},
    ),
    case(
        "not-a-nipple-shadow",
        "A 6 mm nodule in the right lower lobe, separate from the nipple shadows.",
        {"nodule": ["rll"]},
    ),
    case("likely-nipple-shadows", "Bilateral nodular opacities likely represent nipple shadows.", {}),
    case("a-modality-that-detects", "No nodule is seen; CT is useful for detecting small nodules.", {}),
    case("granulomas-of-the-spleen", "The lungs are clear. Calcified splenic granulomas.", {}),
]


@pytest.mark.parametrize(("text", "expected"), NEGATION + HEDGED + UNLIKELY + RESOLVED + NOT_OF_THIS_EXAM)
def test_presence(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- rules 2-9: locations -----------------------------------------------------------------

LOCATIONS = [
    # rule 2: across sentences, lists, headings
    case("same-sentence", "A 7 mm nodule in the RUL.", {"nodule": ["rul"]}),
    case("pronoun-next-sentence", "A 7 mm nodule is noted. It is located in the RUL.", {"nodule": ["rul"]}),
    case("list-of-lobes", "Nodules in RUL and LLL.", {"nodule": ["rul", "lll"]}),
    case(
        "list-of-spelled-lobes",
        "Multiple small nodules in the right upper, right middle and left lower lobes.",
        {"nodule": ["rul", "rml", "lll"]},
    ),
    case("lobe-and-lingula", "Linear atelectasis in the RML and lingula.", {"atelectasis": ["rml", "lingula"]}),
    case("heading-inline", "RLL: small nodule.", {"nodule": ["rll"]}),
    case(
        "heading-with-dash-items",
        "Right lower lobe:\n- 5 mm nodule\n- mild bronchiectasis",
        {"nodule": ["rll"], "bronchiectasis": ["rll"]},
    ),
    case(
        "two-headings",
        "LUL:\n- ground-glass opacity\nRLL:\n- consolidation",
        {"ggo": ["lul"], "consolidation": ["rll"]},
    ),
    case(
        "same-lobe",
        "A 6 mm nodule in the LLL. Mild bronchiectasis is seen in the same lobe.",
        {"nodule": ["lll"], "bronchiectasis": ["lll"]},
    ),
    case(
        "heading-with-negated-lobe",
        "Left lower lobe: no nodule.\nRight upper lobe: 4 mm nodule.",
        {"nodule": ["rul"]},
    ),
    case(
        "list-then-largest",
        "Nodules in the RUL, RML, and LLL, the largest 6 mm in the RUL.",
        {"nodule": ["rul", "rml", "lll"]},
    ),
    case(
        "two-lesions-two-lobes",
        "Consolidation in the RLL. Small nodule in the LUL.",
        {"consolidation": ["rll"], "nodule": ["lul"]},
    ),
    # rule 3: most specific location
    case("lobe-not-lung", "Right lung: 5 mm nodule in the RUL.", {"nodule": ["rul"]}),
    case("abbrev-rt-lobe", "Rt. upper lobe nodule.", {"nodule": ["rul"]}),
    case("abbrev-lt-lobe", "Lt. lower lobe consolidation.", {"consolidation": ["lll"]}),
    # rule 4: bilateral
    case("bilateral-lower-lobes", "Bilateral lower lobe atelectasis.", {"atelectasis": ["bll"]}),
    case("both-lower-lobes", "Atelectasis in both lower lobes.", {"atelectasis": ["rll", "lll"]}),
    case("bll-abbrev", "BLL bronchiectasis.", {"bronchiectasis": ["bll"]}),
    case("bul-abbrev", "BUL fibrosis.", {"fibrosis": ["bul"]}),
    case("both-upper-lobes", "Ground-glass opacities in both upper lobes.", {"ggo": ["bul"]}),
    case(
        "both-lungs",
        "Interlobular septal thickening in both lungs.",
        {"interstitial_thickening": ["right_lung", "left_lung"]},
    ),
    # rule 5: segments
    case("superior-segment-rll", "Nodule in the superior segment of the RLL.", {"nodule": ["rll"]}),
    case("apicoposterior-lul", "Consolidation in the apicoposterior segment of the LUL.", {"consolidation": ["lul"]}),
    case("lingular-segment", "Atelectasis in the lingular segment.", {"atelectasis": ["lingula"]}),
    case(
        "posterior-basal-rll",
        "A 4 mm nodule in the posterior basal segment of the right lower lobe.",
        {"nodule": ["rll"]},
    ),
    case(
        "lateral-segment-rml",
        "Subsegmental atelectasis in the lateral segment of the RML.",
        {"atelectasis": ["rml"]},
    ),
    # rule 9: zone words
    case("right-basilar", "Right basilar atelectasis.", {"atelectasis": ["rll"]}),
    case("left-basilar", "Left basilar atelectasis.", {"atelectasis": ["lll"]}),
    case("right-base", "Atelectasis at the right base.", {"atelectasis": ["rll"]}),
    case("bibasilar", "Bibasilar atelectasis.", {"atelectasis": ["bll"]}),
    case("both-bases", "Atelectasis at both bases.", {"atelectasis": ["bll"]}),
    case(
        "both-lung-bases",
        "Subsegmental atelectasis at both lung bases.",
        {"atelectasis": ["bll"]},
    ),
    case("right-apical", "Right apical scarring.", {"fibrosis": ["rul"]}),
    case("biapical", "Biapical fibrotic change.", {"fibrosis": ["bul"]}),
    case("right-lung", "Patchy consolidation in the right lung.", {"consolidation": ["right_lung"]}),
    case("right-perihilar", "Right perihilar ground-glass opacity.", {"ggo": ["right_lung"]}),
    case("left-sided", "Left-sided consolidation.", {"consolidation": ["left_lung"]}),
    case("left-hemithorax", "Passive atelectasis in the left hemithorax.", {"atelectasis": ["left_lung"]}),
    # rule 8: subpleural
    case("subpleural", "Subpleural nodule in the LLL.", {"nodule": ["lll", "pleura"]}),
    case("pleural-based", "Pleural-based nodule in the RUL.", {"nodule": ["rul", "pleura"]}),
    case(
        "subpleural-bilateral",
        "Subpleural reticulation in both lower lobes.",
        {"interstitial_thickening": ["bll", "pleura"]},
    ),
    # rule 7: a location stated only as negative is not taken
    case("negated-location", "Nodule in RUL; no nodule in the left lung.", {"nodule": ["rul"]}),
    case(
        "negated-lobe-same-lesion",
        "Consolidation in the RLL, without consolidation in the LLL.",
        {"consolidation": ["rll"]},
    ),
    # lists, coordination and phrases of findings that are not keys
    case(
        "coordinated-with-modifier",
        "Consolidation and some atelectasis in the left lower lobe.",
        {"consolidation": ["lll"], "atelectasis": ["lll"]},
    ),
    case(
        "location-of-a-finding-that-is-no-key",
        "Patchy right basilar airspace opacity and linear left basilar atelectasis.",
        {"atelectasis": ["lll"]},
    ),
    case(
        "side-comparison-stays-with-its-lesion",
        "Bilateral pleural effusions, right greater than left, with left lower lobe atelectasis.",
        {"pleural_effusion": [], "atelectasis": ["lll"]},
    ),
    case(
        "two-lesions-of-a-lobe-then-a-third",
        "Chronic fibrosis and partial collapse of the right upper lobe with right apical pleural thickening.",
        {"fibrosis": ["rul"], "atelectasis": ["rul"], "pleural_thickening": []},
    ),
    case(
        "explained-by-next-sentence",
        "Hazy opacity in the left upper lobe. This likely represents atelectasis.",
        {"atelectasis": ["lul"]},
    ),
    case("next-sentence-not-an-explanation", "Left upper lobe opacity. Also a small nodule.", {"nodule": []}),
    case(
        "location-of-a-later-finding-that-is-no-key",
        "Small right lower lobe nodule and some left lower lobe infiltrate.",
        {"nodule": ["rll"]},
    ),
    case(
        "location-after-the-lesion-still-counts",
        "Subsegmental atelectasis in the left lower lobe, measuring 2 cm.",
        {"atelectasis": ["lll"]},
    ),
    case(
        "locations-joined-by-a-hedge",
        "Right upper lobe and possibly left lower lobe nodules.",
        {"nodule": ["rul", "lll"]},
    ),
    case("korean-conjunction", "RUL과 LLL에 결절이 보임.", {"nodule": ["rul", "lll"]}),
    case(
        "comma-list-is-no-coordination",
        "Right middle lobe atelectasis, scattered nodules.",
        {"atelectasis": ["rml"], "nodule": []},
    ),
    case("side-comparison-adds-no-lungs", "Bibasilar atelectasis, left greater than right.", {"atelectasis": ["bll"]}),
    case(
        "rest-of-the-lungs-clear",
        "Small calcified granuloma in the right upper lobe with the remainder of the lungs clear.",
        {"nodule": ["rul"]},
    ),
    case("medial-base", "Calcified granuloma in the right medial lung base.", {"nodule": ["rll"]}),
    case("suprahilar-lung", "Small nodule in the right suprahilar lung.", {"nodule": ["right_lung"]}),
    case("the-bases", "Linear atelectasis in the bases.", {"atelectasis": ["bll"]}),
    # unscored locations (rule 6)
    case("effusion-side", "Small right pleural effusion.", {"pleural_effusion": []}),
    case("pleural-plaque", "Calcified pleural plaques in the left hemithorax.", {"pleural_thickening": []}),
]


@pytest.mark.parametrize(("text", "expected"), LOCATIONS)
def test_locations(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- lesion keys and their variants (table of section 2) ----------------------------------

LESIONS = [
    case(
        "part-solid",
        "Part-solid nodule in the RUL.",
        {"ggo": ["rul"], "nodule": ["rul"]},
    ),
    case(
        "subsolid-with-solid-component",
        "Subsolid nodule with a 4 mm solid component in the RLL.",
        {"ggo": ["rll"], "nodule": ["rll"]},
    ),
    case("pure-ggn", "Pure ground-glass nodule in the LUL.", {"ggo": ["lul"]}),
    case("ggn-abbrev", "8 mm GGN in the RML.", {"ggo": ["rml"]}),
    case("tree-in-bud", "Tree-in-bud nodules in the RLL.", {"nodule": ["rll"]}),
    case("calcified-granuloma", "Calcified granuloma in the RUL.", {"nodule": ["rul"]}),
    case("honeycombing", "Honeycombing in both lower lobes.", {"fibrosis": ["bll"]}),
    case("uip", "UIP pattern with basal predominance in both lower lobes.", {"fibrosis": ["bll"]}),
    case("traction-bronchiectasis", "Traction bronchiectasis in the LLL.", {"bronchiectasis": ["lll"]}),
    case("peribronchial", "Peribronchial thickening in the RLL.", {"bronchial_wall_thickening": ["rll"]}),
    case("collapse", "Collapse of the RML.", {"atelectasis": ["rml"]}),
    case("hydrothorax", "Moderate left hydrothorax.", {"pleural_effusion": []}),
    case("mass", "3.5 cm spiculated mass in the LUL.", {"mass": ["lul"]}),
    case("airspace-consolidation", "Airspace consolidation in the lingula.", {"consolidation": ["lingula"]}),
]


@pytest.mark.parametrize(("text", "expected"), LESIONS)
def test_lesion_variants(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- telegraphic Korean / mixed and typos -------------------------------------------------

KOREAN_AND_TYPOS = [
    case("ko-lobe-nodule", "우상엽 결절.", {"nodule": ["rul"]}),
    case("ko-no-effusion", "흉수 없음.", {}),
    case("ko-lines", "우상엽 결절\n흉수 없음", {"nodule": ["rul"]}),
    case("ko-lll-atelectasis", "좌하엽 무기폐", {"atelectasis": ["lll"]}),
    case("ko-bll-bronchiectasis", "양하엽 기관지확장증", {"bronchiectasis": ["bll"]}),
    case("ko-mixed-english-lobe", "RUL에 5mm 결절 있음.", {"nodule": ["rul"]}),
    case(
        "ko-telegraphic-report",
        "[소견]\n- 우상엽 6mm 결절\n- 좌하엽 무기폐\n- 흉수 없음\n[결론]\n1. RUL nodule\n2. LLL atelectasis",
        {"nodule": ["rul"], "atelectasis": ["lll"]},
    ),
    case("typo-atelectsis", "Mild atelectsis in the RLL.", {"atelectasis": ["rll"]}),
    case("typo-bronchiectsis", "Bronchiectsis in the LLL.", {"bronchiectasis": ["lll"]}),
    case("typo-consolidaton", "Consolidaton in the RUL.", {"consolidation": ["rul"]}),
    case("typo-under-negation", "No pleural efusion.", {}),
]


@pytest.mark.parametrize(("text", "expected"), KOREAN_AND_TYPOS)
def test_korean_and_typos(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- whole reports -------------------------------------------------------------------------

US_REPORT = """EXAM: CT chest with contrast
INDICATION: Cough. Evaluate for pneumonia or mass.
COMPARISON: CT chest 2023-05-02.
FINDINGS:
Lungs: A 9 mm part-solid nodule in the apicoposterior segment of the LUL, previously 7 mm.
There is patchy consolidation in the superior segment of the RLL. Subsegmental atelectasis
at both lung bases. The previously noted RML nodule is no longer seen.
Pleura: Small right pleural effusion. No pneumothorax.
Airways: Mild bronchial wall thickening in both lower lobes. No bronchiectasis.
IMPRESSION:
1. Growing part-solid nodule in the LUL.
2. RLL consolidation, likely pneumonia. No mass.
RECOMMENDATION: Follow-up CT in 3 months to evaluate for interstitial thickening.
"""

KOREAN_REPORT = """[임상정보] r/o pneumonia
[소견]
Rt. lower lobe: consolidation, 흉수 동반.
Lt. upper lobe 6mm 결절 - subpleural.
기관지확장증 없음.
[결론]
1. RLL pneumonia with consolidation
2. LUL subpleural nodule
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        case(
            "us-academic",
            US_REPORT,
            {
                "nodule": ["lul"],
                "ggo": ["lul"],
                "consolidation": ["rll"],
                "atelectasis": ["bll"],
                "pleural_effusion": [],
                "bronchial_wall_thickening": ["bll"],
            },
        ),
        case(
            "korean-telegraphic",
            KOREAN_REPORT,
            {"consolidation": ["rll"], "pleural_effusion": [], "nodule": ["lul", "pleura"]},
        ),
    ],
)
def test_whole_reports(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- mention-level assertions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "surface", "certainty"),
    [
        pytest.param("No pleural effusion.", "pleural_effusion", "pleural effusion", Certainty.NEGATED, id="negated"),
        pytest.param("Probable consolidation in the RLL.", "consolidation", "consolidation", Certainty.HEDGED,
                     id="hedged"),
        pytest.param("Consolidation is less likely.", "consolidation", "Consolidation", Certainty.UNLIKELY,
                     id="unlikely"),
        pytest.param("The previously noted nodule has disappeared.", "nodule", "nodule", Certainty.RESOLVED,
                     id="resolved"),
        pytest.param("Follow-up CT is recommended to evaluate for nodule.", "nodule", "nodule",
                     Certainty.HYPOTHETICAL, id="recommendation"),
        pytest.param("A 5 mm nodule in the RUL.", "nodule", "nodule", Certainty.PRESENT, id="present"),
        pytest.param("No nodule, mass, or consolidation.", "consolidation", "consolidation", Certainty.NEGATED,
                     id="negated-last-in-list"),
        pytest.param("No pleural effusion, but there is atelectasis in the RLL.", "atelectasis", "atelectasis",
                     Certainty.PRESENT, id="after-but"),
    ],
)
def test_mention_certainty_and_offsets(
    pipeline: Pipeline, text: str, key: str, surface: str, certainty: Certainty
) -> None:
    assert_single_mention(_extract(pipeline, text), key, surface, certainty)


def test_location_mention_offsets_and_relation(pipeline: Pipeline) -> None:
    text = "A 7 mm nodule is noted. It is located in the RUL."
    result = _extract(pipeline, text)
    nodule = next(m for m in result.mentions if m.key == "nodule")
    rul = next(m for m in result.mentions if m.key == "rul")
    assert (nodule.start, nodule.end, nodule.text) == (7, 13, "nodule")
    assert (rul.start, rul.end, rul.text) == (45, 48, "RUL")
    assert nodule.related == ["rul"]
    assert nodule.sentence != rul.sentence


def test_korean_mention_offsets(pipeline: Pipeline) -> None:
    text = "우상엽 결절\n흉수 없음"
    result = _extract(pipeline, text)
    by_key = {m.key: m for m in result.mentions}
    assert (by_key["nodule"].start, by_key["nodule"].end) == (4, 6)
    assert (by_key["rul"].start, by_key["rul"].end) == (0, 3)
    assert (by_key["pleural_effusion"].start, by_key["pleural_effusion"].end) == (7, 9)
    assert by_key["pleural_effusion"].certainty == Certainty.NEGATED
    assert by_key["nodule"].certainty == Certainty.PRESENT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Small right pleural effusion. Left nodule.", {"pleural_effusion": [], "nodule": ["left_lung"]},
                     id="side-before-lesion"),
        pytest.param("Calcified granuloma in the right lung base. The lungs are otherwise clear.",
                     {"nodule": ["rll"]}, id="zone-does-not-join-next-sentence"),
        pytest.param("Nodular opacity on the left. No effusion.", {"nodule": ["left_lung"]}, id="on-the-left"),
        pytest.param("Left retrocardiac atelectasis.", {"atelectasis": ["lll"]}, id="retrocardiac"),
    ],
)
def test_sides_from_radiograph_wording(text: str, expected: dict[str, list[str]]) -> None:
    result = build_pipeline(PipelineConfig(modality="chest_ct")).extract(Report(id="x", text=text))
    assert result.findings_json() == expected
    assert all(result.report.text[m.start : m.end] == m.text for m in result.mentions)


def test_relation_grammar_words_must_be_single_words() -> None:
    """A multi-word entry would never match the token-by-token comparison: loading the rules says so."""
    from omop_nlp.relations.locations import LesionLocationMapper

    grammar = RULES.relation_grammar.model_copy(update={"location_list": ["and", "as well as"]})
    with pytest.raises(ValueError, match=r"relation_grammar\.location_list: 'as well as' is not a single word"):
        LesionLocationMapper(RULES.model_copy(update={"relation_grammar": grammar}))
