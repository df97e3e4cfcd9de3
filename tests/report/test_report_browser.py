"""The report in a real browser (Debian's chromium via Playwright): offline, complete, and reviewable."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

import pytest

from .helpers import DEMO_NOTES, extract, omop_nlp, report

pytestmark = pytest.mark.browser

LOBES = {"rul", "rml", "rll", "lul", "lingula", "lll"}
BILATERAL = {"bul": ("rul", "lul"), "bll": ("rll", "lll")}
MALIGNANT = {"glioma", "lymphoma", "metastasis"}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _open(page, report_path: Path, fragment: str = "#summary") -> list[str]:
    """Opens the report; returns every URL the page requested."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_path.as_uri() + fragment)
    page.wait_for_load_state("load")
    return requests


def test_report_opens_with_no_network_request(page, demo_report: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests = _open(page, demo_report, "#time")
    page.wait_for_selector("#sankey svg")
    assert requests == [demo_report.as_uri() + "#time"] or set(requests) == {demo_report.as_uri()}
    assert errors == []


def test_every_mention_is_highlighted_once(page, demo_report: Path, demo_predictions: Path) -> None:
    _open(page, demo_report, "#notes")
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('article.note')).map(a => [
        a.dataset.noteId,
        Array.from(a.querySelectorAll('mark.m')).flatMap(m => m.dataset.m.split(' ').map(Number))])""")
    predicted = {line["id"]: len(line["mentions"]) for line in _lines(demo_predictions)}
    assert {note_id for note_id, _ in shown} == set(predicted)
    for note_id, indexes in shown:
        assert sorted(indexes) == list(range(predicted[note_id])), note_id
    assert sum(len(indexes) for _, indexes in shown) == sum(predicted.values())


def test_clicking_a_mention_shows_what_decided_it_and_its_relations(page, demo_report: Path) -> None:
    _open(page, demo_report, "#notes")
    page.goto(demo_report.as_uri() + f"#note/{_note_index(page, 'demo-001')}")
    nodule = page.locator("article.note.current mark.m", has_text="solid nodule").first
    nodule.click()
    detail = page.locator("#mention-detail").text_content()
    for part in ("nodule (lesion)", "certainty: present", "section: findings", "concept: SNOMED", "decided by: rules",
                 "related: rul"):  # fmt: skip
        assert part in detail
    related = page.locator("article.note.current mark.m.related").all_text_contents()
    assert related and all("RUL" in text.upper() for text in related)
    assert json.loads(page.locator("#findings-json").text_content())["nodule"] == ["rul"]
    assert page.locator("article.note.current mark.m.c-negated", has_text="pleural effusion").count() == 1


def _lobe_counts(predictions: list[dict]) -> Counter:
    counts: Counter = Counter()
    for line in predictions:
        for m in line["mentions"]:
            if line["modality"] == "chest_ct" and m["type"] == "lesion" and m["certainty"] in ("present", "hedged"):
                for location in m["related"]:
                    counts.update(lo for lo in BILATERAL.get(location, (location,)) if lo in LOBES)
    return counts


def _transitions(notes: list[dict], predictions: list[dict]) -> Counter:
    findings = {line["id"]: line["findings"] for line in predictions}
    exams = defaultdict(list)
    for note in notes:
        if note["modality"] == "brain_mri":
            exams[note["person"]].append((note["date"], note["id"]))
    links: Counter = Counter()
    for dated in exams.values():
        dated.sort()
        for diagnosis in MALIGNANT & {k for _, i in dated for k in findings[i]}:
            states = []
            for _, note_id in dated:
                episodes = set(findings[note_id].get(diagnosis, []))
                states.append("no mention" if not episodes else episodes.pop() if len(episodes) == 1 else "mixed")
            links.update((step, a, b) for step, (a, b) in enumerate(pairwise(states)))
    return links


def test_lung_diagram_and_sankey_render_the_counts(page, demo_report: Path, demo_predictions: Path) -> None:
    predictions = _lines(demo_predictions)
    _open(page, demo_report, "#summary")
    lobes = page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll('svg.lung path.lobe'))
        .map(p => [p.dataset.key, Number(p.dataset.count)]))""")
    expected = _lobe_counts(predictions)
    assert set(lobes) == LOBES
    assert lobes == {lobe: expected[lobe] for lobe in LOBES}
    assert sum(lobes.values()) > 0

    page.goto(demo_report.as_uri() + "#time")
    page.wait_for_selector("#sankey svg .sankey-link")
    links = _transitions(_lines(DEMO_NOTES), predictions)
    assert len(links) > 3
    assert page.locator("#sankey svg .sankey-link").count() == len(links)
    drawn = page.evaluate("""() => { const d = document.getElementById('sankey').data[0];
        return d.link.source.map((s, i) => [d.node.label[s], d.node.label[d.link.target[i]], d.link.value[i]]); }""")
    assert sorted(map(tuple, drawn)) == sorted((f"exam {s + 1}: {a}", f"exam {s + 2}: {b}", n)
                                               for (s, a, b), n in links.items())  # fmt: skip
    node_labels = {t for t in page.locator("#sankey svg .node-label").all_text_contents()}
    assert node_labels == {f"exam {s + 1}: {a}" for s, a, _ in links} | {f"exam {s + 2}: {b}" for s, _, b in links}
    assert page.locator("#timeline svg .scatterlayer .point").count() > 0


