"""``run --cdm-facts``: CONDITION_OCCURRENCE / OBSERVATION / EPISODE rows for ATLAS, and ``unload``."""

from __future__ import annotations

from datetime import date

BRAIN = ("MRI brain with contrast.\nIMPRESSION:\nInterval increase in size of the enhancing mass in the left temporal "
         "lobe, consistent with progression of known glioblastoma. Small lesion in the right frontal lobe, "
         "possible metastasis.")  # fmt: skip
CHEST = "CT chest. Solid nodule in both lower lobes. Possible consolidation in the right middle lobe."
NEGATIVE = "MRI brain. No acute infarct. No hemorrhage."


def _concept(cdm, vocabulary: str, code: str) -> int:
    from sqlalchemy import select

    c = cdm.tables.concept
    with cdm.engine.connect() as conn:
        return conn.execute(select(c.c.concept_id).where(c.c.vocabulary_id == vocabulary,
                                                         c.c.concept_code == code)).scalar_one()  # fmt: skip


def _site_rows(cdm) -> None:
    """Rows the site's ETL wrote before us: ids 1..3 must stay untouched and never be reused."""
    with cdm.engine.begin() as conn:
        conn.execute(cdm.tables.person.insert(), [{"person_id": p, "gender_concept_id": 0, "year_of_birth": 1960,
                                                   "race_concept_id": 0, "ethnicity_concept_id": 0} for p in (1, 2)])
        conn.execute(cdm.tables.condition_occurrence.insert(), [
            {"condition_occurrence_id": i, "person_id": 1, "condition_concept_id": 201826,
             "condition_start_date": date(2020, 1, 1), "condition_type_concept_id": 32817} for i in (1, 2, 3)])
        conn.execute(cdm.tables.observation.insert(), [
            {"observation_id": 7, "person_id": 1, "observation_concept_id": 4275495,
             "observation_date": date(2020, 1, 1), "observation_type_concept_id": 32817}])  # fmt: skip


def test_cdm_facts_rows_and_unload(any_cdm, run_cli) -> None:
    _site_rows(any_cdm)
    any_cdm.add_notes([BRAIN, CHEST, NEGATIVE], person_id=2)
    summary = any_cdm.run(cdm_facts=True)
    assert summary.facts == {"condition_occurrence": 1, "observation": 3, "episode": 1, "episode_event": 1}

    (condition,) = any_cdm.rows("condition_occurrence", person_id=2)
    assert condition["condition_concept_id"] == _concept(any_cdm, "SNOMED", "393564001")  # glioma
    assert (condition["condition_type_concept_id"], condition["condition_source_value"]) == (32858, "glioma")
    assert condition["condition_start_date"] == date(2025, 1, 2) and condition["condition_occurrence_id"] == 4

    observations = {(r["observation_source_value"], r["qualifier_source_value"]): r
                    for r in any_cdm.rows("observation", person_id=2)}  # fmt: skip
    assert set(observations) == {("metastasis", None), ("nodule", "bll"), ("consolidation", "rml")}
    hedged_dx = observations[("metastasis", None)]
    assert hedged_dx["observation_concept_id"] == _concept(any_cdm, "SNOMED", "94225005")
    assert (hedged_dx["value_as_string"], hedged_dx["observation_type_concept_id"]) == ("hedged", 32858)
    nodule = observations[("nodule", "bll")]
    assert nodule["observation_concept_id"] == 37206719 and nodule["value_as_string"] == "present"
    assert nodule["qualifier_concept_id"] == _concept(any_cdm, "SNOMED", "90572001")
    assert min(r["observation_id"] for r in observations.values()) == 8  # after the site's observation 7

    (episode,) = any_cdm.rows("episode")
    assert episode["episode_concept_id"] == 32949  # Progression
    assert episode["episode_object_concept_id"] == condition["condition_concept_id"]
    assert (episode["episode_type_concept_id"], episode["episode_source_value"]) == (32858, "glioma:progression")
    (event,) = any_cdm.rows("episode_event", order_by="episode_id")
    assert (event["episode_id"], event["event_id"]) == (episode["episode_id"], condition["condition_occurrence_id"])
    assert event["episode_event_field_concept_id"] == 1147127

    # Reprocessing replaces the facts (same content, fresh ids), never adds to them.
    again = any_cdm.run(cdm_facts=True, reprocess=True)
    assert again.facts == summary.facts
    assert len(any_cdm.rows("condition_occurrence")) == 4
    assert len(any_cdm.rows("episode_event", order_by="event_id")) == 1

    schemas = ["--cdm-schema", "cdm", "--results-schema", "results"] if any_cdm.cdm_schema else []
    code, out, _ = run_cli("unload", "--cdm", any_cdm.url, "--nlp-system", summary.nlp_system, *schemas)
    assert code == 0
    assert "condition_occurrence 1" in out and "episode 1" in out and "omop_nlp_ledger 3" in out
    assert [r["condition_occurrence_id"] for r in any_cdm.rows("condition_occurrence")] == [1, 2, 3]
    assert [r["observation_id"] for r in any_cdm.rows("observation")] == [7]
    assert not any_cdm.rows("episode") and not any_cdm.rows("episode_event", order_by="event_id")
    assert not any_cdm.note_nlp() and not any_cdm.ledger() and not any_cdm.rows("fact", order_by="row_id")


def test_episode_improvement_uses_partial_remission(any_cdm) -> None:
    any_cdm.add_notes(["MRI brain. Decreased size of the enhancing glioblastoma after treatment."])
    any_cdm.run(cdm_facts=True)
    (episode,) = any_cdm.rows("episode")
    assert episode["episode_concept_id"] == 32947 and episode["episode_source_value"] == "glioma:improvement"


def test_a_run_without_cdm_facts_removes_facts_of_a_changed_note(any_cdm) -> None:
    (note_id,) = any_cdm.add_notes([BRAIN])
    any_cdm.run(cdm_facts=True)
    assert len(any_cdm.rows("condition_occurrence")) == 1
    with any_cdm.engine.begin() as conn:
        note = any_cdm.tables.note
        conn.execute(note.update().where(note.c.note_id == note_id).values(note_text=NEGATIVE))
    any_cdm.run()
    assert not any_cdm.rows("condition_occurrence") and not any_cdm.rows("episode")


def test_known_tumour_under_follow_up_gets_its_condition_and_episode(any_cdm) -> None:
    any_cdm.add_notes(["EXAM: MRI brain.\nHISTORY: Glioblastoma s/p resection.\n"
                       "FINDINGS: The enhancing tumor has increased in size.\nIMPRESSION: Progression."])
    any_cdm.run(cdm_facts=True)
    (condition,) = any_cdm.rows("condition_occurrence")
    (episode,) = any_cdm.rows("episode")
    assert episode["episode_concept_id"] == 32949
    assert episode["episode_object_concept_id"] == condition["condition_concept_id"]
