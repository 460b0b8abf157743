"""Korean typesetting helpers: 어절 line breaking and glyph coverage.

WeasyPrint 70 ignores ``word-break: keep-all`` and breaks Hangul between
any two syllables. Korean print breaks lines only at spaces (between
어절), so each space-delimited word is wrapped in a no-wrap span; the
spaces between spans remain the only break opportunities.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from fontTools.ttLib import TTFont
from markupsafe import Markup, escape

from leaflets.project import FONTS

FONT_FILES = ("NanumSquareR.ttf", "NanumSquareB.ttf")
_SPACE = re.compile(r"[ \t]+")


def keep_words(text: str, mark: str | None = None) -> Markup:
    """Escape ``text`` and mark it up so lines break only between words.

    A newline in the text forces a line break. Occurrences of ``mark``
    (e.g. the service name) get ``class="mark"`` for emphasis. That is all
    the markup data can cause: everything else is escaped, so typed HTML
    prints as text.
    """
    lines = []
    for line in str(text).split("\n"):
        words = [_word(w, mark) for w in _SPACE.split(line.strip()) if w]
        lines.append(" ".join(f'<span class="w">{w}</span>' for w in words))
    return Markup("<br>".join(lines))


def _word(word: str, mark: str | None) -> Markup:
    if not mark or mark not in word:
        return escape(word)
    marked = Markup('<span class="mark">{}</span>').format(mark)
    return marked.join(escape(part) for part in word.split(mark))


class FontCoverage:
    """The set of code points every project font can draw."""

    def __init__(self, paths):
        maps = [set(TTFont(path, lazy=True).getBestCmap()) for path in paths]
        self.codepoints = frozenset(set.intersection(*maps))

    def first_missing(self, text: str) -> str | None:
        """The first character of ``text`` the fonts cannot draw, or None."""
        for char in text:
            if char.isspace():
                continue
            if ord(char) not in self.codepoints:
                return char
        return None


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
