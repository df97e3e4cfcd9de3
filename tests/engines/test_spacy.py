"""The engine as a spaCy component: spans, entities and custom attributes; found by entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

REPO = Path(__file__).resolve().parents[2]
CHEST = "FINDINGS: No pleural effusion. Probable 6 mm nodule in the right upper lobe.\nIMPRESSION: RUL nodule."


@pytest.fixture(scope="module")
def chest_nlp():
    import omop_nlp.engines.spacy  # noqa: F401  (here in-process; the entry point is tested below)

    nlp = spacy.blank("en")
    nlp.add_pipe("omop_nlp", config={"modality": "chest_ct"})
    return nlp


def test_mentions_become_spans_with_the_engines_attributes(chest_nlp) -> None:
    doc = chest_nlp(CHEST)
    spans = list(doc.spans["omop_nlp"])
    assert [s.label_ for s in spans] == ["pleural_effusion", "nodule", "rul", "rul", "nodule"]
    effusion, nodule, lobe, _, impression = spans
    assert (effusion.text, effusion._.omop_type, effusion._.omop_certainty) == ("pleural effusion", "lesion", "negated")
    assert (nodule.text, nodule._.omop_certainty, nodule._.omop_section) == ("nodule", "hedged", "findings")
    assert nodule._.omop_related == ["rul"]
    assert (lobe.text, lobe._.omop_type) == ("right upper lobe", "location")
    assert (impression._.omop_certainty, impression._.omop_section) == ("present", "impression")
    assert doc._.omop_modality == "chest_ct"
    assert doc._.omop_findings == {"nodule": ["rul"]}
    assert {e.label_ for e in doc.ents} == {"pleural_effusion", "nodule", "rul"}


def test_it_joins_a_pipeline_that_already_finds_entities() -> None:
    import omop_nlp.engines.spacy  # noqa: F401

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "DATE", "pattern": "2024"}])
    nlp.add_pipe("omop_nlp", config={"modality": "brain_mri", "spans_key": "radiology"})
    doc = nlp("Compared with 2024, the known glioblastoma has increased in size.")
    assert [(e.text, e.label_) for e in doc.ents] == [("2024", "DATE"), ("glioblastoma", "glioma"),
                                                      ("increased", "progression")]  # fmt: skip
    assert doc._.omop_findings == {"glioma": ["progression"]}
    assert len(list(doc.sents)) == 1


def test_unknown_modality_is_refused() -> None:
    import omop_nlp.engines.spacy  # noqa: F401

    with pytest.raises(ValueError, match="unknown modality"):
        spacy.blank("en").add_pipe("omop_nlp", config={"modality": "knee_xray"})


def test_an_empty_text_has_no_spans_and_says_why(chest_nlp) -> None:
    doc = chest_nlp("   ")
    assert list(doc.spans["omop_nlp"]) == []
    assert doc._.omop_skipped == "empty_text"


def test_spacy_finds_the_component_by_entry_point_without_an_import(tmp_path: Path) -> None:
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(REPO)], check=True, timeout=300)
    code = ("import spacy, sys\n"
            "nlp = spacy.blank('en')\n"
            "nlp.add_pipe('omop_nlp', config={'modality': 'chest_ct'})\n"
            "doc = nlp('Small nodule in the left lower lobe.')\n"
            "print(doc._.omop_findings, sys.modules['omop_nlp'].__file__)\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("{'nodule': ['lll']}")
    assert str(site) in done.stdout


def test_the_core_imports_neither_spacy_nor_plotly() -> None:
    code = ("import sys\nfrom omop_nlp.cli.app import _register_commands\n_register_commands()\n"
            "import omop_nlp.pipeline\nprint(sorted({'spacy', 'plotly'} & set(sys.modules)))\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_a_saved_pipeline_loads_with_the_component_and_its_config(chest_nlp, tmp_path: Path) -> None:
    chest_nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe_config("omop_nlp") == {"factory": "omop_nlp", "modality": "chest_ct",
                                                  "spans_key": "omop_nlp", "set_ents": True}  # fmt: skip
    assert [d._.omop_findings for d in loaded.pipe(["Left lower lobe atelectasis.", "No nodule."])] == [
        {"atelectasis": ["lll"]}, {}]  # fmt: skip
