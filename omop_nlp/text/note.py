"""The note text every stage reads: decoded, NULs blanked, within the length limit."""

from __future__ import annotations

from omop_nlp.errors import NoteSkipped

MAX_NOTE_CHARS = 2_000_000  # the default limit (PipelineConfig.max_note_chars); longer notes: too_long


def checked_text(text: object, max_chars: int | None = MAX_NOTE_CHARS) -> str:
    """The note text the engine reads (bytes decoded, NULs blanked), or ``NoteSkipped`` for a note it cannot.

    ``max_chars=None``: no length limit (a later stage re-reading a note the pipeline accepted)."""
    if text is None:
        raise NoteSkipped("empty_text", "note_text is NULL")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteSkipped("invalid_encoding", f"not UTF-8 at byte {exc.start}") from None
    if not isinstance(text, str):
        raise NoteSkipped("invalid_text", f"note text is {type(text).__name__}, not a string")
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if not text.strip():
        raise NoteSkipped("empty_text", "note_text is empty or whitespace")
    if max_chars is not None and len(text) > max_chars:
        raise NoteSkipped("too_long", f"{len(text)} characters, limit {max_chars}")
    return text
