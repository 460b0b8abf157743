"""The only way the renderer reaches files: the project's own folders.

WeasyPrint's default fetcher follows file://, http(s), ftp and data URLs.
Templates and data must never make the renderer read anything else, so
every other URL is refused (and remembered, so a build can report it).
Images a 동 supplies are checked and converted in memory first, then
served under ``leaflets-image:`` URLs: the renderer never opens a path
that came from data.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

MEMORY_SCHEME = "leaflets-image"


class RefusedURL(ValueError):
    """A URL outside the allowed folders was asked for."""


class ProjectFetcher(URLFetcher):
    """Serve files under ``roots``; refuse every other URL."""

    def __init__(self, roots):
        super().__init__(allowed_protocols=("file",))
        self.roots = tuple(Path(root).resolve() for root in roots)
        self.refused: list[str] = []
        self.memory: dict[str, tuple[bytes, str]] = {}  # checked images, by leaflets-image: URL

    def serve(self, name: str, data: bytes, content_type: str) -> str:
        """Make ``data`` available to the renderer under a ``leaflets-image:`` URL."""
        url = f"{MEMORY_SCHEME}:{name}"
        self.memory[url] = (data, content_type)
        return url

    def fetch(self, url, headers=None):
        """Return a served image, or the file behind a file:// URL inside the roots; else refuse."""
        if url in self.memory:
            data, content_type = self.memory[url]
            return URLFetcherResponse(url, data, headers={"Content-Type": content_type})
        path = self._allowed_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"not a project file: {url}")
        content_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url, path.read_bytes(),
            headers={"Content-Type": content_type or "application/octet-stream"},
        )

    def _allowed_path(self, url):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if not path.is_file():
            return None
        if any(path.is_relative_to(root) for root in self.roots):
            return path
        return None
