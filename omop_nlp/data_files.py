"""Where the project's data folders (mappings/, sql/) are, installed or in a checkout."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def data_dir(name: str, env: str) -> Path:
    """$env if set, else the copy inside the wheel (omop_nlp/<name>), else the checkout's <name>/."""
    override = os.environ.get(env)
    if override:
        return Path(override)
    bundled = Path(str(resources.files("omop_nlp"))) / name
    if bundled.is_dir():
        return bundled
    return Path(__file__).resolve().parent.parent / name
