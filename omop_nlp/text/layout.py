"""Page layout of legacy RIS exports and faxed reports, read as a view over the note text.

A legacy system hard-wraps an upper-case report at a fixed width mid-phrase ("IN THE RIGHT" / "UPPER LOBE",
"CONSOLI-" / "DATION"), and a fax or scan puts page headers and footers inside a sentence. The view has the
note's length, so every offset into it is an offset into the note: page furniture becomes blanks, a wrap
newline a blank, and a hyphen split at a wrap a run of ``JOINER`` that the tokenizer reads inside a word.
This module alone decides which line breaks are wraps; sentences end at the line breaks the view keeps.

Markdown (a web reporting tool's or a drafting assistant's report) is layout too: emphasis, heading and quote marks
are blanks, and a table row reads as a line whose first cell heads the others ("| RUL | solid
nodule | 6 mm |" as "RUL: solid nodule; 6 mm."), as a writer of plain text puts a place or a field before what is
said of it. Struck draft text (``~~...~~``) keeps its words and marks (a struck phrase and the correction after it
stay in the sentence they edit): ``struck_spans`` gives where it stands.
"""

from __future__ import annotations

import re
from functools import cache

from omop_nlp.rules.sections import load_section_words, load_sections_rules
from omop_nlp.text.sections import Section, at_line_starts, load_section_rules
from omop_nlp.text.transport import transport_view

JOINER = "\x00"  # never in a note (checked_text blanks NULs): the tokenizer keeps it inside a word and drops it
_MIN_WRAPPED_LINES = 2  # one long line without a full stop is a title; two or more are a wrapped report
# A wrap: a line that stops on a word, a comma or a closing bracket, then a line that goes on with a word, a number
# or a bracket (not a heading: "IMPRESSION:" still starts its section).
_WRAP = re.compile(r"(?<=[A-Za-z0-9,)%])[ \t]*\n[ \t]*(?=[A-Za-z0-9(])(?![A-Z][A-Za-z/&# ]{0,30}:)")
_PLAIN_BLANKS = str.maketrans("\f\u00a0", "  ")  # a form feed opens a page's first line ("\fIMPRESSION:")
_HYPHEN_WRAP = re.compile(r"(?<=[A-Za-z])-[ \t]*\n[ \t]*(?=[A-Za-z])")


def layout_view(text: str) -> str:
    """``text`` as read for sentences and words: the same text where it has no page furniture, no hard wrap, no
    HL7 transport mark (text/transport.py) and no Markdown mark."""
    if "\f" in text or "\u00a0" in text:  # a PDF's page break, its no-break space: a blank to every pattern below
        text = text.translate(_PLAIN_BLANKS)
    transport = transport_view(text)
    view = _joined_transport_breaks(_markdown_view(transport.text), transport.breaks)
    furniture: list[tuple[int, int]] = []
    wrapped_lines = 0
    for match in at_line_starts(_layout_lines(), view):  # one pass: most notes match nothing
        if match.group("furniture") is not None:  # with the line break before it: the next line goes on
            start = match.start()
            furniture.append((start - 1 if start and view[start - 1] == "\n" else start, match.end()))
        else:
            wrapped_lines += 1
    wrapped = wrapped_lines >= _MIN_WRAPPED_LINES
    for start, end in furniture + _running_lines(view):
        view = view[:start] + " " * (end - start) + view[end:]
    if wrapped:
        view = _HYPHEN_WRAP.sub(_joined, view)
        view = _WRAP.sub(lambda m: " " * len(m.group()), view)
    else:
        view = _SPLIT_WORD.sub(_joined, view)
    return _join_continued_lines(view)


def _joined(match: re.Match) -> str:
    """A hyphen split at a line end, read inside the word (the tokenizer drops ``JOINER``)."""
    return JOINER * len(match.group())


# A page's running header or footer in a PDF's text: a line with its page number ("Confidential · Page 1 of 2"), and a
# line beside it that repeats the note's first line (the letterhead, "(continued)" after it).
_PAGE_NUMBER = re.compile(r"[Pp](?:age|AGE)[ \t]+\d+[ \t]*(?:of|OF)[ \t]*\d+")
_LETTERHEAD_CHARS = 15  # a shorter first line ("CT chest.") is a title that a report may well repeat
# A word split at a line end in text of both cases, a lower-case letter on each side ("pleu-" / "ral effusion"): the
# line break of a typeset or portal page. Searched from the hyphen, a literal: a note without one is passed at once.
_SPLIT_WORD = re.compile(r"-(?<=[a-z]-)[ \t]*\n[ \t]*(?=[a-z])")


