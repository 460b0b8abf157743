"""Reading the project's TOML data files: one place for the file and syntax errors.

Every data file (content, production, 동) is read the same way: a missing or
unreadable file, a file that is not UTF-8, or a TOML syntax error is a
DataError naming the file (and the line), never a traceback.
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


def parse_toml(raw: bytes, path: Path, *, hint: str | None = None) -> dict:
    """The TOML document in ``raw``. On a syntax error the DataError names the line;
    with ``hint`` it also shows that line and the hint on how to write values."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(path, "(파일)", "UTF-8 텍스트 파일이 아닙니다") from None
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
