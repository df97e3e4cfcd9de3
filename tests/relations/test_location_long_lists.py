"""Lesion -> location over long lists of places: each run of places is given once, whatever the list's length
(the adversarial note of tests/omop/test_run_faults.py lists 9,000 places; benchmarks/bench_long_notes.py times
such notes). Every report here is written for this file."""

from __future__ import annotations

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


def places(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return {k: f.related for k, f in pipeline.extract(Report("t", text, "chest_ct")).findings.items()}


def test_a_long_list_of_places_after_one_lesion_gives_it_every_place(pipeline: Pipeline) -> None:
    text = "CT chest. Nodules in " + "the right upper lobe, the left lower lobe, " * 400 + "and the lingula."
    assert places(pipeline, text) == {"nodule": ["lingula", "lll", "rul"]}


def test_a_long_list_of_places_before_one_lesion_gives_it_every_place(pipeline: Pipeline) -> None:
    text = "CT chest. " + "right upper lobe and left lower lobe and " * 400 + "lingular nodules."
    assert places(pipeline, text) == {"nodule": ["lingula", "lll", "rul"]}


def test_a_borrowed_place_gives_way_to_every_run_placed_after_the_lesion(pipeline: Pipeline) -> None:
    # the lower lobe heads the pneumonia (no key); the atelectasis names places of its own, run after run
    text = "CT chest. Left lower lobe pneumonia and atelectasis in the right middle lobe, then in the lingula, " \
           "then in the right upper lobe."
    assert places(pipeline, text) == {"atelectasis": ["lingula", "rml", "rul"]}


def test_a_borrowed_place_stays_where_the_lesion_names_none(pipeline: Pipeline) -> None:
    assert places(pipeline, "CT chest. Left lower lobe pneumonia and atelectasis.") == {"atelectasis": ["lll"]}


def test_a_distribution_after_later_lesions_places_the_earlier_unplaced_ones(pipeline: Pipeline) -> None:
    text = "CT chest. Bilateral ground-glass opacities with consolidation, mainly in the lower lobes, " \
           "also in the lingula."
    assert places(pipeline, text) == {"ggo": ["bll", "lingula"], "consolidation": ["bll", "lingula"]}
