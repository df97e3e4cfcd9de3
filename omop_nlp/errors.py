"""Errors that concern one note: the run records them and carries on.

Messages never contain note text or patient identifiers.
"""


class NoteSkipped(Exception):
    """A note that cannot be processed; ``reason`` is a short stable code for ledgers and summaries."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
