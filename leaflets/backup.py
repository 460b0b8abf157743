"""Backup and restore of one office's state, safe while the web app runs.

A backup is a zip of every piece of state: the three data files, the 동
pictures (``images/``), the stored inputs of the 동 evaluation (``evaluation/``),
the order ledger and the web accounts (``instance/users.sqlite``,
``instance/secret_key``), with ``manifest.json`` giving the SHA-256 of every
member. Each data or evaluation file is read under its lock
(:func:`leaflets.shared.locked`), the pictures under the 동 file's lock (a
save writes the picture, then the file), and the SQLite files through
SQLite's backup API, so a backup taken during saves and orders is a state
that existed.

Restore checks the whole archive (manifest, names, checksums) before it
writes anything, refuses a folder that already holds data unless forced,
and puts each file in place by an atomic rename.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from leaflets import __version__
from leaflets.errors import LeafletsError
from leaflets.evaluation_store import FOLDER as EVALUATION
from leaflets.evaluation_store import stored_files as evaluation_files
from leaflets.shared import locked

FORMAT = "leaflets-backup"
VERSION = 1
MANIFEST = "manifest.json"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DATA_NAMES = {"content": "minwon24.toml", "production": "production.toml",
              "dongs": "dongs.toml"}
LEDGER = "orders.sqlite"
USERS = "instance/users.sqlite"
SECRET = "instance/secret_key"


class BackupError(LeafletsError):
    """The archive is damaged, not a backup of ours, or cannot be restored here."""


@dataclass(frozen=True)
class Site:
    """Where one office's state lives."""

    content: Path
    production: Path
    dongs: Path
    ledger: Path
    instance: Path

    @classmethod
    def at(cls, folder: Path) -> Site:
        """The state of a folder laid out as the commands' defaults expect."""
        folder = Path(folder)
        return cls(*(folder / name for name in DATA_NAMES.values()), folder / LEDGER,
                   folder / "instance")


def make_backup(site: Site, target: Path) -> list[str]:
    """Write the backup zip of ``site`` to ``target`` (atomically); return its members."""
    members: dict[str, bytes] = {}
    for key, name in DATA_NAMES.items():
        path = getattr(site, key)
        with locked(path):
            members[name] = _read(path)
            if key == "dongs":  # its pictures, as the file names them
                images = path.parent / "images"
                for picture in sorted(images.glob("*")) if images.is_dir() else ():
                    if picture.is_file() and not picture.name.startswith("."):
                        members[f"images/{picture.name}"] = _read(picture)
    for path in evaluation_files(site.content):  # 실적.csv, 활동.csv, 설정.toml
        with locked(path):
            members[f"{EVALUATION}/{path.name}"] = _read(path)
    for name, path in ((LEDGER, site.ledger), (USERS, site.instance / "users.sqlite")):
        if path.exists():
            members[name] = _sqlite_copy(path)
    secret = site.instance / "secret_key"
    if secret.exists():
        members[SECRET] = _read(secret)
    manifest = {"format": FORMAT, "version": VERSION, "generator": f"leaflets {__version__}",
                "files": [{"path": name, "sha256": hashlib.sha256(data).hexdigest(),
                           "bytes": len(data)} for name, data in sorted(members.items())]}
    members[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # accounts and the secret key inside
            info.flag_bits |= 0x800
            archive.writestr(info, members[name])
    _write_atomic(Path(target), buffer.getvalue(), 0o600)
    return sorted(members)


def restore_backup(source: Path, folder: Path, *, force: bool = False) -> list[str]:
    """Restore the backup ``source`` into ``folder``; return the files written.

    Nothing is written unless the whole archive checks out; a folder that already
    holds any of the files (not empty) is refused unless ``force``."""
    members = read_backup(source)
    folder = Path(folder)
    if not force:
        present = [name for name in members
                   if (folder / name).is_file() and (folder / name).stat().st_size > 0]
        if present:
            raise BackupError(f"{folder}: 이미 자료가 있습니다 ({', '.join(present[:4])}"
                              f"{' 등' if len(present) > 4 else ''}). 덮어쓰려면 --force 를 "
                              "붙이거나 빈 폴더에 복원해 주세요")
    staged = []  # every file written beside its place first, then all renamed
    try:
        for name, data in members.items():
            mode = 0o600 if name in (USERS, SECRET) else 0o644
            staged.append((_stage(folder / name, data, mode), folder / name))
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return sorted(members)


def read_backup(source: Path) -> dict[str, bytes]:
    """Every member of backup ``source`` by name, checked against its manifest."""
    source = Path(source)
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            if MANIFEST not in names:
                raise BackupError(f"{source}: leaflets 백업 파일이 아닙니다 "
                                  f"({MANIFEST}이(가) 없습니다)")
            manifest = json.loads(archive.read(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
                    or manifest.get("version") != VERSION:
                raise BackupError(f"{source}: leaflets 백업 파일이 아닙니다 "
                                  f"(형식 {FORMAT} {VERSION}판이 아님)")
            listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
            members = {name: archive.read(name) for name in names if name != MANIFEST}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            KeyError, TypeError) as error:
        raise BackupError(f"{source}: 백업 파일이 손상되었거나 읽을 수 없습니다 "
                          f"({error})") from None
    if set(listed) != set(members):
        raise BackupError(f"{source}: 백업 목록과 들어 있는 파일이 다릅니다 "
                          f"({', '.join(sorted(set(listed) ^ set(members))[:4])})")
    for name, data in members.items():
        _safe_name(source, name)
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise BackupError(f"{source}: '{name}'의 SHA-256이 목록과 다릅니다 (손상된 백업)")
    missing = [name for name in DATA_NAMES.values() if name not in members]
    if missing:
        raise BackupError(f"{source}: 백업에 {', '.join(missing)}이(가) 없습니다")
    return members


def _safe_name(source, name: str) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise BackupError(f"{source}: 허용되지 않는 파일 이름 '{name}'")


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BackupError(f"{path}: 읽을 수 없습니다 ({error.strerror})") from None


def _sqlite_copy(path: Path) -> bytes:
    """A consistent copy of a live SQLite file (the backup API waits out writers)."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy.sqlite"
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(f"{path}: 백업할 수 없습니다 ({error})") from None
        finally:
            source.close()
            target.close()
        return copy.read_bytes()


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """``data`` written and synced to a temporary file beside ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    os.replace(_stage(path, data, mode), path)
