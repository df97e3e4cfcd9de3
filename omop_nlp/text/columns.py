"""Two-column pages that a PDF text extractor read straight across, put back in reading order.

An outside hospital's report template sets the findings in a left column and the history, comparison and technique
in a right one; the text layer of its PDF reads each printed line across both ("No          TECHNIQUE" /
"consolidation."), so a sentence of one column is cut by the other's words. From a line of two headers side by side
("FINDINGS     CLINICAL HISTORY") to the last line with text in the right column, ``reading_order`` gives the
right column first (what the findings are read against, as a one-column report puts it) and the left column after it,
each column's lines in order: the note rearranged, with the same characters and length. ``ReadingOrder`` maps its
offsets back to the note's (the offsets every output of a mention gives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from omop_nlp.text.sections import at_line_starts, header_pair_line

_GAP = re.compile(r"[ \t]{2,}(?=\S)")  # the blanks between a line's left-column text and its right-column text
_SLACK = 1  # a right column's text starts at its header's column, give or take one character


@dataclass(frozen=True)
class ReadingOrder:
    """A note in reading order: ``text[i]`` is the note's character ``order[i]`` (a blank that ends a right-column
    line reads as a line break)."""

    text: str
    order: list[int]

    def note_span(self, start: int, end: int) -> tuple[int, int]:
        """The note's offsets of the text's span ``start``-``end`` (of its first and after its last character): a
        span within one column's line is the same words in the note."""
        return self.order[start], self.order[end - 1] + 1 if end > start else self.order[start]

    def text_span(self, start: int, end: int) -> tuple[int, int]:
        """The text's offsets of the note's span ``start``-``end``, as ``note_span`` gave it."""
        return self._places[start], self._places[end - 1] + 1 if end > start else self._places[start]

    @cached_property
    def _places(self) -> list[int]:
        """The text's offset of each character of the note."""
        places = [0] * len(self.order)
        for position, offset in enumerate(self.order):
            places[offset] = position
        return places


def reading_order(note: str) -> ReadingOrder | None:
    """``note`` in reading order where it has a two-column page (None where not: nearly every note, most found by a
    substring test, the rest by one anchored match per line)."""
    if "    " not in note and "\t" not in note:
        return None  # no gap wide enough between two columns: found at once
    pairs = list(at_line_starts(header_pair_line(), note))
    if not pairs:
        return None
    order: list[int] = []
    breaks: set[int] = set()  # the blanks that end a right-column line
    cursor = 0
    for pair in pairs:
        lines = _block(note, pair)
        if not lines or lines[0][0] < cursor:
            continue
        order += range(cursor, lines[0][0])
        for _, gap, end in lines:
            if gap is not None:  # the gap's blanks before the text (an indent), its last blank after it
                order += [*range(gap[0], gap[1] - 1), *range(gap[1], end), gap[1] - 1]
                breaks.add(gap[1] - 1)
        for start, gap, end in lines:
            order += range(start, end if gap is None else gap[0])
            order.append(end)  # the line break
        cursor = lines[-1][2] + 1
    if not breaks:
        return None
    order += range(cursor, len(note))
    return ReadingOrder("".join("\n" if i in breaks else note[i] for i in order), order)


def _block(note: str, pair: re.Match) -> list[tuple[int, tuple[int, int] | None, int]]:
    """The lines of the two-column block that ``pair`` heads, each as (start, the gap before its right-column text
    or None, end at its line break): down to the last line with right-column text, a line of the left column alone
    between them (the right column may stop a line early). A line that ends the note ends the block."""
    column = pair.start("right") - pair.start()
    lines: list[tuple[int, tuple[int, int] | None, int]] = []
    start, last = pair.start(), 0
    while (end := note.find("\n", start)) >= 0:
        gap = _column_gap(note, start, end, column)
        if gap is None and (not lines or lines[-1][1] is None):
            break  # two lines without a right column: the block ended on the line before them
        lines.append((start, gap, end))
        if gap is not None:
            last = len(lines)
        start = end + 1
    return lines[:last]


def _column_gap(note: str, start: int, end: int, column: int) -> tuple[int, int] | None:
    """The gap of blanks before the right-column text of the line ``start``-``end``: it ends at the column."""
    for gap in _GAP.finditer(note, start, end):
        if abs(gap.end() - start - column) <= _SLACK:
            return gap.span()
    return None
