"""Speed and memory of ``extract`` on synthetic reports.

Reports come from a seeded random template grammar in this file (no real text): chest CT reports
of about ``--words`` words (default 150) and brain MRI reports of similar length.

1. In-process: ``build_pipeline().extract`` on ``-n`` reports per modality (default 3,000), single
   process and single thread, after a warm-up of 200 reports. Prints reports/s (wall and CPU),
   the process's peak RSS (``resource.getrusage``) and the tracemalloc peak of a second, traced
   pass over 500 reports (Python allocations during extraction, above what the pipeline holds).
2. Streaming: chest CT JSONL files of N and 4N reports go through the CLI code path
   (``sources.jsonl.read_reports`` -> ``Pipeline.extract_many`` -> interchange JSON lines written
   to a file), each in a fresh subprocess so that its peak RSS is its own; a second traced
   subprocess gives the tracemalloc peak. Flat memory means the 4N figures match the N ones.
   With the default N the whole run takes about two minutes (tracing is slow).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

from omop_nlp.build import build_pipeline
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.sources.jsonl import read_reports

# --- template grammar -------------------------------------------------------------------------

CT_SIDES = ["right", "left"]
CT_LOBES = ["the right upper lobe", "the right middle lobe", "the right lower lobe", "the left upper lobe",
            "the left lower lobe", "the lingula", "the RUL", "the RLL", "the LUL", "the LLL", "both lower lobes",
            "the bilateral upper lobes"]
CT_ZONES = ["apex", "base", "perihilar region", "subpleural region", "upper lung zone"]
CT_NODULES = ["solid nodule", "part-solid nodule", "ground-glass nodule", "calcified granuloma", "nodule",
              "subsolid nodule", "micronodule"]
CT_DIFFUSE = ["consolidation", "ground-glass opacity", "atelectasis", "bronchiectasis", "fibrotic change",
              "interlobular septal thickening", "bronchial wall thickening", "subsegmental atelectasis",
              "honeycombing", "mass"]
CT_NEG = ["pleural effusion", "pneumothorax", "consolidation", "suspicious nodule", "mass", "lymphadenopathy",
          "pericardial effusion", "bronchiectasis", "interstitial thickening"]
CT_FILLER = [
    "The heart is normal in size.", "There is no pericardial effusion.", "The central airways are patent.",
    "The thoracic aorta is normal in caliber.", "Mild degenerative changes of the thoracic spine.",
    "The visualized upper abdomen is unremarkable.", "No mediastinal or hilar lymphadenopathy by size criteria.",
    "Coronary artery calcifications are present.", "The esophagus is unremarkable.",
    "Thyroid gland appears within normal limits.", "No destructive osseous lesion is identified.",
    "Emphysematous changes are noted in the upper lobes.", "The trachea is midline.",
]
CT_COMPARE = ["", ", unchanged from the prior study", ", slightly increased since the previous examination",
              ", new since the prior CT", ", decreased in size compared with prior", ", stable"]

MR_SIDES = ["right", "left"]
MR_SITES = ["frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe", "basal ganglia", "thalamus",
            "cerebellar hemisphere", "periventricular white matter", "corona radiata", "centrum semiovale"]
MR_LESIONS = ["enhancing mass", "glioblastoma", "metastasis", "metastatic lesion", "meningioma", "acute infarct",
              "lacunar infarct", "hemorrhage", "demyelinating lesion", "abscess", "low-grade glioma", "lymphoma"]
MR_CHANGE = ["has increased in size", "is stable", "has decreased in size", "is unchanged", "shows progression",
             "shows interval improvement", "is new"]
MR_NEG = ["acute infarct", "intracranial hemorrhage", "hydrocephalus", "abnormal enhancement", "midline shift",
          "extra-axial collection", "restricted diffusion"]
MR_FILLER = [
    "The ventricles and sulci are normal in size for age.", "Major intracranial flow voids are preserved.",
    "The paranasal sinuses and mastoid air cells are clear.", "The orbits are unremarkable.",
    "Mild chronic small vessel ischemic changes in the white matter.", "The pituitary gland is normal.",
    "The craniocervical junction is unremarkable.", "No abnormal susceptibility artifact.",
    "The calvarium and skull base are intact.", "Gray-white matter differentiation is maintained.",
]
HEDGES = ["", "", "probable ", "possible ", "suspicious for "]


def _cap(sentence: str) -> str:
    return sentence[0].upper() + sentence[1:]


def _ct_sentence(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        size = f"{rng.randint(3, 25)} mm " if rng.random() < 0.7 else ""
        return f"A {size}{rng.choice(CT_NODULES)} is seen in {rng.choice(CT_LOBES)}{rng.choice(CT_COMPARE)}."
    if kind < 0.6:
        where = rng.choice([rng.choice(CT_LOBES), f"the {rng.choice(CT_SIDES)} {rng.choice(CT_ZONES)}"])
        return _cap(f"{rng.choice(HEDGES)}{rng.choice(CT_DIFFUSE)} in {where}{rng.choice(CT_COMPARE)}.")
    if kind < 0.8:
        items = rng.sample(CT_NEG, rng.randint(1, 3))
        return "No " + (", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else items[0]) + "."
    return rng.choice(CT_FILLER)


def _mr_sentence(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.35:
        size = f"{rng.randint(4, 45)} mm " if rng.random() < 0.6 else ""
        return (f"The {size}{rng.choice(MR_LESIONS)} in the {rng.choice(MR_SIDES)} {rng.choice(MR_SITES)} "
                f"{rng.choice(MR_CHANGE)}.")
    if kind < 0.55:
        return _cap(f"{rng.choice(HEDGES)}{rng.choice(MR_LESIONS)} involving the {rng.choice(MR_SIDES)} "
                    f"{rng.choice(MR_SITES)}.")
    if kind < 0.75:
        items = rng.sample(MR_NEG, rng.randint(1, 3))
        return "No " + (", ".join(items[:-1]) + " or " + items[-1] if len(items) > 1 else items[0]) + "."
    return rng.choice(MR_FILLER)


def make_report(rng: random.Random, modality: str, words: int) -> str:
    """FINDINGS of random sentences up to ~``words`` words, then a short numbered IMPRESSION."""
    sentence = _ct_sentence if modality == "chest_ct" else _mr_sentence
    target = rng.randint(int(words * 0.85), int(words * 1.15))
    impression = [sentence(rng) for _ in range(rng.randint(1, 3))]
    budget = target - sum(len(s.split()) for s in impression) - 2
    findings: list[str] = []
    while sum(len(s.split()) for s in findings) < budget:
        findings.append(sentence(rng))
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(impression, 1))
    return f"FINDINGS:\n{' '.join(findings)}\n\nIMPRESSION:\n{numbered}"


def reports(n: int, modality: str, words: int, seed: int) -> Iterator[Report]:
    rng = random.Random(f"{seed}-{modality}")
    for i in range(n):
        yield Report(f"{modality}-{i}", make_report(rng, modality, words), modality)


# --- measurements -----------------------------------------------------------------------------

def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def traced_peak_mib(work: Callable[[], object]) -> float:
    """tracemalloc peak of ``work()`` above what was allocated before it."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def in_process(pipeline: Pipeline, modality: str, n: int, words: int, seed: int) -> dict:
    for report in reports(200, modality, words, seed + 1):  # warm-up
        pipeline.extract(report)
    batch = list(reports(n, modality, words, seed))
    mean_words = sum(len(r.text.split()) for r in batch) / n
    wall, cpu = time.perf_counter(), time.process_time()
    for report in batch:
        pipeline.extract(report)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    def extract_500() -> None:  # results are dropped, as a streaming run drops them
        for report in batch[:500]:
            pipeline.extract(report)

    traced = traced_peak_mib(extract_500)
    return {"n": n, "words": mean_words, "rps": n / wall, "cpu_rps": n / cpu, "rss": peak_rss_mib(), "traced": traced}


