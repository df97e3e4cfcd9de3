"""HL7 v2 transport marks in a note, read as the layout they stand for, in a view of the note's length.

An interface engine that stores an HL7 v2 result message in NOTE.note_text leaves the message's marks in the report:
segment lines (``OBX|2|TX|71260^CT CHEST^CPT4||<text>||||||F|||<time>``) whose text field holds the report, a report
split over several OBX segments mid-sentence, escape sequences for line breaks (``\\.br\\``, ``\\X0D\\``) and for
the delimiters (``\\T\\`` for ``&``, ``\\F\\`` for ``|``), ``~`` repetitions standing for line breaks, and line
numbers or ``TX`` tags before every line of a text export. Read as text, they glue a finding to its header and cut a
denial off from its finding. Every replacement here keeps the length, so every offset into the view is an offset into
the note (NOTE_NLP offsets must point into the stored note_text). The line breaks the transport made rather than the
writer (a segment boundary, a tagged line's end) are handed to the layout step (text/layout.py), which decides whether
each is a wrap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.text.sections import at_line_starts

# A segment line: a three-character segment id and at least four fields ("MSH|^~\&|...", "OBX|1|TX|...").
_SEGMENT = re.compile(r"(?m)^[A-Z][A-Z0-9]{2}\|(?:[^|\n]*\|){3}")
# The segments whose field holds report text, and the fields before it: OBX-5 (after set id, value type, observation
# identifier, sub-id) and NTE-3 (after set id, source); other segments (MSH, PID, OBR ...) are no report text.
_TEXT_SEGMENT = re.compile(r"(?:OBX\|(?:[^|\n]*\|){4}|NTE\|(?:[^|\n]*\|){2})")
# Escape sequences of HL7 v2 formatted text: a line break (``\.br\``, ``\.sp\``, ``\.ce\``, a CR or LF in hex; a CR
# and LF together are one), a delimiter written as its escape, and formatting commands that are no text.
_ESCAPE = re.compile(r"\\(?:(?P<br>\.br|\.sp[ \d]*|\.ce|X0D(?:\\\\X0A|0A)?|X0A)|(?P<char>[TSFRE])"
                     r"|\.(?:fi|nf|in[ +-]*\d*|ti[ +-]*\d*)|[HN])\\")
_DELIMITERS = {"T": "&", "S": "^", "F": "|", "R": "~", "E": "\\"}
# A line whose ``~`` are HL7 repetitions used as line breaks: two or more of them open a header ("~FINDINGS:");
# a ``~`` of another line is the writer's "about" ("~5 mm") or markdown's strike-through ("~~nodule~~").
_REPETITION_HEADER = re.compile(r"~[A-Z][A-Za-z /&]{1,30}:")
_MIN_REPETITION_HEADERS = 2
_MIN_TAGGED_LINES = 2  # one tagged line is a line that happens to open like a tag
_WRAP_WIDTH = 40  # a tagged line this long that stops mid-phrase reached its export's fixed width: a wrap


@dataclass(frozen=True)
class TransportView:
    """The note with its transport marks read (same length) and the offsets of the line breaks that the transport
    made (a segment boundary, the end of a tagged line that filled its width): each may be a wrap."""

    text: str
    breaks: list[int]


def transport_view(text: str) -> TransportView:
    """``text`` with HL7 segment fields, escapes, repetitions and line tags read as the layout they stand for."""
    view, breaks = text, []
    if "|" in view and next(at_line_starts(_SEGMENT, view), None) is not None:
        view, breaks = _segment_texts(view)
    if "~" in view:
        view = _repetition_breaks(view)
    if "\\" in view:
        view = _ESCAPE.sub(_escaped, view)
    tagged = _tagged_lines(view)
    if tagged:
        view, tag_breaks = _untagged(view, tagged)
        breaks = sorted(set(breaks) | set(tag_breaks))
    return TransportView(view, breaks)


def _segment_texts(text: str) -> tuple[str, list[int]]:
    """Segment lines with only the report text of text segments left; the line break before a text segment that
    follows another one is a transport break (a report split over segments goes on in the next one)."""
    chars = list(text)
    breaks: list[int] = []
    previous_text_end = -1  # the line break ending the last text segment, while only text segments follow
    for match in at_line_starts(_SEGMENT, text):
        start = match.start()
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        fields = _TEXT_SEGMENT.match(text, start)
        if fields is None:
            _blank(chars, start, line_end)
            previous_text_end = -1
            continue
        field_end = text.find("|", fields.end(), line_end)
        _blank(chars, start, fields.end())
        if field_end >= 0:
            _blank(chars, field_end, line_end)
        if previous_text_end >= 0 and previous_text_end == start - 1:
            breaks.append(previous_text_end)
        previous_text_end = line_end
    return "".join(chars), breaks


def _blank(chars: list[str], start: int, end: int) -> None:
    """Blanks ``chars[start:end]`` in place."""
    chars[start:end] = " " * (end - start)


def _repetition_breaks(text: str) -> str:
    """Every ``~`` of a line that uses them as line breaks is one."""
    lines = text.split("\n")
    return "\n".join(line.replace("~", "\n") if _repeats(line) else line for line in lines)


def _repeats(line: str) -> bool:
    """The line's ``~`` are HL7 repetitions: two or more open a header."""
    headers = _REPETITION_HEADER.finditer(line)
    return sum(1 for _ in zip(range(_MIN_REPETITION_HEADERS), headers, strict=False)) == _MIN_REPETITION_HEADERS


def _escaped(match: re.Match) -> str:
    """An escape sequence as what it stands for, padded with blanks to its length: a line break ends the run."""
    width = len(match.group())
    if match.group("br") is not None:
        return " " * (width - 1) + "\n"
    char = match.group("char")
    if char is not None:
        return " " + _DELIMITERS[char] + " "
    return " " * width


def _tagged_lines(text: str) -> list[re.Match]:
    """The line tags of a text export that tags every line (a line number, ``TX|``): none where a line has none."""
    pattern = _line_tag()
    if not pattern.match(text, len(text) - len(text.lstrip())):
        return []  # the first line has none: most notes, found at once
    tags = list(at_line_starts(pattern, text))
    lines = sum(1 for line in text.split("\n") if line.strip())
    if len(tags) < _MIN_TAGGED_LINES or len(tags) < lines:
        return []
    return tags


def _untagged(text: str, tags: list[re.Match]) -> tuple[str, list[int]]:
    """``text`` with the line tags blanked, and the line breaks after a line that filled its width mid-phrase."""
    chars = list(text)
    breaks: list[int] = []
    for tag in tags:
        _blank(chars, tag.start(), tag.end())
        line_end = text.find("\n", tag.end())
        if line_end >= 0 and len(text[tag.end() : line_end].rstrip()) >= _WRAP_WIDTH:
            breaks.append(line_end)
    return "".join(chars), breaks


@cache
def _line_tag() -> re.Pattern:
    """A tag at a line start (``line_tags`` in sections.yaml) with the blanks after it."""
    tags = "|".join(f"(?:{p})" for p in load_sections_rules().line_tags) or "(?!)"
    return re.compile(rf"(?m)^(?:{tags})[ \t]*")
