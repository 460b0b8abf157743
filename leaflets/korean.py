"""Korean typesetting functions: 어절 line breaking and glyph coverage.

WeasyPrint 70 ignores ``word-break: keep-all`` and breaks Hangul between
any two syllables. Korean print breaks lines only at spaces (between
어절), so each space-delimited word is wrapped in a no-wrap span; the
spaces between spans remain the only break opportunities.
"""

from __future__ import annotations

import functools
import re
import struct
import unicodedata

from fontTools.ttLib import TTFont
from markupsafe import Markup, escape

from leaflets.project import FONTS

FONT_FILES = ("NanumSquareR.ttf", "NanumSquareB.ttf")
_SPACE = re.compile(r"[ \t]+")


BOLD = "**"  # the one markup a text field may hold: **굵게**


def keep_words(text: str, mark: str | None = None, *, markup: bool = False,
               no_widow: bool = False) -> Markup:
    """Escape ``text`` and mark it up so lines break only between words.

    A newline in the text forces a line break. Occurrences of ``mark``
    (e.g. the service name) get ``class="mark"`` for emphasis. With ``markup``,
    text between a pair of ``**`` is set in <strong> (the content file has
    checked that the markers pair up); without it ``**`` prints as typed. With
    ``no_widow``, a line of three or more words keeps its last two together, so
    a single short word never stands alone on the last line. That is all the
    markup data can cause: everything else is escaped, so typed HTML prints as
    text.
    """
    lines = []
    for line in str(text).split("\n"):
        bold = False
        words = []
        for word in _SPACE.split(line.strip()):
            if word:
                html, bold = _word(word, mark, bold if markup else None)
                words.append(html)
        if no_widow and len(words) >= 3:
            words[-2:] = [Markup(" ").join(words[-2:])]
        lines.append(" ".join(f'<span class="w">{w}</span>' for w in words))
    return Markup("<br>".join(lines))


def _word(word: str, mark: str | None, bold: bool | None) -> tuple[Markup, bool | None]:
    """One word as HTML; ``bold`` is None without markup, else whether the word starts
    inside a ``**`` pair. Return the HTML and whether the next word starts bold."""
    pieces = [word] if bold is None else word.split(BOLD)
    html = []
    for number, piece in enumerate(pieces):
        if number:
            bold = not bold
        if piece:
            part = _marked(piece, mark)
            html.append(Markup("<strong>{}</strong>").format(part) if bold else part)
    return Markup("").join(html), bold


def _marked(text: str, mark: str | None) -> Markup:
    if not mark or mark not in text:
        return escape(text)
    marked = Markup('<span class="mark">{}</span>').format(mark)
    return marked.join(escape(part) for part in text.split(mark))


def unpaired_bold(text: str) -> bool:
    """Whether ``text`` holds an odd number of ``**`` markers."""
    return any(line.count(BOLD) % 2 for line in str(text).split("\n"))


class FontCoverage:
    """The set of code points every project font can draw."""

    def __init__(self, paths):
        maps = [mapped_codepoints(TTFont(path, lazy=True).reader["cmap"]) for path in paths]
        self.codepoints = frozenset(set.intersection(*maps))

    def first_missing(self, text: str) -> str | None:
        """The first character of ``text`` the fonts cannot draw, or None."""
        for char in text:
            if char.isspace():
                continue
            if ord(char) not in self.codepoints:
                return char
        return None


# Unicode cmap subtables, best first (as fontTools' getBestCmap orders them)
_UNICODE_CMAPS = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def mapped_codepoints(cmap: bytes) -> set[int]:
    """Code points the best Unicode subtable of a raw ``cmap`` table maps to a glyph.

    Read straight from the table (formats 4 and 12): fontTools would first name
    every glyph of the font, a tenth of a second for a Hangul font on each command.
    """
    _, count = struct.unpack_from(">HH", cmap)
    records = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * index)
        records.setdefault((platform, encoding), offset)
    for key in _UNICODE_CMAPS:
        offset = records.get(key)
        if offset is None:
            continue
        fmt = struct.unpack_from(">H", cmap, offset)[0]
        if fmt == 12:
            groups = struct.unpack_from(">I", cmap, offset + 12)[0]
            points = set()
            for start, end, glyph in struct.iter_unpack(
                    ">III", cmap[offset + 16:offset + 16 + 12 * groups]):
                points.update(c for c in range(start, end + 1) if glyph + c - start)
            return points
        if fmt == 4:
            return _format4(cmap, offset)
    raise ValueError("no Unicode cmap subtable of format 4 or 12")


def _format4(cmap: bytes, offset: int) -> set[int]:
    segments = struct.unpack_from(">H", cmap, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", cmap, offset + 14)
    starts = struct.unpack_from(f">{segments}H", cmap, offset + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", cmap, offset + 16 + 4 * segments)
    range_at = offset + 16 + 6 * segments
    ranges = struct.unpack_from(f">{segments}H", cmap, range_at)
    points = set()
    for i, (start, end, delta, range_offset) in enumerate(zip(starts, ends, deltas, ranges,
                                                              strict=True)):
        for c in range(start, end + 1):
            if c == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (c + delta) & 0xFFFF
            else:
                at = range_at + 2 * i + range_offset + 2 * (c - start)
                glyph = struct.unpack_from(">H", cmap, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                points.add(c)
    return points


@functools.cache
def font_coverage() -> FontCoverage:
    """Coverage of the committed fonts, loaded once per process."""
    return FontCoverage([FONTS / name for name in FONT_FILES])


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """Pad ``text`` to ``width`` terminal columns, on the right (or the left if ``right``)."""
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space
