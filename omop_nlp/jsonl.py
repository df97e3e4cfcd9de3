"""Reading JSON Lines: one object per line, errors that name the file and line, never the text."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from omop_nlp.errors import JsonlError

STDIN = "-"
__all__ = ["STDIN", "JsonlError", "LineProblem", "iter_jsonl", "jsonl_name"]


class LineProblem(ValueError):
    """What is wrong with one line; turned into a ``JsonlError`` with the file and line."""


def jsonl_name(path: Path | str) -> str:
    return "<stdin>" if str(path) == STDIN else str(path)


@contextlib.contextmanager
def _open_binary(path: Path | str) -> Iterator[BinaryIO]:
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    with contextlib.ExitStack() as stack:
        try:
            fh = stack.enter_context(Path(path).open("rb"))
        except FileNotFoundError:
            raise JsonlError(jsonl_name(path), None, "file not found") from None
        except OSError as exc:
            raise JsonlError(jsonl_name(path), None, f"cannot be read ({exc.strerror})") from None
        yield fh


def _parse_line(raw: bytes) -> dict:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LineProblem("not valid UTF-8") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg can quote a character of the line, so only the column is given.
        raise LineProblem(f"not valid JSON (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise LineProblem("expected a JSON object")
    return data


def iter_jsonl(
    path: Path | str, on_error: Callable[[JsonlError], None] | None = None
) -> Iterator[tuple[int, dict]]:
    """Yields ``(line number, object)`` for each non-blank line of ``path`` ('-' is stdin).

    A malformed line raises ``JsonlError``, or, with ``on_error``, is passed to it and skipped
    so that one bad note need not stop a run.
    """
    name = jsonl_name(path)
    with _open_binary(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = _parse_line(raw)
            except LineProblem as exc:
                error = JsonlError(name, lineno, str(exc))
                if on_error is None:
                    raise error from None
                on_error(error)
                continue
            yield lineno, data
