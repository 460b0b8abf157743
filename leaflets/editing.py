"""Edits of the data files from a form: same validation as the CLI, nothing lost.

Every save checks the version the editor started from (SHA-256 of the file
bytes): if someone saved in between, the save is refused and nothing is
written. The new text is validated by the same parser the CLI uses before
it replaces the file; the previous version is kept beside it (``.prev``).
tomlkit keeps the file's comments and layout.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import tomlkit

from leaflets.content import parse_content
from leaflets.dongs import FIELDS, load_dongs
from leaflets.errors import LeafletsError


class StaleEdit(LeafletsError):
    """The file changed since the editor loaded it."""


def version(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_content(path: Path, expected: str, fees: list[dict], steps: list[str],
                 note: str) -> str:
    """Replace the fee rows and how-to texts of the content file; return the new version."""
    path = Path(path)
    old = path.read_bytes()
    _check_version(path, old, expected)
    doc = tomlkit.parse(old.decode("utf-8"))
    rows = doc["fees"]
    for index, fee in enumerate(fees):
        if index < len(rows):
            for key, value in fee.items():
                rows[index][key] = value
        else:
            table = tomlkit.table()
            table.update(fee)
            rows.append(table)
    while len(rows) > len(fees):
        rows.pop()
    doc["howto"]["steps"] = steps
    doc["howto"]["note"] = note
    new = tomlkit.dumps(doc).encode("utf-8")
    parse_content(new, path)  # DataError names file, field and value, nothing written
    _replace(path, old, new)
    return hashlib.sha256(new).hexdigest()


def save_dong(path: Path, expected: str, name: str, fields: dict[str, str],
              image: tuple[str, bytes] | None = None) -> str:
    """Update one 동's fields (and image) in the dongs file; return the new version."""
    path = Path(path)
    old = path.read_bytes()
    _check_version(path, old, expected)
    doc = tomlkit.parse(old.decode("utf-8"))
    row = next((r for r in doc["dongs"] if r.get("name") == name), None)
    if row is None:
        raise LeafletsError(f"'{name}'은(는) 동 파일에 없습니다")
    for key in FIELDS:
        value = fields.get(key, "").strip()
        if value:
            row[key] = value
        elif key in row:
            del row[key]
    written = None
    if image is not None:
        suffix, data = image
        folder = path.parent / "images"
        folder.mkdir(exist_ok=True)
        written = folder / f"{name}{suffix}"
        previous_image = written.read_bytes() if written.exists() else None
        written.write_bytes(data)
        row["image"] = f"images/{name}{suffix}"
    new = tomlkit.dumps(doc).encode("utf-8")
    staged = path.with_name(f".{path.name}.check")
    try:
        staged.write_bytes(new)
        load_dongs(staged)  # the same checks as the CLI, images included
    except BaseException:
        if written is not None:  # put the old picture back
            if previous_image is None:
                written.unlink(missing_ok=True)
            else:
                written.write_bytes(previous_image)
        raise
    finally:
        staged.unlink(missing_ok=True)
    _replace(path, old, new)
    return hashlib.sha256(new).hexdigest()


def _check_version(path, old, expected):
    if hashlib.sha256(old).hexdigest() != expected:
        raise StaleEdit(f"{path.name}을(를) 그 사이에 다른 사람이 저장했습니다. "
                        "저장하지 않았습니다: 새로 불러온 내용을 확인하고 다시 고쳐 주세요")


def _replace(path: Path, old: bytes, new: bytes):
    """Keep the previous version as ``<name>.prev``; swap the new one in atomically."""
    previous = path.with_name(path.name + ".prev")
    previous.write_bytes(old)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(handle, "wb") as stream:
        stream.write(new)
    os.replace(temporary, path)
