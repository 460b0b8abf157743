"""Does a 동's block build? The checks a build makes, run before a save is accepted.

A save that a build would refuse (text wider than its slot, a picture too
coarse, ink over the limit, a preflight failure) is refused at the save, so one
동's save can never break the build of all 17. :class:`EditionChecker` lays the
동's edition out exactly as ``leaflets build`` does (:func:`leaflets.editions.dong_edition`:
the common pages, the block stamped over them, every print file preflighted) on
one worker thread of its own: request threads only wait for its answer, and one
process never lays out two editions at once. The common pages are kept for the
content, production file and date they were made for.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from leaflets.artifacts import sha256
from leaflets.clock import build_date
from leaflets.content import load_content
from leaflets.dongs import Dong
from leaflets.production import load_production
from leaflets.tomlfile import read_file


class EditionChecker:
    """Lays out 동 editions on one thread; :meth:`edition` returns a checked one."""

    def __init__(self, data: str | Path, production: str | Path):
        self.data, self.production = Path(data), Path(production)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="edition-check")
        self._state = threading.local()  # the worker's renderer and common pages

    def check(self, dong: Dong) -> None:
        """Raise what a build of ``dong``'s edition would raise (nothing if it builds):
        its poster and leaflet, and its media (문자 within their bytes, the 소식지
        block preflighted)."""
        from leaflets.media import dong_media_files

        dong_media_files(load_content(self.data), dong)  # cheap: the 문자 first
        self.edition(dong)
        self._pool.submit(self._media, dong).result()

    def edition(self, dong: Dong) -> list:
        """The files of ``dong``'s edition, print files preflighted:
        [(path, (Artifact, bytes))], as ``leaflets build --dong`` writes them."""
        return self._pool.submit(self._edition, dong).result()

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _media(self, dong: Dong) -> list:
        from leaflets.media import edition_media

        content = load_content(self.data)
        production = load_production(self.production)
        return edition_media(content, production.media, dong, self._state.renderer,
                             production.spots)

    def _edition(self, dong: Dong) -> list:
        from leaflets.editions import dong_edition, make_common
        from leaflets.render import Renderer

        state = self._state
        content = load_content(self.data)
        production = load_production(self.production)
        key = (content.sha256, sha256(read_file(self.production)), build_date())
        if getattr(state, "renderer", None) is None or state.renderer.output != production.output:
            state.renderer = Renderer(output=production.output)
        if getattr(state, "key", None) != key:
            state.common, state.key = None, None
            state.common = make_common(content, production, state.renderer)
            state.key = key
        return dong_edition(content, production, dong, state.renderer, state.common)
