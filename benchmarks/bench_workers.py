"""Benchmark ``omop-nlp run --workers 1`` against ``--workers N`` on PostgreSQL: speed-up and RSS per worker.

    .venv/bin/python benchmarks/bench_workers.py                    # 20,000 notes, workers 1 and 2
    .venv/bin/python benchmarks/bench_workers.py --notes 5000 --workers 1 2 4
    .venv/bin/python benchmarks/bench_workers.py --notes 5000 --workers 2 --profile-parent  # the parent's time

Each worker count gets a fresh database on one embedded PostgreSQL server with the same synthetic
notes (benchmarks/bench_cdm_run.py), and one ``run_cdm`` end to end (read, extract, write NOTE_NLP
and the ledger, commit). The peak RSS and CPU time of every worker process are sampled from /proc
while it runs. Other processes on the machine compete for the same cores: the load average is
printed beside the figures. When it is above the number of cores, wall-clock speed-up means little;
the CPU seconds per 1,000 notes (this process and its workers, PostgreSQL's own excluded) still say
whether N workers do the same work as one, i.e. what an idle machine would gain.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cdm_run import create_database, load, peak_rss_mb, start_embedded_postgres

from omop_nlp.engines.cdm import RunOptions, run_cdm

_TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = os.times()
    return usage.user + usage.system


class ChildRss:
    """Peak RSS (VmHWM) of each child process of this one, sampled while the run goes."""

    def __init__(self) -> None:
        self.peaks: dict[int, float] = {}
        self.cpu_s: dict[int, float] = {}  # utime + stime at the last sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ChildRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != me:
                        continue
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError, ValueError):
                    continue
                self.cpu_s[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / _TICKS
                hwm = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), None)
                if hwm is not None:
                    pid = int(stat.parent.name)
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(hwm) / 1024)

    def workers(self, n: int) -> list[float]:
        """The n largest peaks: the workers (the multiprocessing resource tracker is the small one)."""
        return sorted(self.peaks.values(), reverse=True)[:n]


class Profile:
    """cProfile of this process (the parent) while it runs, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._profile = cProfile.Profile() if enabled else None
        self._cpu_s = 0.0

    def __enter__(self) -> Profile:
        self._cpu_s = -own_cpu_s()
        if self._profile is not None:
            self._profile.enable()
        return self

    def __exit__(self, *exc) -> None:
        if self._profile is not None:
            self._profile.disable()
        self._cpu_s += own_cpu_s()

    def report(self, title: str, top: int = 20) -> None:
        """The functions with the most own time, then omop_nlp's by cumulative time (waits included)."""
        if self._profile is None:
            return
        print(f"{title}: {self._cpu_s:.2f} s CPU (profiled) while the run went", file=sys.stderr)
        for order, where in (("tottime", ""), ("cumulative", "omop_nlp|concurrent")):
            out = io.StringIO()
            pstats.Stats(self._profile, stream=out).sort_stats(order).print_stats(where, top)
            print(f"-- by {order}", "\n".join(out.getvalue().splitlines()[4:]), sep="\n", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile-parent", action="store_true",
                        help="cProfile the parent process of each run: its top functions by own time")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="omop-nlp-bench-workers-"))
    server = start_embedded_postgres(workdir)
    rows = []
    try:
        for workers in args.workers:
            url = create_database(server)
            load(url, args.notes, "cdm")
            load_before = os.getloadavg()[0]
            cpu_before = own_cpu_s()
            options = RunOptions(cdm_schema="cdm", batch_size=args.batch_size, workers=workers)
            with ChildRss() as rss, Profile(args.profile_parent) as profile:
                summary = run_cdm(url, options)
            cpu_s = own_cpu_s() - cpu_before + sum(rss.cpu_s.values())
            profile.report(f"--workers {workers}: the parent")
            assert summary.processed == args.notes, summary.lines()
            rows.append({
                "workers": workers, "notes": args.notes, "run_s": round(summary.seconds, 1),
                "notes_per_s": round(summary.notes_per_s, 1),
                "parent_peak_rss_mb": round(peak_rss_mb(), 1),
                "worker_peak_rss_mb": [round(r, 1) for r in rss.workers(workers)] if workers > 1 else [],
                "cpu_s_per_1000_notes": round(1000 * cpu_s / args.notes, 2),
                "load_avg_before": round(load_before, 1), "load_avg_after": round(os.getloadavg()[0], 1),
                "cores": os.cpu_count(),
            })  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.cleanup()
    base = rows[0]["notes_per_s"]
    for row in rows[1:]:
        print(f"--workers {row['workers']}: {row['notes_per_s'] / base:.2f}x --workers {rows[0]['workers']} "
              f"({row['notes_per_s']:.0f} vs {base:.0f} notes/s); worker peak RSS "
              f"{', '.join(f'{r:.0f}' for r in row['worker_peak_rss_mb'])} MB")


if __name__ == "__main__":
    main()
