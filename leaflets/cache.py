"""The incremental build cache: an edition is rendered again only when its inputs change.

An edition (the 구's files, or one 동's) is stored under a key that hashes
everything its files depend on: the content file, the production file, the
동's own record and picture, the build date printed on the files, and a
fingerprint of the code, templates, CSS, fonts and ICC profile. A change to
any of them gives a new key, so a stale file is never served; an edition
whose inputs did not change is read back instead of rendered.

Nothing is read back that the build did not write, and nothing read can run
code (no pickle). An entry is two plain files: ``<key>.data``, the entry's
byte strings (PDF, PNG ...) one after another, and ``<key>.json``, the index:
the entry as JSON (paths, every Artifact field, the pages 동 editions share),
each byte string named by its SHA-256 with its offset and size in the data
file, and the SHA-256 of the index itself. Reading rebuilds only the types of
``SCHEMAS``, field by field; a checksum that differs, a missing or unexpected
field, a wrong type, a path leaving the output folder or a file another user
could have written makes the entry a miss: it is removed and rendered again.

Each file is written to a temporary file in the cache folder, synced and
renamed, the index last: an entry is complete or absent, and two builds that
write the same key write the same files. A cache folder another user can
write to is not used at all (:func:`unsafe_reason`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import time
import types
import typing
import warnings
from pathlib import Path, PurePosixPath

from leaflets import __version__
from leaflets.artifacts import Artifact
from leaflets.project import FONTS, PROFILES, ROOT, TEMPLATES

CACHE_NAME = ".leaflets-cache"
KEEP = 2000  # entries; the oldest beyond this are removed
FORMAT = 1  # of the index: an index of another format is a miss
STALE_S = 3600  # a temporary or unindexed file this old was left by a killed build


def _edition():
    return list[tuple[str, tuple[Artifact, bytes]]], {}  # [(path, (Artifact, data))]


def _common():
    # Imported only when 동 are rendered: a build with nothing to do never loads WeasyPrint.
    from leaflets.editions import Common
    from leaflets.preflight import Report
    from leaflets.render import RenderedProduct

    return Common, {"Report": Report, "RenderedProduct": RenderedProduct}


# What an entry may hold: the stored type and the names its annotations use.
SCHEMAS = {"edition": _edition, "common": _common}


class CacheWarning(UserWarning):
    """The cache folder is not used (the message says why); the build goes on without it."""


class _BadEntry(ValueError):
    """An entry that is not exactly what the build writes."""


@functools.cache
def code_fingerprint() -> str:
    """Hash of every file the rendering depends on besides the data."""
    digest = hashlib.sha256(__version__.encode())
    for folder in (ROOT / "leaflets", TEMPLATES, FONTS, PROFILES):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def edition_key(*parts: str) -> str:
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def unsafe_reason(folder: str | Path) -> str | None:
    """Why ``folder`` must not serve as a cache, in Korean, or None when no other user
    can write to it (a folder that does not exist yet is made private)."""
    try:
        status = os.stat(folder)
    except OSError:
        return None
    if _private(status):
        return None
    if status.st_mode & 0o022:
        why = f"다른 사용자도 쓸 수 있어(권한 {status.st_mode & 0o777:o})"
        fix = "폴더를 지우거나 'chmod go-w'로 권한을 고쳐 주세요"
    else:
        why, fix = "다른 사용자의 폴더라", "폴더를 지우면 새로 만듭니다"
    return f"캐시 폴더 '{folder}'는 {why} 쓰지 않고, 캐시 없이 모두 새로 만듭니다. {fix}"


def _private(status: os.stat_result) -> bool:
    """True when the file is this user's and no one else may write to it."""
    owner = status.st_uid == os.geteuid() if hasattr(os, "geteuid") else True
    return owner and not status.st_mode & 0o022


