"""What the last ``leaflets build`` left in dist/: when, and from which content and
production file.

Read from the build's own manifest (``manifest.json``, written last, atomically);
nothing is rendered here.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from leaflets.build import MANIFEST


@dataclass(frozen=True)
class LastBuild:
    """The build found in an output folder."""

    when: datetime.datetime  # the manifest's modification time, local
    data_sha256: str  # the content the poster and the pocket were made from
    media_data_sha256: str  # the content the media were made from (build --media-only)
    paths: frozenset[str]  # every file the manifest lists, relative to the folder
    production_sha256: str | None = None  # production.toml's bytes (None: not noted)
    dongs_sha256: str | None = None  # the dongs file of its 동 editions (None: none)

    def matches(self, data_sha256: str, production_sha256: str) -> bool:
        """Whether the whole build was made from this content and this production file
        (its runs decide the imposed sheets): a build that did not note it does not."""
        return (self.data_sha256 == data_sha256 == self.media_data_sha256
                and self.production_sha256 == production_sha256)


def last_build(out: Path) -> LastBuild | None:
    """The build in ``out``; None if there is none (or its manifest is unreadable)."""
    path = Path(out) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        when = datetime.datetime.fromtimestamp(path.stat().st_mtime)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("data_sha256"), str):
        return None
    entries = manifest.get("artifacts")
    paths = frozenset(entry["path"] for entry in entries
                      if isinstance(entry, dict) and isinstance(entry.get("path"), str)) \
        if isinstance(entries, list) else frozenset()
    data = manifest["data_sha256"]
    media = manifest.get("media_data_sha256")
    production, dongs = manifest.get("production_sha256"), manifest.get("dongs_sha256")
    return LastBuild(when, data, media if isinstance(media, str) else data, paths,
                     production if isinstance(production, str) else None,
                     dongs if isinstance(dongs, str) else None)