def _running_lines(view: str) -> list[tuple[int, int]]:
    """The spans of a PDF's running headers and footers, each with the line break before it, so that a sentence or
    word that a page break cut goes on after them ("atelec-" / header / "tasis")."""
    if "Page " not in view and "page " not in view and "PAGE " not in view:
        return []  # no page number: most notes, by substring tests alone
    numbered = [_line_at(view, m.start()) for m in _PAGE_NUMBER.finditer(view)]
    if not numbered:
        return []
    first = view[: view.find("\n")].strip(" \t\f")
    if len(first) >= _LETTERHEAD_CHARS:
        numbered += [line for start, end in numbered for line in (_line_at(view, start - 1), _line_at(view, end + 1))
                     if line[0] > 0 and view[line[0] : line[1]].lstrip(" \t\f").startswith(first)]
    return [(start - 1 if start and view[start - 1] == "\n" else start, end) for start, end in numbered]


def _line_at(view: str, offset: int) -> tuple[int, int]:
    """The span of the line that holds ``offset``, without its line break (an offset past either end: that end's
    line)."""
    offset = min(max(offset, 0), len(view))
    end = view.find("\n", offset)
    return view.rfind("\n", 0, offset) + 1, len(view) if end < 0 else end


def _joined_transport_breaks(view: str, breaks: list[int]) -> str:
    """``view`` with the transport's line breaks (a segment boundary, a full tagged line) that fall mid-phrase
    blanked: a sentence split over two OBX segments or hard-wrapped in a tagged export goes on."""
    for offset in reversed(breaks):
        start = offset
        while start > 0 and view[start - 1] in " \t":
            start -= 1
        wrap = _WRAP.match(view, start)
        if wrap is not None:
            view = view[: wrap.start()] + " " * (wrap.end() - wrap.start()) + view[wrap.end() :]
    return view


# Markdown: its marks, tested for first (substring tests and patterns that open with a literal: a note without any is
# passed over at once), then the kinds of mark blanked or rewritten
_MARKDOWN_OPENING = re.compile(r"[ \t]*[#>]")
_MARKDOWN_LINE = re.compile(r"\n[ \t]*[#>]")
_STRONG = re.compile(r"(?<!\*)\*\*(?![\s*])[^*\n]+?(?<![\s*])\*\*(?!\*)")  # "**Lungs:**", not "*** FINAL ***"
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])[^*\n]*?(?<=[^\s*])\*(?![\w*])")  # "*Edited by radiologist:*"
# a heading's "#"s (not a table's "#" column), a quote's ">"s (not "> 5 mm" opening a line: a size bound)
_LINE_MARKS = re.compile(r"(?m)^[ \t]*(?:#{1,6}(?=[ \t]+[^|\s])|>(?:[ \t]*>)*(?![ \t]*\d))")
_TABLE_ROW = re.compile(r"(?m)^[ \t]*\|[^\n]*\|[ \t]*$")
_BARE_ROW = re.compile(r"(?m)^[ \t]*[^|\s][^|\n]*(?:\|[^|\n]*){2,}$")  # "Zone | GGO | Honeycombing"
_TABLE_RULE = frozenset("|-: \t")  # the row under a table's header: "| --- | :---: |"
_DASHES = frozenset(" \t-\u2012\u2013\u2014\u2015")  # a cell with nothing to say: "—", "-", "–"
_STRUCK = re.compile(r"~~(?=\S)[^~\n]+?~~")


def struck_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds struck text (``~~...~~``): a draft's words that the signing radiologist removed. They
    are the draft's, not the report's: what they name is withdrawn, and their places, changes and triggers are no
    one's (the annotator reads them so)."""
    if "~~" not in text:
        return []
    return [match.span() for match in _STRUCK.finditer(text)]


