"""The progress bar of ``run`` and ``extract`` (omop_nlp/progress.py): notes done, notes/s and ETA on
stderr when it is a terminal, nothing on a pipe or in a log file."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

from omop_nlp.progress import ProgressBar

REPO = Path(__file__).resolve().parents[1]


def test_the_bar_shows_notes_done_rate_and_eta() -> None:
    screen = io.StringIO()
    with ProgressBar(True, 40, stream=screen) as advance:
        for _ in range(4):
            advance(5)  # as a run advances by a batch, or extract by a note, whichever worker did it
            time.sleep(0.12)
        shown_midway = screen.getvalue()
    assert "20/40" in shown_midway and "notes/s" in shown_midway and "ETA" in shown_midway
    assert "40/40" not in screen.getvalue()  # nothing invented at the end: the count is what was advanced
    with ProgressBar(True, None, stream=screen) as advance:  # stdin: no total, still a count and a rate
        advance(3)
    assert "notes/s" in screen.getvalue()


def test_no_bar_when_disabled() -> None:
    screen = io.StringIO()
    with ProgressBar(False, 10, stream=screen) as advance:
        advance(10)
    assert screen.getvalue() == ""


def extract_stderr(tmp_path: Path, *, tty: bool, workers: int) -> str:
    source = tmp_path / "in.jsonl"
    lines = (REPO / "tests" / "devset" / "chest_ct.test.jsonl").read_text().splitlines()
    source.write_text("\n".join(json.dumps({**json.loads(line), "id": f"{i}"}) for i, line in enumerate(lines * 4)))
    command = [sys.executable, "-m", "omop_nlp", "extract", str(source), "-o", str(tmp_path / "out.jsonl"),
               "--workers", str(workers)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "160"}
    if not tty:
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120).stderr
    main, terminal = pty.openpty()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end is closed: the command is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.wait(60) == 0
    return shown.decode(errors="replace")


def test_extract_shows_the_bar_on_a_terminal_only(tmp_path) -> None:
    on_terminal = extract_stderr(tmp_path, tty=True, workers=2)
    assert "200/200" in on_terminal and "notes/s" in on_terminal and "ETA" in on_terminal
    assert "extracted 200 report(s)" in on_terminal
    on_pipe = extract_stderr(tmp_path, tty=False, workers=2)
    assert "notes/s" not in on_pipe and on_pipe.strip().splitlines()[-1].startswith("extracted 200 report(s)")