class EditionCache:
    """Rendered editions on disk: key -> [(path, (Artifact, bytes))], or the common pages."""

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder else None
        self.hits = self.misses = 0
        if self.folder is None:
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:  # a cache that cannot be written only costs time
            self.folder = None
            return
        reason = unsafe_reason(self.folder)
        if reason:
            warnings.warn(CacheWarning(reason), stacklevel=2)
            self.folder = None

    def has(self, key: str) -> bool:
        """True when ``key`` has an index (whether it reads back is known on :meth:`get`)."""
        return self.folder is not None and (self.folder / f"{key}.json").is_file()

    def get(self, key: str, schema: str = "edition"):
        """The value stored under ``key``, verified, or None (a bad entry is removed)."""
        if self.folder is None:
            return None
        try:
            value = self._read(key, schema)
        except (OSError, ValueError, RecursionError):  # damaged or altered: render again
            self._remove(key)
            value = None
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(self.folder / f"{key}.json")  # recently used
        return value

    def put(self, key: str, value, schema: str = "edition") -> None:
        """Store ``value`` (of ``SCHEMAS[schema]``) under ``key``: data first, index last."""
        if self.folder is None:
            return
        blobs = {}
        body = {"format": FORMAT, "schema": schema, "value": _plain(value, blobs), "blobs": {}}
        offset = 0
        for digest, data in blobs.items():
            body["blobs"][digest] = [offset, len(data)]
            offset += len(data)
        index = {"sha256": _digest(body), "body": body}
        try:
            self._write(f"{key}.data", blobs.values())
            self._write(f"{key}.json", [_dumps(index)])
            _sync_folder(self.folder)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """Remove the least recently used entries beyond KEEP (once per build), the
        pickles of earlier versions (never read) and what killed builds left."""
        if self.folder is None:
            return
        try:
            indexes = sorted(self.folder.glob("*.json"), key=_mtime)
            for old in indexes[:-KEEP]:
                self._remove(old.stem)
            now = time.time()
            for path in self.folder.iterdir():
                left = path.suffix == ".tmp" or (path.suffix == ".data"
                                                 and not path.with_suffix(".json").exists())
                if path.suffix == ".pickle" or (left and now - _mtime(path) > STALE_S):
                    path.unlink(missing_ok=True)
        except OSError:
            pass

    def _read(self, key: str, schema: str):
        try:
            text = _read_private(self.folder / f"{key}.json")
        except FileNotFoundError:  # not cached (or being written): a miss, nothing to remove
            return None
        index = json.loads(text, parse_constant=_refuse_constant)
        _check(type(index) is dict and index.keys() == {"sha256", "body"})
        body = index["body"]
        _check(index["sha256"] == _digest(body))
        _check(type(body) is dict and body.keys() == {"format", "schema", "value", "blobs"})
        _check(body["format"] == FORMAT and body["schema"] == schema)
        _check(type(body["blobs"]) is dict)
        reader = _Reader(body["blobs"], _read_private(self.folder / f"{key}.data"), schema)
        value = reader.value(body["value"], SCHEMAS[schema]()[0])
        if schema == "edition":
            for (path, (artifact, _)), (_, (_, digest)) in zip(value, body["value"],
                                                               strict=True):
                _check(path == artifact.path and _inside(path) and artifact.sha256 == digest)
        return value

    def _write(self, name: str, chunks) -> None:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp",
                                             dir=self.folder)
        try:
            with os.fdopen(handle, "wb") as stream:
                for chunk in chunks:
                    stream.write(chunk)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _remove(self, key: str) -> None:
        for name in (f"{key}.json", f"{key}.data"):  # the index first: never half an entry
            with contextlib.suppress(OSError):
                (self.folder / name).unlink(missing_ok=True)


class _Reader:
    """Rebuilds one entry from its index, checking each value against its type."""

    def __init__(self, blobs: dict, data: bytes, schema: str):
        self.blobs, self.data, self.schema = blobs, data, schema

    def value(self, value, kind):
        """``value`` as parsed from JSON, rebuilt as a ``kind``; _BadEntry if it is not one."""
        if kind in _SCALARS:
            _check(type(value) in _SCALARS[kind])
            return value
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin in (types.UnionType, typing.Union):
            for option in args:
                try:
                    return self.value(value, option)
                except _BadEntry:
                    pass
            raise _BadEntry
        if kind is bytes:
            return self.blob(value)
        if dataclasses.is_dataclass(kind):
            hints = _fields(kind, self.schema)
            _check(type(value) is dict and value.keys() == hints.keys())
            return kind(**{name: self.value(value[name], hint) for name, hint in hints.items()})
        _check(type(value) is list)
        if origin is tuple and args[-1] is Ellipsis:
            return tuple(self.value(item, args[0]) for item in value)
        if origin is tuple:
            _check(len(value) == len(args))
            return tuple(self.value(item, arg) for item, arg in zip(value, args, strict=True))
        if origin is list:
            return [self.value(item, args[0]) for item in value]
        if origin is dict:  # stored as [key, value] pairs: keys may be tuples
            _check(all(type(pair) is list and len(pair) == 2 for pair in value))
            pairs = {self.value(k, args[0]): self.value(v, args[1]) for k, v in value}
            _check(len(pairs) == len(value))
            return pairs
        raise TypeError(f"the cache cannot store {kind}")

    def blob(self, digest) -> bytes:
        _check(type(digest) is str and digest in self.blobs)
        place = self.blobs[digest]
        _check(type(place) is list and len(place) == 2
               and all(type(n) is int and n >= 0 for n in place))
        data = self.data[place[0]:place[0] + place[1]]
        _check(len(data) == place[1] and hashlib.sha256(data).hexdigest() == digest)
        return data


@functools.cache
def _fields(cls, schema: str) -> dict:
    """The fields of dataclass ``cls`` and their types, as ``SCHEMAS[schema]`` names them."""
    hints = typing.get_type_hints(cls, localns=SCHEMAS[schema]()[1])
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


_SCALARS = {str: (str,), int: (int,), float: (int, float), bool: (bool,),
            type(None): (type(None),)}


def _plain(value, blobs: dict):
    """``value`` as JSON values, each byte string put in ``blobs`` under its SHA-256."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name), blobs) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        digest = hashlib.sha256(value).hexdigest()
        blobs[digest] = value
        return digest
    if isinstance(value, dict):
        return [[_plain(k, blobs), _plain(v, blobs)] for k, v in value.items()]
    if isinstance(value, tuple | list):
        return [_plain(item, blobs) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"the cache cannot store {type(value).__name__}")


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode()


def _digest(body) -> str:
    return hashlib.sha256(_dumps(body)).hexdigest()


def _check(condition) -> None:
    if not condition:
        raise _BadEntry


def _refuse_constant(name):
    raise _BadEntry(name)  # NaN and Infinity: never written


def _inside(path: str) -> bool:
    """True for a relative path that stays inside the folder it is joined to."""
    pure = PurePosixPath(path)
    return (bool(pure.parts) and not pure.is_absolute() and "\\" not in path
            and "\0" not in path and ".." not in pure.parts)


def _read_private(path: Path) -> bytes:
    """The bytes of ``path``, if it is this user's file and no one else can write to it."""
    with path.open("rb") as stream:
        _check(_private(os.fstat(stream.fileno())))
        return stream.read()


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable."""
    if hasattr(os, "O_DIRECTORY"):
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
