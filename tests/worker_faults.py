"""A real worker death for the tests of ``--workers N``: a pipeline whose process exits at once (as on
a crash in native code or the OOM killer) on a marked note. Module level, so that a spawned worker
process can import it by name and build its pipeline with it."""

from __future__ import annotations

import os

POISON = "POISON"


def dies_on_poison(config):
    """The pipeline of ``config``, whose process dies on a report containing ``POISON``."""
    from omop_nlp.build import build_pipeline

    pipeline = build_pipeline(config)
    rules = pipeline.extract_rules

    def extract_rules(report, note_class_concept_id=None):
        if POISON in report.text:
            os._exit(9)
        return rules(report, note_class_concept_id)

    pipeline.extract_rules = extract_rules
    return pipeline


def cannot_build_in_a_worker(config):
    """The pipeline of ``config`` in this process; in a worker process its set-up fails, as when a
    model folder cannot be read there."""
    import multiprocessing

    from omop_nlp.build import build_pipeline

    if multiprocessing.parent_process() is not None:
        raise RuntimeError("cannot build the pipeline here")
    return build_pipeline(config)
