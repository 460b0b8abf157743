"""The incremental build cache: an edition is rendered again only when its inputs change.

An edition (the 구's files, or one 동's) is stored under a key that hashes
everything its files depend on: the content file, the production file, the
동's own record and picture, the build date printed on the files, and a
fingerprint of the code, templates, CSS, fonts and ICC profile. A change to
any of them gives a new key, so a stale file is never served; an edition
whose inputs did not change is read back instead of rendered.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from leaflets import __version__
from leaflets.project import FONTS, PROFILES, ROOT, TEMPLATES

CACHE_NAME = ".leaflets-cache"
KEEP = 2000  # entries; the oldest beyond this are removed


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


class EditionCache:
    """Rendered editions on disk: key -> [(path, (Artifact, bytes))]."""

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder else None
        self.hits = self.misses = 0

    def has(self, key: str) -> bool:
        return self.folder is not None and (self.folder / f"{key}.pickle").is_file()

    def get(self, key: str):
        if self.folder is None:
            return None
        path = self.folder / f"{key}.pickle"
        try:
            with path.open("rb") as stream:
                files = pickle.load(stream)
        except Exception:  # noqa: BLE001  a damaged entry of any kind: render again
            self.misses += 1
            return None
        self.hits += 1
        os.utime(path)  # recently used
        return files

    def put(self, key: str, files) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(files, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / f"{key}.pickle")
        except OSError:
            pass  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """Remove the least recently used entries beyond KEEP (once per build)."""
        if self.folder is None:
            return
        try:
            entries = sorted(self.folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
            for old in entries[:-KEEP]:
                old.unlink(missing_ok=True)
        except OSError:
            pass
