"""The one rule for characters in every text field of every data file.

A control character (C0, C1, DEL) or an invisible format character prints as
a box, silently vanishes, or — a bidi override — reorders what a reader sees
against what the file says. None of them belongs in a leaflet, so each text
is checked here before anything else looks at it; a line feed is allowed
only where the field may hold more than one line.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from leaflets.errors import DataError

# Explicit bidi controls are category Cf too; they are named so the message says why.
BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
_REFUSED_CATEGORIES = ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")


def forbidden_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that no text field may hold, or None."""
    for char in text:
        if char == "\n" and multiline:
            continue
        if ord(char) in BIDI or unicodedata.category(char) in _REFUSED_CATEGORIES:
            return char
    return None


def check_text(path: str | Path, field: str, text: str, *, multiline: bool = False):
    """Raise DataError naming ``path``, ``field`` and the code point if ``text`` holds a
    character from :func:`forbidden_char`."""
    char = forbidden_char(text, multiline=multiline)
    if char is None:
        return
    code = f"U+{ord(char):04X}"
    if ord(char) in BIDI:
        kind = "글자 방향을 바꾸는 보이지 않는 문자"
    elif char == "\n":
        kind = "줄바꿈"
    elif unicodedata.category(char) == "Cc":
        kind = "제어 문자"
    else:
        kind = "보이지 않는 특수 문자"
    raise DataError(path, field, f"{kind}({code})가 있습니다. 인쇄물에 쓸 수 없으니 지워 주세요",
                    value=text, allowed="보이는 글자와 띄어쓰기"
                    + (", 줄바꿈(\\n)" if multiline else ""))


def strings(node, where: str = ""):
    """Yield (field, text) for every string in a parsed TOML tree, keys included."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            field = f"{where}.{key}" if where else key
            yield field, key
            yield from strings(value, field)
    elif isinstance(node, list):
        for number, value in enumerate(node, start=1):
            yield from strings(value, f"{where}[{number}]")


def check_strings(path: str | Path, doc: dict, *, multiline: bool = True):
    """:func:`check_text` on every string of a parsed data file (keys too); line feeds
    are left to each field's own rule when ``multiline``."""
    for field, text in strings(doc):
        check_text(path, field, text, multiline=multiline)
