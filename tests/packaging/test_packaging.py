"""The package as the Docker images install it: a wheel from exactly the files docker/Dockerfile copies
(docker/Dockerfile.gpu copies the same), installed outside the checkout, must run end to end. No Docker
engine runs on the project's machines, so this is the part of the image build that can be tested.

It catches a mapping, SQL file or demo note that the source tree finds but the wheel lacks.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _build_stage_copies(dockerfile: Path) -> list[str]:
    """Sources of the ``COPY`` lines of the first (build) stage."""
    stage = re.split(r"^FROM ", dockerfile.read_text(), flags=re.M)[1]
    sources = []
    for line in stage.splitlines():
        if match := re.match(r"COPY\s+(?!--)(.+)\s+\S+$", line.strip()):
            sources += match.group(1).split()
    return sources


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    context = work / "context"
    context.mkdir()
    for source in _build_stage_copies(REPO / "docker" / "Dockerfile"):
        path = REPO / source
        (shutil.copytree if path.is_dir() else shutil.copy)(path, context / source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(work / "wheels"), str(context)], check=True)
    (wheel,) = (work / "wheels").glob("omop_nlp-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(work / "site"), str(wheel)], check=True)
    return work / "site"


def _python(site: Path | None, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """This Python in ``cwd``, importing omop_nlp from ``site`` (the installed wheel) or, with None, the checkout."""
    env = {**os.environ, "PYTHONPATH": str(site)} if site is not None else None
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_dockerfiles_copy_what_the_package_needs() -> None:
    cpu = _build_stage_copies(REPO / "docker" / "Dockerfile")
    assert {"pyproject.toml", "omop_nlp", "mappings", "sql"} <= set(cpu)
    assert _build_stage_copies(REPO / "docker" / "Dockerfile.gpu") == cpu  # one wheel recipe for both images


def _note_nlp_rows(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as db:
        columns = 'note_id, note_nlp_concept_id, "offset", lexical_variant, term_exists, term_modifiers'
        return sorted(db.execute(f"SELECT {columns} FROM note_nlp").fetchall(), key=repr)


def test_installed_wheel_runs_the_demo_like_the_checkout(installed: Path, tmp_path: Path) -> None:
    done = _python(installed, tmp_path, "-m", "omop_nlp", "demo", "--workdir", "wheel")
    assert done.returncode == 0, done.stderr[-2000:]
    assert any((tmp_path / "wheel" / "fhir").glob("*.ndjson"))
    checkout = _python(None, REPO, "-m", "omop_nlp", "demo", "--workdir", str(tmp_path / "src"))
    assert checkout.returncode == 0, checkout.stderr[-2000:]
    rows = _note_nlp_rows(tmp_path / "wheel" / "cdm.sqlite")
    assert rows
    assert rows == _note_nlp_rows(tmp_path / "src" / "cdm.sqlite")


def test_installed_wheel_reads_its_own_mappings(installed: Path, tmp_path: Path) -> None:
    """The wheel's mappings, not the checkout's: the data files resolve inside site-packages."""
    out = _python(installed, tmp_path, "-c", "from omop_nlp.rules import mappings_dir; print(mappings_dir())")
    assert out.returncode == 0, out.stderr[-2000:]
    assert Path(out.stdout.strip()).resolve().is_relative_to(installed.resolve())
    assert (installed / "omop_nlp" / "py.typed").is_file()  # the API's type hints reach the user
