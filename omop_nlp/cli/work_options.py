"""Options of the commands that extract: worker processes and the per-note time budget."""

from __future__ import annotations

from typing import Annotated

import typer

from omop_nlp.budget import DEFAULT_NOTE_TIMEOUT_S

NoteTimeout = Annotated[float, typer.Option(
    min=0, help="seconds the rules may spend on one note before it is skipped (timeout); 0: no limit")]


def note_timeout_seconds(value: float) -> float | None:
    return value or None


__all__ = ["DEFAULT_NOTE_TIMEOUT_S", "NoteTimeout", "note_timeout_seconds"]