def table_columns(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Each body cell with something to say, from a table's second column on, with the header cell of its column:
    (header span, cell span), offsets into ``text``. In a table whose header names a finding per column ("| Zone |
    GGO | Honeycombing |"), a cell says that finding of the row's place ("| Lower, both | moderate | absent |");
    the annotator decides which headers name one. Only a table with its separator row under the header counts."""
    if "|" not in text:
        return []
    pairs = _bare_table_columns(text)
    rows = list(_TABLE_ROW.finditer(text))
    table: list[re.Match] = []
    for row in [*rows, None]:
        if row is not None and table and row.start() == table[-1].end() + 1:
            table.append(row)
            continue
        if len(table) > 2 and _TABLE_RULE.issuperset(table[1].group()):
            header = _cells(table[0])
            pairs += [(header[column], cell) for body in table[2:]
                      for column, cell in enumerate(_cells(body)[1 : len(header)], start=1)
                      if not _DASHES.issuperset(text[cell[0] : cell[1]])]
        table = [row] if row is not None else []
    return pairs


def _bare_table_columns(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``table_columns`` of a table exported without outer bars or a separator row (an SR viewer's "Region | GGO |
    Honeycombing" over "Lower lobes | present | absent"): rows of three cells or more on consecutive lines, as many
    in each, the first row the header where it holds no number ("1 | RUL mass | 31 mm" is a row of data)."""
    pairs: list[tuple[tuple[int, int], tuple[int, int]]] = []
    table: list[re.Match] = []
    for row in [*_BARE_ROW.finditer(text), None]:
        if row is not None and table and row.start() == table[-1].end() + 1 and \
                row.group().count("|") == table[0].group().count("|"):
            table.append(row)
            continue
        if len(table) > 1 and not any(c.isdigit() for c in table[0].group()):  # a header names, it does not measure
            header = _split(table[0])
            pairs += [(header[column], cell) for body in table[1:]
                      for column, cell in enumerate(_split(body)[1:], start=1)
                      if not _DASHES.issuperset(text[cell[0] : cell[1]])]
        table = [row] if row is not None else []
    return pairs


def _split(row: re.Match) -> list[tuple[int, int]]:
    """The spans of a bare row's cells, blanks around their text left out."""
    spans, start = [], row.start()
    for end in [*(m.start() for m in re.finditer(r"\|", row.group())), len(row.group())]:
        cell = row.group()[start - row.start() : end]
        stripped = cell.strip(" \t")
        first = start + len(cell) - len(cell.lstrip(" \t"))
        spans.append((first, first + len(stripped)))
        start = row.start() + end + 1
    return spans


def _cells(row: re.Match) -> list[tuple[int, int]]:
    """The spans of a table row's cells, blanks around their text left out."""
    text, spans = row.string, []
    bar = text.index("|", row.start())
    end = text.rindex("|", bar, row.end())
    while bar < end:
        after = text.index("|", bar + 1)
        start, stop = bar + 1, after
        while start < stop and text[start] in " \t":
            start += 1
        while stop > start and text[stop - 1] in " \t":
            stop -= 1
        spans.append((start, stop))
        bar = after
    return spans


def _markdown_view(text: str) -> str:
    """``text`` with its Markdown marks blanked and its table rows read as lines: a bold label ("**Effusion:** No
    effusion.") is the plain field it marks, so an answer right after its colon still answers it."""
    if not _has_markdown(text):
        return text
    text = _STRONG.sub(lambda m: "  " + m.group()[2:-2] + "  ", text)
    text = _ITALIC.sub(lambda m: " " + m.group()[1:-1] + " ", text)
    text = _LINE_MARKS.sub(_blank, text)
    return _TABLE_ROW.sub(_table_line, text)


def _has_markdown(text: str) -> bool:
    """``text`` may hold a Markdown mark: emphasis, struck text, a table, a heading or a quote."""
    if "*" in text or "~~" in text or "|" in text:
        return True
    if "#" not in text and ">" not in text:
        return False  # no line mark either: most notes, by substring tests alone
    return _MARKDOWN_OPENING.match(text) is not None or _MARKDOWN_LINE.search(text) is not None


def _blank(match: re.Match) -> str:
    return " " * len(match.group())


def _table_line(match: re.Match) -> str:
    """A table row as the line a writer would put it in: the first cell heads the others ("RUL:"), the others are a
    list of what is said of it (a change cell after a finding is said of that finding, "gliosis, unchanged"), and
    the row ends a sentence. The opening bar stays, as a bullet would: a row is no section header, so an organ's row
    ("| Thyroid | nodule |") says nothing of the rows below it. A cell of dashes says nothing ("| LLL | — | — |"
    denies nothing). The header's separator row stays as it is: a line of punctuation, no sentence (a long blank
    line would cost the header patterns of text/sections.py time)."""
    row = match.group()
    if _TABLE_RULE.issuperset(row):
        return row
    lead = len(row) - len(row.lstrip())
    cells = row[lead:].rstrip().split("|")[1:-1]
    marks = [":", *[","] * (len(cells) - 2), "."] if len(cells) > 1 else ["."]
    line = row[: lead + 1]
    for cell, mark in zip(cells, marks, strict=True):
        said = cell.rstrip()
        if _DASHES.issuperset(said):
            said, mark = " " * len(said), " " if mark == "," else mark
        line += said + mark + " " * (len(cell) - len(said))
    return line + row[len(line):]


def _join_continued_lines(view: str) -> str:
    """``view`` with the line breaks after an upper-case line that stops on a word no sentence ends with ("NO",
    "IN THE", "AND": ``continuing_words``) blanked: in a report written in capitals, case cannot tell a continued
    sentence, so a line wrapped at any width ("... NO" / "PNEUMOTHORAX.") goes on below. A line break before a
    header or at the end of a history line still ends its section."""
    if not _continued_line_end_marks().search(view):
        return view  # no line ends on a capital that ends a continuing word: most notes, found at once
    candidates = [m.end() - 1 for m in _continued_line_ends().finditer(view)]  # the "\n"
    if not candidates:
        return view
    sections = load_section_rules().split(view)
    breaks = [o for o in candidates if _continues(view, _section_at(sections, o), o)]
    for offset in breaks:
        view = view[:offset] + " " + view[offset + 1 :]
    return view


def _section_at(sections: list[Section], offset: int) -> Section | None:
    """The section whose text goes on past the line break at ``offset`` (None: a section ends there)."""
    return next((s for s in sections if s.start <= offset and offset + 1 < s.end), None)


def _continues(view: str, section: Section | None, offset: int) -> bool:
    """The line before ``offset`` (from its section's start: a header on the line is not its case) is upper case
    and stops on a continuing word; a lower-case next line goes on anyway, a line-per-finding list stops on nouns."""
    if section is None:
        return False
    end = offset
    while end > section.start and view[end - 1] in " \t":
        end -= 1
    line = view[max(section.start, view.rfind("\n", section.start, end) + 1) : end]
    return line.isupper() and line.rsplit(None, 1)[-1].lower() in load_section_words("continuing_words")


@cache
def _continued_line_ends() -> re.Pattern:
    """A continuing word in capitals at the end of a line: where a wrap may be (``_continues`` decides)."""
    words = sorted((re.escape(w.upper()) for w in load_section_words("continuing_words")), key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(words) or '(?!)'})[ \t]*\n")


@cache
def _continued_line_end_marks() -> re.Pattern:
    """What every match of ``_continued_line_ends`` ends with: a continuing word's last letter, blanks, a line break.
    Searched for first, as the regex engine finds a pattern that opens with a set of characters without trying its
    every offset, and a note without one has no continued line."""
    last = "".join(sorted({w.upper()[-1] for w in load_section_words("continuing_words")}))
    return re.compile(rf"[{re.escape(last)}][ \t]*\n" if last else "(?!)")


@cache
def _layout_lines() -> re.Pattern:
    """A line of page furniture only, or an upper-case line of at least 40 characters that stops without a full stop
    or colon (on a word, a comma, a bracket or a hyphen): the mark of a report hard-wrapped at a fixed width."""
    items = "|".join(f"(?:{p})" for p in load_sections_rules().page_furniture) or "(?!)"
    return re.compile(rf"(?m)^(?:(?P<furniture>[ \t]*+(?i:(?:{items})[ \t]*+)+$)|[^\na-z]{{39,}}[A-Z,)-]$)")
