"""CPU time of ``extract`` on long notes built to find work that grows faster than the note.

Each shape is timed at three sizes, ``n``, ``3n`` and ``9n`` (default n = 1,000): a linear engine takes about
three times as long per step, a quadratic one nine times. The largest list of places is the adversarial note
of ``tests/omop/test_run_faults.py`` (9,000 places after one lesion word); the blank lines hold 4n blanks (a padded
empty field of a form, up to 36,000 characters).

    python benchmarks/bench_long_notes.py [-n 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from omop_nlp.build import build_pipeline
from omop_nlp.model import Report

SHAPES: dict[str, Callable[[int], str]] = {
    "places after one lesion": lambda n: "CT chest. Nodules in " + "the right upper lobe, " * n + "and the lingula.",
    "lesions in one sentence": lambda n: "CT chest. " + "nodule in the right upper lobe and " * n + "a mass.",
    "places before one lesion": lambda n: "CT chest. " + "right upper lobe and " * n + "left lower lobe nodules.",
    # a padded empty field: header patterns and sentence boundaries try a run of blanks once, not at every split
    "a line of blanks": lambda n: "FINDINGS:\nNodule in the lingula.\n" + " " * (4 * n) + "\nIMPRESSION:\nNodule.",
    "blanks inside a line": lambda n: "1." + " \t" * (2 * n) + "Nodule in the lingula" + " " * (4 * n) + "(RUL).",
}


def cpu_seconds(extract: Callable[[Report], object], text: str) -> float:
    start = time.process_time()
    extract(Report("long", text, "chest_ct"))
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="the smallest repeat count (then 3n and 9n)")
    args = parser.parse_args(argv)
    pipeline = build_pipeline()
    for build in SHAPES.values():  # warm-up: the first note fills the lemma and typo caches
        pipeline.extract(Report("warm-up", build(10), "chest_ct"))
    sizes = (args.n, 3 * args.n, 9 * args.n)
    print(f"{'shape':<26}" + "".join(f"{f'{n:,} x':>11}" for n in sizes) + f"{'growth':>9}")
    print("  (CPU seconds of one extract; growth: time at 9n over time at n, 9 for a linear engine)")
    for name, build in SHAPES.items():
        seconds = [cpu_seconds(pipeline.extract, build(n)) for n in sizes]
        print(f"{name:<26}" + "".join(f"{s:>11.2f}" for s in seconds) + f"{seconds[-1] / max(seconds[0], 1e-9):>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