def stream_child(src: str, dst: str, trace: bool) -> None:
    """The CLI path: read_reports -> extract_many -> interchange lines written. Prints one JSON line."""
    pipeline = build_pipeline()
    for report in reports(50, "chest_ct", 150, 99):  # warm-up
        pipeline.extract(report)
    rss_ready = peak_rss_mib()
    if trace:
        tracemalloc.start()
    wall = time.perf_counter()
    written = 0
    with open(dst, "w", encoding="utf-8") as out:
        for result in pipeline.extract_many(read_reports(src, on_error=lambda e: None)):
            if isinstance(result, NoteSkipped):
                continue
            out.write(json.dumps(result.as_interchange(), ensure_ascii=False) + "\n")
            written += 1
    wall = time.perf_counter() - wall
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    print(json.dumps({"written": written, "rps": written / wall, "rss_ready": rss_ready, "rss": peak_rss_mib(),
                      "traced": traced}))


def streaming(n: int, words: int, seed: int, tmp: Path) -> dict:
    src, dst = tmp / f"chest_{n}.jsonl", tmp / f"chest_{n}.out.jsonl"
    with src.open("w", encoding="utf-8") as fh:
        for r in reports(n, "chest_ct", words, seed):
            fh.write(json.dumps({"id": r.id, "text": r.text, "modality": r.modality}) + "\n")
    runs = {}
    for trace in (False, True):
        cmd = [sys.executable, __file__, "--stream-child", str(src), str(dst)] + (["--trace"] if trace else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs[trace] = json.loads(out.strip().splitlines()[-1])
    plain = runs[False]
    return {"n": plain["written"], "mib": src.stat().st_size / 2**20, "rps": plain["rps"],
            "rss_ready": plain["rss_ready"], "rss": plain["rss"], "traced": runs[True]["traced"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=3000, help="reports per modality (streaming: N and 4N)")
    parser.add_argument("--words", type=int, default=150, help="approximate words per report")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-stream", action="store_true", help="skip the streaming check")
    parser.add_argument("--stream-child", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_child:
        stream_child(*args.stream_child, trace=args.trace)
        return 0

    print(f"python {sys.version.split()[0]}, single process, single thread; seed {args.seed}")
    pipeline = build_pipeline()
    print(f"pipeline loaded: peak RSS {peak_rss_mib():.0f} MiB")
    print()
    print("in-process Pipeline.extract (warmed up)")
    print(f"{'modality':<11}{'reports':>8}{'words':>7}{'rep/s':>9}{'rep/s cpu':>11}{'peak RSS':>10}{'traced pk':>11}")
    for modality in ("chest_ct", "brain_mri"):
        r = in_process(pipeline, modality, args.n, args.words, args.seed)
        print(f"{modality:<11}{r['n']:>8}{r['words']:>7.0f}{r['rps']:>9.0f}{r['cpu_rps']:>11.0f}"
              f"{r['rss']:>7.0f} MiB{r['traced']:>7.1f} MiB")
    print("  (traced peak: tracemalloc, 500 reports, above the loaded pipeline)")
    if args.no_stream:
        return 0
    print()
    print("streaming, chest CT JSONL -> read_reports -> extract_many -> JSON lines (fresh process each)")
    print(f"{'reports':>8}{'input':>10}{'rep/s':>8}{'RSS ready':>12}{'peak RSS':>11}{'traced pk':>12}")
    with tempfile.TemporaryDirectory(prefix="omop-nlp-bench-") as tmp:
        for n in (args.n, 4 * args.n):
            r = streaming(n, args.words, args.seed, Path(tmp))
            print(f"{r['n']:>8}{r['mib']:>6.1f} MiB{r['rps']:>8.0f}{r['rss_ready']:>8.0f} MiB"
                  f"{r['rss']:>7.0f} MiB{r['traced']:>8.1f} MiB")
    print("  (RSS ready: after loading and warm-up; traced peak: tracemalloc over the whole stream)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
