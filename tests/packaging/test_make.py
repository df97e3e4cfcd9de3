"""`make demo` installs the core package only; `make test` adds the test extra (issue 12, item 1)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "llama-cpp-python", "onnxruntime", "pyspark", "pytest")


def _dry_run(target: str, venv: Path) -> str:
    """What `make TARGET` would run on a fresh machine (no venv yet), without running it."""
    return subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_the_core_package_only(tmp_path: Path) -> None:
    demo = _dry_run("demo", tmp_path / "venv")
    assert "pip install --quiet -e ." in demo and "omop-nlp demo" in demo
    assert "[test]" not in demo and "[bert]" not in demo
    assert "pip install --quiet -e '.[test]'" in _dry_run("test", tmp_path / "venv")


def test_core_dependencies_carry_no_model_runtime() -> None:
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in core if d.lower().startswith(HEAVY)]
