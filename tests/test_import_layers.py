"""The package's layers: stages know only the shared types, and no two packages import each other.

The arrows of docs/architecture.md: model/errors <- text <- entities/assertion <- relations <-
pipeline <- build <- engines <- cli, with sources and sinks on the database layer (omop/). A cycle
between packages, or a stage that imports the pipeline, fails here with the import that did it.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "omop_nlp"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """The omop_nlp modules ``path`` imports when it runs (not those under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = [n for n in ast.walk(tree) if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    skipped = {id(n) for node in guarded for n in ast.walk(node)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("omop_nlp"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("omop_nlp")}
    return out


def _graph() -> dict[str, dict[str, str]]:
    """Top-level unit (``omop``, ``sinks``, ``pipeline``...) -> unit it imports -> one module that does."""
    def unit(module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else parts[0]

    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for target in _runtime_imports(path):
            if unit(target) not in (unit(module), "omop_nlp"):
                graph[unit(module)].setdefault(unit(target), module)
    return graph


def test_no_two_packages_import_each_other() -> None:
    graph = _graph()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in graph.get(node, {}):
            if nxt in path:
                cycle = [*path[path.index(nxt) :], nxt]
                cycles.append(" -> ".join(f"{a} ({graph[a][b]})" for a, b in itertools.pairwise(cycle)))
            elif len(path) < 12:
                visit(nxt, [*path, nxt])

    for start in list(graph):
        visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


@pytest.mark.parametrize("module, forbidden", [
    ("omop_nlp.model", {"omop_nlp."}),  # the shared types import no other part of the package
    ("omop_nlp.errors", {"omop_nlp."}),
    ("omop_nlp.entities.bert.combine", {"omop_nlp.pipeline", "omop_nlp.build"}),
    ("omop_nlp.relations.llm.mapper", {"omop_nlp.pipeline", "omop_nlp.build"}),
])  # fmt: skip
def test_stages_know_only_the_shared_types(module: str, forbidden: set[str]) -> None:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    assert not {m for m in _runtime_imports(path) if any(m.startswith(f) for f in forbidden)}


@pytest.mark.parametrize("package", ["omop", "sinks", "sources"])
def test_each_database_side_package_imports_on_its_own(package: str) -> None:
    """Every module of the package, imported first in a fresh interpreter: no import-order cycle."""
    modules = sorted(_module_name(p) for p in (PACKAGE / package).rglob("*.py"))
    code = "; ".join(f"import {m}" for m in modules)
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
