"""docs/api.md's examples run as written (doctest): the documented Python API is the real one."""

from __future__ import annotations

import doctest
from pathlib import Path

import omop_nlp

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_the_examples_of_docs_api_md_run() -> None:
    failures, tried = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried >= 8 and failures == 0


def test_the_public_names_resolve_and_are_typed() -> None:
    for name in omop_nlp.__all__:
        assert getattr(omop_nlp, name) is not None, name
    assert (Path(omop_nlp.__file__).parent / "py.typed").is_file()
