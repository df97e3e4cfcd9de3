"""Brain MRI of machine-translated reports (corpus README, `mtr` choices): a preference written "more favourable
to X than to Y" puts the change down to X and dismisses Y even where Y carries a describing word ("tumoral
progression"), and the Chinese "after treatment change" is a post-treatment change. Reports written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    pytest.param("History: glioblastoma of the left frontal lobe, chemoradiation ended in May.\nReport:\n"
                 "Compared with the previous exam, the enhancement at the cavity margin has increased, rCBV low.\n"
                 "Impression:\nFindings more favourable to pseudoprogression than to tumoral progression.",
                 {"glioma": []}, id="favourable-to-pseudoprogression"),
    pytest.param("History: glioblastoma, radiotherapy finished.\nCompared with the prior exam, increase of the "
                 "enhancement around the cavity.\nImpression: The findings are more favorable to radiation necrosis.",
                 {"glioma": []}, id="favorable-to-attributes"),
    pytest.param("History: glioblastoma, treated.\nCompared with the prior exam, the enhancing nodule has grown.\n"
                 "Impression: More favourable to true progression than to radiation necrosis.",
                 {"glioma": ["progression"]}, id="favourable-to-progression"),
    pytest.param("Clinical: lymphoma treated last year.\nCompared with the old film.\nDiagnostic opinion:\n"
                 "1. Right caudate new nodule, lymphoma relapse considered.\n"
                 "2. Right parietal lobe after treatment change, roughly the same as before.",
                 {"lymphoma": ["progression"]}, id="after-treatment-change"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_translated_attributions(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert _findings(pipeline, text) == expected
