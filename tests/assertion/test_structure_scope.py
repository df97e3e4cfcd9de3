"""Template lines and line-bound assertion scope (issue 13 item 2). Reports written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

CASES = [
    ("unticked-box", "[ ] Pleural effusion\n[ ] Consolidation\n[x] Atelectasis, left base", {"atelectasis": ["lll"]}),
    ("unticked-box-glyph", "☐ nodule  ☐ mass", {}),
    ("blank-field", "Nodule: ___\nEffusion: ___", {}),
    ("blank-field-then-filled", "Consolidation: ____\nNodule: RLL, 7 mm", {"nodule": ["rll"]}),
    ("field-not-applicable", "Dominant mass: N/A", {}),
    ("field-answered-no", "Emphysema: mild. Bronchiectasis: no. Consolidation: yes, RML.", {"consolidation": ["rml"]}),
    ("ticked-option", "Pleural effusion: [ ] none [x] trace [ ] large", {"pleural_effusion": []}),
    ("ticked-none", "Pleural effusion: [x] none [ ] trace", {}),
    ("unticked-field", "Atelectasis: [ ]", {}),
    ("non-target-is-no-negation", "Non-target lesions: moderate left pleural effusion.", {"pleural_effusion": []}),
    ("negation-stops-at-line", "No pleural effusion\nSmall nodule in the lingula", {"nodule": ["lingula"]}),
    ("negation-stops-at-item", "- no consolidation\n- 4 mm RML nodule", {"nodule": ["rml"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_template_and_line_scope(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected


HISTORY = [
    ("history-then-comma-finding", "History of colon cancer, s/p hemicolectomy, 4 mm nodule in the RML.",
     {"nodule": ["rml"]}),
    ("history-then-with", "Prior history of empyema, with a new small right pleural effusion.",
     {"pleural_effusion": []}),
    ("history-then-next-sentence", "History of sarcoidosis, s/p steroids. Perilymphatic nodules in both upper lobes.",
     {"nodule": ["bul"]}),
    ("history-keeps-its-own-finding", "History of LLL consolidation. Lungs now clear.", {}),
    ("arrow-rule-out-keeps-the-finding", "RML tree-in-bud nodules -> r/o atypical infection.", {"nodule": ["rml"]}),
    ("no-longer-visualized", "The 4 mm LLL nodule is no longer visualized.", {}),
    ("ggn-spelled-out", "Scattered nodules of ground-glass attenuation in the RUL.", {"ggo": ["rul"]}),
    ("replaced-by-scar", "The previously seen RUL mass has been replaced by linear scarring in the RUL.",
     {"fibrosis": ["rul"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), HISTORY, ids=[c[0] for c in HISTORY])
def test_history_scope(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
