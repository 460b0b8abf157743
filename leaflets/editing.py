"""Edits of the data files from a form: same validation as the CLI, nothing lost.

Every save goes through :func:`leaflets.shared.update` (a lock per file, the
version the editor started from compared under it, the new text validated in
memory, an atomic replace that keeps the file's mode and a ``.prev``). tomlkit
keeps the file's comments and layout.

A 동 save is versioned by that 동's own record, so 17 동 saving at once never
refuse each other; it is accepted only when ``check`` (the same fit, picture
and preflight checks as a build: :mod:`leaflets.admission`) passes for the new
block. An uploaded picture is normalised first (:func:`leaflets.pictures.normalise`)
and stored under a name made from its content, so a save in progress never
overwrites a picture another version of the file refers to.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

import tomlkit

from leaflets.content import parse_content
from leaflets.dongs import FIELDS, Dong, parse_dongs
from leaflets.errors import DataError, LeafletsError
from leaflets.pictures import normalise
from leaflets.shared import StaleEdit, file_version, update, version, write_atomic
from leaflets.tomlfile import BOM, decode, read_file

__all__ = ["StaleEdit", "dong_version", "form_text", "preview_content", "preview_dong",
           "save_content", "save_dong", "version", "file_version"]

ORPHAN_AGE = 3600  # seconds: an unreferenced picture younger than this may be a save in progress
_PICTURE = re.compile(r"^(?P<dong>.+)-[0-9a-f]{12}\.(png|jpg)$")


def form_text(value: str) -> str:
    """Text from a browser form as the data files hold it: CR LF and CR become LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def save_content(path: Path, expected: str, fees: list[dict], steps: list[str],
                 note: str) -> str:
    """Replace the fee rows and how-to texts of the content file; return the new version."""
    path = Path(path)
    change = _content_change(path, fees, steps, note)
    return update(path, expected, change, lambda new: parse_content(new, path))


def preview_content(path: Path, fees: list[dict], steps: list[str], note: str):
    """The :class:`~leaflets.content.Content` that :func:`save_content` would save now,
    validated in memory (every problem at once); nothing is written."""
    path = Path(path)
    return parse_content(_content_change(path, fees, steps, note)(read_file(path)), path)


def preview_dong(path: Path, name: str, fields: dict[str, str]) -> Dong:
    """The :class:`~leaflets.dongs.Dong` that :func:`save_dong` would save now (its
    picture unchanged), validated in memory; nothing is written."""
    path = Path(path)
    fields = {key: form_text(fields.get(key, "")) for key in FIELDS}
    doc, restore = parse_editable(read_file(path), path)
    row = next((r for r in doc["dongs"] if r.get("name") == name), None)
    if row is None:
        raise DataError(path, "dongs.name", "목록에 없는 동입니다", value=name)
    _set_fields(row, fields)
    return parse_dongs(restore(doc), path).get(name)


def _set_fields(row, fields: dict[str, str]) -> None:
    for key in FIELDS:
        if fields[key]:
            row[key] = fields[key]
        elif key in row:
            del row[key]


def _content_change(path: Path, fees: list[dict], steps: list[str], note: str):
    def change(old: bytes) -> bytes:
        doc, restore = parse_editable(old, path)
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
        doc["howto"]["steps"] = [form_text(step) for step in steps]
        doc["howto"]["note"] = form_text(note)
        return restore(doc)

    return change


def parse_editable(old: bytes, path: Path):
    """The tomlkit document of a data file, and how to write it back the way it came:
    with the BOM and the CR LF line ends that Windows 메모장 writes, if it had them."""
    text = decode(old, path)
    bom = old.startswith(BOM.encode())
    crlf = "\r\n" in text
    doc = tomlkit.parse(text.replace("\r\n", "\n"))

    def restore(changed) -> bytes:
        new = tomlkit.dumps(changed)
        if crlf:
            new = new.replace("\r\n", "\n").replace("\n", "\r\n")
        return ((BOM if bom else "") + new).encode("utf-8")

    return doc, restore


def dong_version(dong: Dong) -> str:
    """The version of one 동's record (its fields and picture), as its form carries it."""
    return hashlib.sha256(dong.fingerprint.encode()).hexdigest()


def save_dong(path: Path, expected: str, name: str, fields: dict[str, str],
              image: bytes | None = None,
              check: Callable[[Dong], object] | None = None) -> str:
    """Update one 동's fields (and picture) in the dongs file; return its new version.

    ``expected`` is :func:`dong_version` of the record the editor loaded; ``check``
    gets the new :class:`Dong` before anything is written and raises if its
    edition would not build."""
    path = Path(path)
    fields = {key: form_text(fields.get(key, "")) for key in FIELDS}
    picture = None
    if image is not None:
        suffix, data = normalise(image, path, f"{name}.image")
        picture = path.parent / "images" / f"{name}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    created = []

    def change(old: bytes) -> bytes:
        doc, restore = parse_editable(old, path)
        row = next((r for r in doc["dongs"] if r.get("name") == name), None)
        if row is None:
            raise DataError(path, "dongs.name", "목록에 없는 동입니다", value=name)
        current = parse_dongs(old, path).get(name)
        if dong_version(current) != expected:
            raise StaleEdit(f"{name}의 내용을 그 사이에 다른 사람이 저장했습니다. 저장하지 "
                            "않았습니다: 새로 불러온 내용을 확인하고 다시 고쳐 주세요")
        _set_fields(row, fields)
        if picture is not None:
            if not picture.exists():
                picture.parent.mkdir(exist_ok=True)
                write_atomic(picture, data)
                created.append(picture)
            row["image"] = f"images/{picture.name}"
        return restore(doc)

    # The slow check (a render and a preflight) runs on a snapshot, without the lock:
    # the write below applies the same change to the file as it is then, under the
    # lock, and is refused if this 동's record changed meanwhile.
    checked = None
    try:
        if check is not None:
            snapshot = read_file(path)
            checked = parse_dongs(change(snapshot), path).get(name)
            check(checked)

        def validate(new: bytes):
            dong = parse_dongs(new, path).get(name)
            if checked is not None and dong.fingerprint != checked.fingerprint:
                raise StaleEdit(f"{name}의 내용이 검사하는 동안 바뀌었습니다. 다시 해 주세요")

        update(path, None, change, validate)
    except BaseException:
        for made in created:  # a picture only this save wrote, referred to by no file
            _remove_unreferenced(path, made)
        raise
    _prune_pictures(path, name)
    return dong_version(parse_dongs(read_file(path), path).get(name))


def _referenced(path: Path) -> set[str]:
    names = set()
    for version_path in (path, path.with_name(path.name + ".prev")):
        with contextlib.suppress(LeafletsError, OSError):
            text = read_file(version_path).decode("utf-8", "replace")
            names.update(re.findall(r'images/([^"\']+)', text))
    return names


def _remove_unreferenced(path: Path, picture: Path):
    if picture.name not in _referenced(path):
        picture.unlink(missing_ok=True)


def _prune_pictures(path: Path, name: str):
    """Remove this 동's pictures that neither the file nor its ``.prev`` refers to."""
    folder = path.parent / "images"
    referenced = _referenced(path)
    with contextlib.suppress(OSError):
        for picture in folder.iterdir():
            match = _PICTURE.match(picture.name)
            if (match and match["dong"] == name and picture.name not in referenced
                    and time.time() - picture.stat().st_mtime > ORPHAN_AGE):
                picture.unlink(missing_ok=True)