def _note_index(page, note_id: str) -> int:
    return page.evaluate(f"() => Array.from(document.querySelectorAll('article.note')).findIndex("
                         f"a => a.dataset.noteId === {json.dumps(note_id)})")  # fmt: skip


def test_a_correction_by_clicking_is_in_the_downloaded_gold(page, demo_report: Path, demo_predictions: Path,
                                                            tmp_path: Path) -> None:  # fmt: skip
    _open(page, demo_report, "#notes")
    predicted = {line["id"]: line["findings"] for line in _lines(demo_predictions)}["demo-001"]
    assert "fibrosis" in predicted and "rll" not in predicted["nodule"]
    page.goto(demo_report.as_uri() + f"#note/{_note_index(page, 'demo-001')}")
    page.click(".finding[data-key=fibrosis] .remove-finding")
    page.select_option(".finding[data-key=nodule] select.add-related", "rll")
    page.reload()  # corrections live in the browser's storage
    page.wait_for_selector(".finding[data-key=nodule]")
    assert page.locator(".finding[data-key=fibrosis]").count() == 0
    assert page.locator(".finding[data-key=nodule] .chip[data-related=rll]").count() == 1
    assert page.locator("#reviewed-count").text_content() == "1"

    with page.expect_download() as download:
        page.click("#download-gold")
    gold = tmp_path / "gold.jsonl"
    download.value.save_as(gold)
    (line,) = _lines(gold)
    expected = {k: sorted(v) for k, v in predicted.items() if k != "fibrosis"}
    expected["nodule"] = sorted([*predicted["nodule"], "rll"])
    assert line["id"] == "demo-001" and line["modality"] == "chest_ct"
    assert line["findings"] == expected
    assert line["text"] == _lines(DEMO_NOTES)[0]["text"]

    done = omop_nlp("evaluate", gold, demo_predictions, "--json")
    assert done.returncode == 0, done.stderr
    chest = json.loads(done.stdout)["modalities"]["chest_ct"]
    assert chest["reports"] == 1
    assert {k: chest["entities"]["micro"][k] for k in ("tp", "fp", "fn")} == {"tp": len(expected), "fp": 1, "fn": 0}
    nodule = chest["relations"]["per_key"]["nodule"]
    assert (nodule["tp"], nodule["fp"], nodule["fn"]) == (len(predicted["nodule"]), 0, 1)


def test_note_text_is_escaped(page, tmp_path: Path) -> None:
    notes = tmp_path / "notes.jsonl"
    hostile = ('FINDINGS: A 5 mm nodule in the right upper lobe. <script>window.pwned = 1</script> '
               '<img src=x onerror="window.pwned = 2"> </script><b>bold</b>')  # fmt: skip
    notes.write_text(json.dumps({"id": "x-1", "modality": "chest_ct", "text": hostile}) + "\n", encoding="utf-8")
    out = report(extract(notes, tmp_path / "p.jsonl"), notes, tmp_path / "r.html")
    requests = _open(page, out, "#note/0")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    assert page.evaluate("() => window.pwned") is None
    assert "<script>window.pwned = 1</script>" in page.locator("article.note").inner_text()
    assert page.locator("article.note .entities img, article.note .entities b").count() == 0
    assert page.locator("article.note mark.m").count() >= 2  # nodule, right upper lobe
    assert all(url.startswith("file:") for url in requests)
    assert dialogs == []


def test_episodes_are_corrected_like_locations(page, demo_report: Path, demo_predictions: Path) -> None:
    predicted = {line["id"]: line["findings"] for line in _lines(demo_predictions)}["demo-008"]
    assert "metastasis" in predicted
    _open(page, demo_report, "#notes")
    page.goto(demo_report.as_uri() + f"#note/{_note_index(page, 'demo-008')}")
    for episode in predicted["metastasis"]:
        page.click(f".finding[data-key=metastasis] .chip[data-related={episode}] button")
    page.select_option(".finding[data-key=metastasis] select.add-related", "stable")
    page.select_option("#add-finding", "glioma")
    findings = json.loads(page.locator("#findings-json").text_content())
    assert findings["metastasis"] == ["stable"] and findings["glioma"] == []
    assert page.locator(".finding[data-key=glioma] .cert").text_content() == "added by reviewer"
