"""Keys with no standard concept become site-local concepts ATLAS can select (issue 12, item 7)."""

from __future__ import annotations

from omop_cdm import Cdm

from omop_nlp.omop.local_concepts import LOCAL_ID_START

CHEST = ("CT chest: patchy ground-glass opacity in the right lower lobe. Bronchial wall thickening. "
         "Bilateral pleural thickening.")  # fmt: skip
BRAIN = "MRI brain: enhancing periventricular mass, consistent with primary CNS lymphoma."


def _args(cdm: Cdm) -> list[str]:
    return [*(["--schema", cdm.cdm_schema] if cdm.cdm_schema else [])]


def test_local_concepts_are_added_once_and_used_by_note_nlp_and_facts(official_cdm: Cdm, run_cli) -> None:
    code, out, err = run_cli("init-db", official_cdm.url, *_args(official_cdm), "--local-concepts")
    assert code == 0, err
    assert "local concepts: 4 added to CONCEPT (vocabulary omop-nlp)" in out and "omop-nlp:" not in out
    local = {r["concept_code"]: r for r in official_cdm.rows("concept") if r["concept_id"] >= LOCAL_ID_START}
    assert set(local) == {"OMOP generated", "DCM:112120", "bronchial_wall_thickening", "pleural_thickening",
                          "lymphoma"}  # fmt: skip
    assert local["lymphoma"]["vocabulary_id"] == "omop-nlp" and local["lymphoma"]["standard_concept"] == "S"
    assert local["lymphoma"]["domain_id"] == "Condition" and local["lymphoma"]["concept_name"] == "Primary CNS lymphoma"
    (vocabulary,) = official_cdm.rows("vocabulary", vocabulary_id="omop-nlp")
    assert vocabulary["vocabulary_concept_id"] == local["OMOP generated"]["concept_id"]
    code, out, _ = run_cli("init-db", official_cdm.url, *_args(official_cdm), "--local-concepts")  # idempotent
    assert code == 0 and "local concepts: 0 added" in out

    official_cdm.add_notes([CHEST, BRAIN])
    summary = official_cdm.run(cdm_facts=True)
    assert summary.processed == 2
    ids = {row["lexical_variant"]: row["note_nlp_concept_id"] for row in official_cdm.note_nlp()}
    assert ids["ground-glass opacity"] == local["DCM:112120"]["concept_id"]
    assert ids["Bronchial wall thickening"] == local["bronchial_wall_thickening"]["concept_id"]
    assert ids["pleural thickening"] == local["pleural_thickening"]["concept_id"]
    (condition,) = official_cdm.rows("condition_occurrence")
    assert condition["condition_concept_id"] == local["lymphoma"]["concept_id"]
    assert {o["observation_concept_id"] for o in official_cdm.rows("observation")} >= {
        local["pleural_thickening"]["concept_id"]}
