"""Real-text check: the embedded pipeline on the IU chest X-ray reports (Open-i) against their MeSH labels.

The reports are read at run time from ``$OMOP_NLP_SHARED/data/iu-xray``, else ``../shared/data/iu-xray``
beside the repository (``--data DIR``); no report text is copied or printed, only ids and counts. By
default the 771 reports of ``openi-testset.txt`` are scored, ``--all`` scores all 3,851.

Scoring choices
---------------
* Report text: ``FINDINGS: <findings>`` and ``IMPRESSION: <impression>`` on separate lines, each
  section left out when its column is empty. Reports with neither are skipped (counted, not scored).
  Reports whose MeSH column is ``No Indexing`` were never coded; they are skipped too.
* Extraction: ``build_pipeline(PipelineConfig(modality="chest_ct"))``; these are chest X-rays, but the
  chest CT keys apply.
  A key is predicted when it is in ``Result.findings`` (present or hedged, per the guideline).
* Gold: a key is present when any MeSH major term of the report maps to it through ``MESH_TO_KEY``
  (the mapping of the data README).
* Headline (the decided convention of the data README): the guideline stands, and a MeSH term that
  overlaps a key only loosely (``LOOSE_MESH_TO_KEYS``: Opacity, Cicatrix, Airspace Disease, ...)
  neither rewards nor penalises a prediction of the keys it overlaps. Such a predicted key that is
  not gold is left out of the counts (not a TP, not an FP); it never makes a gold key.
  The ``strict`` view below counts it as an FP, and ``asserted only`` predicts a key only when
  one of its mentions is asserted without a hedge.
* Detection: report-level TP/FP/FN per key; P/R/F1 per key and micro-F1 over the mapped keys
  (TP/FP/FN summed over keys).
* Laterality: scored on (report, key) pairs where the key is both gold and predicted and at least
  one of the key's labels has a ``right``/``left``/``bilateral`` modifier. The gold side is the
  union of those modifiers over the key's labels: ``bilateral``, or right and left together, give
  ``bilateral``; labels without a side modifier are ignored. The predicted side comes from the
  related locations of the key's present mentions through ``LOCATION_SIDE`` (right and left
  together, or ``bul``/``bll``, give ``bilateral``; no sided location gives ``none``, a miss).
  For keys with locations these are exactly ``findings_json()[key]``; ``pleural_effusion`` has no
  locations in the findings (guideline), so its mentions' related locations are used.
  A secondary figure also takes the side implied by a lobe modifier with no side
  (``lingula`` -> left, ``middle lobe`` -> right; ``LOBE_SIDE``).

What the remaining errors are (manual review, issue 13)
-------------------------------------------------------
Every FP, FN and laterality miss of ``--all`` (3,734 scored reports) was read and put in one kind.
The engine's rules were changed only for kind (a), as general rules with tests in the project's own
sentences; (b), (c) and (d) are left as they are. Counts after the issue-13 fixes (``--all``: 74 FP,
17 FN, 27 laterality misses; test ids: 16 FP, 3 FN, 6 misses).

(a) the engine broke the guideline, fixed (tests/relations/test_location_sides.py,
    tests/assertion/test_negation_stop.py, test_explained_away.py, tests/entities/test_anatomy.py):
    3 detection errors (nodule: 2 FN, 1 FP) and 28 laterality misses (--all laterality 672/726 ->
    700/727; micro-F1 95.1 -> 95.3; test ids 94.4 -> 94.7, laterality 94.9 -> 95.6 %). Kinds: a
    side comparison ("left greater than right") read as one side; a differential ("A versus B in
    the RML") not sharing its places; "right superior lower lobe"; a place of a finding of no key
    (pneumonia, hypoventilation, aeration, blunting) lent to the next lesion that names its own;
    a place joined by "with" to another phrase; a denial running on past "... seen," into the next
    finding; pulmonary nodules dropped as mediastinal because an organ word stood before
    "pulmonary"; costophrenic angle / retrocardiac with a side not read as that side's base; a side
    before "pleural" or in "right and left effusions" lost; an opacity explained as a healing rib
    fracture or overlapping shadows kept as a nodule; a lobe not carried across "infiltrate" in a
    list of lesions; "surrounding" not referring back to the place named last; "right chest".
(a) the engine breaks the guideline, left (--all: 2 detection, 3 laterality; test: 0 / 1): a mass
    said about a widened mediastinum in the next sentence; "no A with B" read as denying B; a zone
    elided across other words ("increase in right and decrease in left basilar ..."); a lesion
    referring back two sentences ("concern is for nodule"); "one of the lung bases".
(b) guideline-correct, coded otherwise in IU (--all: 78 detection, 16 laterality; test: 18 / 3):
    hedged or differential statements ("may represent atelectasis or scarring", "effusion versus
    pleural thickening") count as present (rule 1; IU codes them as Opacity or not at all; 34 of
    them are scarring = fibrosis); "nodule/mass" and "consistent with neoplasm" give mass too;
    mediastinal, paratracheal and breast masses or calcifications are no lung key (rule 10);
    nodular interstitial / reticulonodular patterns, nodular hilar prominence and "granulomatous
    changes" are no nodule; bare "basilar" or plural "effusions" with no side word; a side from a
    hedged second place; a nodule projecting over a rib or the heart border has no lung side.
(c) IU label or report text error (--all: 6 detection, 3 laterality; test: 1 / 0): a label with no
    finding in the text, a finding whose "No" is missing or mistyped, a misspelt finding word, a
    lingula label with no side next to a right-sided label.
(d) de-identification masked the deciding word (--all: 5 detection, 5 laterality; test: 0 / 2):
    "XXXX to represent" (felt/thought), "less XXXX" (likely), "left XXXX XXXX atelectasis".

Guideline-consistent ceiling: with every (a), (c) and (d) error counted as right, micro-F1 would be
96.0 on --all and 95.0 on the test ids, laterality 97.8 % on both; (b) alone keeps micro-F1 below
97, so the >= 97 target cannot be met without breaking guideline rule 1 (hedged = present) or rule 10.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.model import Certainty, Report, Result

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("OMOP_NLP_SHARED") or REPO_ROOT.parent / "shared") / "data" / "iu-xray"

# MeSH major term (first part of "Term/modifier/...") -> chest key. From the data README.
MESH_TO_KEY: dict[str, str] = {
    "Nodule": "nodule",
    "Calcified Granuloma": "nodule",
    "Granuloma": "nodule",
    "Pulmonary Atelectasis": "atelectasis",
    "Pleural Effusion": "pleural_effusion",
    "Consolidation": "consolidation",
    "Pulmonary Fibrosis": "fibrosis",
    "Fibrosis": "fibrosis",
    "Mass": "mass",
    "Bronchiectasis": "bronchiectasis",
}
KEYS: list[str] = sorted(set(MESH_TO_KEY.values()))
# MeSH terms that overlap keys only loosely: a prediction of these keys is neither rewarded nor penalised.
LOOSE_MESH_TO_KEYS: dict[str, tuple[str, ...]] = {
    "Cicatrix": ("fibrosis",),
    "Opacity": ("consolidation", "nodule", "atelectasis", "mass"),
    "Density": ("consolidation", "nodule", "atelectasis", "mass"),
    "Airspace Disease": ("consolidation",),
    "Pneumonia": ("consolidation",),
    "Infiltrate": ("consolidation",),
    "Granulomatous Disease": ("nodule",),
    "Calcinosis": ("nodule",),
    "Sarcoidosis": ("nodule",),
    "Lung Diseases, Interstitial": ("fibrosis",),
    "Markings": ("fibrosis",),
    "Thickening": ("fibrosis",),
    "Volume Loss": ("atelectasis",),
    "Hydropneumothorax": ("pleural_effusion",),
    "Hemothorax": ("pleural_effusion",),
    "Costophrenic Angle": ("pleural_effusion",),
}

# MeSH side modifiers.
SIDE_MODIFIERS: dict[str, str] = {"right": "right", "left": "left", "bilateral": "bilateral"}
# Lobe modifiers that imply a side (secondary laterality figure only).
LOBE_SIDE: dict[str, str] = {"lingula": "left", "middle lobe": "right"}

# Predicted chest CT location key -> side ("both" is both sides). Other locations (pleura) have none.
LOCATION_SIDE: dict[str, str] = {
    "rul": "right", "rml": "right", "rll": "right", "right_lung": "right",
    "lul": "left", "lll": "left", "lingula": "left", "left_lung": "left",
    "bul": "both", "bll": "both",
}  # fmt: skip


@dataclass
class Gold:
    """Gold keys of one report with the side modifiers of their labels."""

    keys: set[str] = field(default_factory=set)
    loose: set[str] = field(default_factory=set)  # keys only loosely overlapped: neutral when predicted
    sides: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lobe_sides: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def parse_mesh(mesh: str, mapping: dict[str, str] = MESH_TO_KEY) -> Gold:
    """``'Pleural Effusion/bilateral/small;Nodule/lung/upper lobe/right'`` -> gold keys and sides."""
    gold = Gold()
    for label in mesh.split(";"):
        parts = [p.strip() for p in label.split("/")]
        key = mapping.get(parts[0])
        if key is None:
            gold.loose.update(LOOSE_MESH_TO_KEYS.get(parts[0], ()))
            continue
        gold.keys.add(key)
        for modifier in parts[1:]:
            if modifier in SIDE_MODIFIERS:
                gold.sides[key].add(SIDE_MODIFIERS[modifier])
                gold.lobe_sides[key].add(SIDE_MODIFIERS[modifier])
            elif modifier in LOBE_SIDE:
                gold.lobe_sides[key].add(LOBE_SIDE[modifier])
    gold.loose -= gold.keys
    return gold


def side_of(sides: set[str]) -> str:
    """A set of sides ("right", "left", "both"/"bilateral") -> right, left, bilateral or none."""
    if "both" in sides or "bilateral" in sides or {"right", "left"} <= sides:
        return "bilateral"
    return next(iter(sides)) if sides else "none"


def predicted_side(result: Result, key: str) -> str:
    finding = result.findings[key]
    locations = set(finding.related).union(*(m.related for m in finding.mentions))
    return side_of({LOCATION_SIDE[loc] for loc in locations if loc in LOCATION_SIDE})


def report_text(row: dict[str, str]) -> str:
    sections = [("FINDINGS", row["findings"]), ("IMPRESSION", row["impression"])]
    return "\n".join(f"{name}: {body.strip()}" for name, body in sections if body and body.strip())


def load_rows(data: Path, use_all: bool) -> list[dict[str, str]]:
    with (data / "indiana_reports.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if use_all:
        return rows
    ids = {line.strip() for line in (data / "openi-testset.txt").read_text().splitlines() if line.strip()}
    return [row for row in rows if f"CXR{row['uid']}" in ids]


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predicted_keys(result: Result, asserted_only: bool) -> set[str]:
    if not asserted_only:
        return set(result.findings)
    return {k for k, f in result.findings.items() if any(m.certainty is Certainty.PRESENT for m in f.mentions)}


def outcome(key: str, gold: Gold, predicted: set[str], loose_neutral: bool) -> str | None:
    """tp / fp / fn of one (report, key) pair; None where it does not count (absent, or loose and neutral)."""
    g, p = key in gold.keys, key in predicted
    if p and not g and loose_neutral and key in gold.loose:
        return None
    return "tp" if g and p else "fp" if p else "fn" if g else None


def convention_views(scored: list[tuple[str, Result]]) -> list[tuple[str, float, float, float]]:
    """Micro P/R/F1 over the mapped keys under each convention (see the module docstring)."""
    views = []
    for name, loose_neutral, asserted_only in (
        ("headline: loose terms neutral", True, False),
        ("strict: loose terms penalise", False, False),
        ("loose terms neutral, asserted only", True, True),
    ):
        total = Counter()
        for mesh, result in scored:
            gold, pred = parse_mesh(mesh), predicted_keys(result, asserted_only) & set(KEYS)
            total.update(o for key in KEYS if (o := outcome(key, gold, pred, loose_neutral)))
        views.append((name, *f1(total["tp"], total["fp"], total["fn"])))
    return views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with indiana_reports.csv")
    parser.add_argument("--all", action="store_true", help="score all 3,851 reports, not the 771 test ids")
    parser.add_argument("--show-errors", action="store_true", help="list ids of FP/FN and laterality misses")
    args = parser.parse_args(argv)

    if not (args.data / "indiana_reports.csv").is_file():
        print(f"no indiana_reports.csv in {args.data}: pass --data DIR or set OMOP_NLP_SHARED", file=sys.stderr)
        return 2
    rows = load_rows(args.data, args.all)
    pipeline = build_pipeline(PipelineConfig(modality="chest_ct"))
    counts = {key: Counter() for key in KEYS}
    errors: dict[str, dict[str, list[str]]] = {key: defaultdict(list) for key in KEYS}
    lat = {key: Counter() for key in KEYS}
    lat_lobe = Counter()
    skipped = Counter()
    scored: list[tuple[str, Result]] = []
    start = time.perf_counter()
    for row in rows:
        rid = f"CXR{row['uid']}"
        if row["MeSH"].strip() == "No Indexing":
            skipped["not indexed (No Indexing)"] += 1
            continue
        text = report_text(row)
        if not text:
            skipped["no findings/impression text"] += 1
            continue
        gold = parse_mesh(row["MeSH"])
        result = pipeline.extract(Report(rid, text, "chest_ct"))
        scored.append((row["MeSH"], result))
        for key in KEYS:
            kind = outcome(key, gold, set(result.findings), loose_neutral=True)
            if kind is None:
                continue
            counts[key][kind] += 1
            if kind != "tp":
                errors[key][kind].append(rid)
                continue
            pred = predicted_side(result, key)
            if gold.sides.get(key):
                gside = side_of(gold.sides[key])
                lat[key]["n"] += 1
                lat[key]["agree"] += gside == pred
                if gside != pred:
                    errors[key]["side"].append(f"{rid}(gold {gside}, pred {pred})")
            if gold.lobe_sides.get(key):
                lat_lobe["n"] += 1
                lat_lobe["agree"] += side_of(gold.lobe_sides[key]) == pred
    elapsed = time.perf_counter() - start

    split = "all reports" if args.all else "openi-testset"
    print(f"IU chest X-ray ({split}): {len(rows)} reports read, {len(scored)} scored, {elapsed:.1f} s")
    print("headline convention: loosely overlapping MeSH terms neither reward nor penalise (data README)")
    for reason, n in sorted(skipped.items()):
        print(f"  skipped {n}: {reason}")
    print()
    print(f"{'key':<18}{'gold':>6}{'pred':>6}{'TP':>6}{'FP':>6}{'FN':>6}{'P':>8}{'R':>8}{'F1':>8}   side agree")
    total = Counter()
    for key in KEYS:
        c = counts[key]
        total.update(c)
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        side = f"{lat[key]['agree']}/{lat[key]['n']}" if lat[key]["n"] else "-"
        print(
            f"{key:<18}{c['tp'] + c['fn']:>6}{c['tp'] + c['fp']:>6}{c['tp']:>6}{c['fp']:>6}{c['fn']:>6}"
            f"{100 * p:>8.1f}{100 * r:>8.1f}{100 * f:>8.1f}   {side}"
        )
    p, r, f = f1(total["tp"], total["fp"], total["fn"])
    macro = sum(f1(counts[k]["tp"], counts[k]["fp"], counts[k]["fn"])[2] for k in KEYS) / len(KEYS)
    print(
        f"{'micro':<18}{total['tp'] + total['fn']:>6}{total['tp'] + total['fp']:>6}{total['tp']:>6}"
        f"{total['fp']:>6}{total['fn']:>6}{100 * p:>8.1f}{100 * r:>8.1f}{100 * f:>8.1f}"
    )
    print(f"{'macro F1':<18}{100 * macro:>62.1f}")
    print()
    n, agree = sum(lat[k]["n"] for k in KEYS), sum(lat[k]["agree"] for k in KEYS)
    n_pe = n - lat["pleural_effusion"]["n"]
    agree_pe = agree - lat["pleural_effusion"]["agree"]
    print(f"laterality agreement: {agree}/{n} = {100 * agree / n if n else 0:.1f} %  (gold right/left/bilateral)")
    print(f"  without pleural_effusion: {agree_pe}/{n_pe} = {100 * agree_pe / n_pe if n_pe else 0:.1f} %")
    lobe_pct = 100 * lat_lobe["agree"] / lat_lobe["n"] if lat_lobe["n"] else 0
    print(f"  with lobe-implied sides (lingula, middle lobe): {lat_lobe['agree']}/{lat_lobe['n']} = {lobe_pct:.1f} %")
    print()
    print(f"{'convention view (micro over the mapped keys)':<46}{'P':>8}{'R':>8}{'F1':>8}")
    for name, p, r, f in convention_views(scored):
        print(f"  {name:<44}{100 * p:>8.1f}{100 * r:>8.1f}{100 * f:>8.1f}")

    if args.show_errors:
        print()
        for key in KEYS:
            for kind in ("fp", "fn", "side"):
                ids = errors[key][kind]
                if ids:
                    print(f"{key} {kind.upper()} ({len(ids)}): {' '.join(ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
