"""Reading the project's TOML data files: one place for the file and syntax errors.

Every data file (content, production, 동) is read the same way: a missing or
unreadable file, a file that is not UTF-8, a TOML syntax error, a number too
long for Python or nesting too deep for its stack is a DataError naming the
file (and the line), never a traceback.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from leaflets.errors import DataError


def read_file(path: Path) -> bytes:
    """The bytes of ``path``; DataError when it is missing or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "(파일)", "파일을 찾을 수 없습니다") from None
    except OSError as error:
        raise DataError(path, "(파일)", f"파일을 읽을 수 없습니다: {error.strerror}") from None


BOM = "\ufeff"
SAVE_AS_UTF8 = ("메모장에서 파일을 열고 [파일] → [다른 이름으로 저장] → 아래쪽 [인코딩]에서 "
                "'UTF-8'을 고른 뒤 저장해 주세요")


def decode(raw: bytes, path: Path) -> str:
    """The text of a data file: UTF-8, with or without the BOM that Windows 메모장
    writes (dropped here). A file saved as "ANSI" (CP949 on Korean Windows) gets a
    message that says how to save it as UTF-8."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            raw.decode("cp949")
        except UnicodeDecodeError:
            raise DataError(path, "(파일)", "UTF-8 텍스트 파일이 아닙니다",
                            allowed=SAVE_AS_UTF8) from None
        raise DataError(path, "(파일)", "한글 완성형(ANSI, CP949)으로 저장된 파일입니다. "
                        "UTF-8 로 저장해야 읽을 수 있습니다", allowed=SAVE_AS_UTF8) from None
    return text.removeprefix(BOM)


def parse_toml(raw: bytes, path: Path, *, hint: str | None = None) -> dict:
    """The TOML document in ``raw``. On a syntax error the DataError names the line;
    with ``hint`` it also shows that line and the hint on how to write values."""
    text = decode(raw, path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        line = int(match.group(1)) if match else None
        shown = None
        if hint is not None:
            lines = text.splitlines()
            shown = lines[line - 1].strip() if line and line <= len(lines) else None
        raise DataError(path, "(문법)", f"TOML 문법 오류 ({error})", value=shown, line=line,
                        allowed=hint) from None
    except ValueError:  # Python reads no integer of more than 4300 digits
        match = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        shown = f"{match.group()[:20]}… ({len(match.group())}자리)" if match else None
        raise DataError(path, "(값)", "숫자가 너무 깁니다", value=shown, line=line,
                        allowed="금액·부수 등은 보통의 숫자 (예: 1000)") from None
    except RecursionError:
        raise DataError(path, "(문법)", "목록([ ])이나 표({ })가 너무 깊게 겹쳐 있습니다",
                        line=_deep_line(text), allowed=f"{MAX_DEPTH}단계 이하") from None


MAX_DEPTH = 100
_LONG_NUMBER = re.compile(r"\d(?:_?\d){4300,}")


def _deep_line(text: str) -> int | None:
    """The line where brackets first nest deeper than MAX_DEPTH (a hint: quotes and
    comments are not skipped, as the file is already known to be broken)."""
    depth, line = 0, 1
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "\n":
            line += 1
    return None
