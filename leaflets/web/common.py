"""What every area of the web app shares: the site's files and services, the login
check, and the small functions the views use (paths, headers, error text)."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import ipaddress
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import abort, g, redirect, request, send_file, session, url_for

from leaflets.admission import EditionChecker
from leaflets.content import load_content
from leaflets.dongs import load_dongs
from leaflets.errors import LeafletsError
from leaflets.ledger import Ledger
from leaflets.preflight import CHECKS
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.render import rasterize
from leaflets.renderpool import RenderPool, Superseded
from leaflets.users import UserStore

PREVIEW_DPI = 80
LIVE_DPI = 72  # the edit forms' live preview: screen resolution, one page
PREVIEW_CACHE = 64  # rendered products kept for previews, oldest dropped first
RENDER_WORKERS = 2  # renders at once; each holds a Renderer and a CPU
MESSAGES = {
    403: "이 페이지를 볼 권한이 없습니다.",
    404: "없는 페이지입니다.",
    405: "이 주소에서는 그런 요청을 받지 않습니다.",
    413: "올린 파일이 너무 큽니다.",
    429: "로그인 시도가 너무 많습니다. 5분 뒤에 다시 해 주세요.",
    500: "서버에서 오류가 났습니다. 잠시 뒤에 다시 해 보시고, 계속되면 담당자에게 알려 주세요.",
    503: "지금은 요청이 몰려 처리하지 못했습니다. 잠시 뒤에 다시 해 주세요.",
}


@dataclass
class Site:
    """One running app's files and services, handed to each area's ``register``."""

    data: Path
    production: Path
    dongs: Path
    out: Path
    store: UserStore
    ledger: Ledger
    renders: RenderPool
    checker: EditionChecker  # a 동 save is accepted only if it builds
    lock: threading.RLock = field(default_factory=threading.RLock)  # one package at a time
    _dongs_read: dict = field(default_factory=lambda: {"states": None, "known": None})
    _dongs_lock: threading.Lock = field(default_factory=threading.Lock)

    def print_file(self, content, product: str) -> bytes:
        """``product``'s print file as ``leaflets build`` makes it: rendered for
        production.toml's output condition (its [output] profile) and preflighted with
        the spot colours it lists. Only a file that passed leaves; else PreflightFailed."""
        from leaflets.artifacts import PreflightFailed
        from leaflets.preflight import preflight_many

        production = load_production(self.production)

        def checked(renderer) -> bytes:
            result = renderer.render(content, product, "print")
            report, = preflight_many([(result.pdf, f"print/{product}.pdf", result.bleed_mm)],
                                     url=content.service.url, spots=production.spots)
            if not report.passed:
                raise PreflightFailed([report])
            return result.pdf

        return self.renders.run(checked, output=production.output)

    def current_dongs(self):
        """load_dongs(dongs), read again only when the file or one of its pictures changed.

        Reading checks and decodes every picture: half a second for 17 photos, too
        much for each cached preview.
        """
        with self._dongs_lock:
            states, known = self._dongs_read["states"], self._dongs_read["known"]
        before = file_states(states or {self.dongs: None})
        if known is not None and before == states:
            return known
        known = load_dongs(self.dongs)
        after = file_states([self.dongs, *(self.dongs.parent / d.image.source
                                           for d in known.dongs if d.image)])
        if all(after.get(path, state) == state for path, state in before.items()):
            with self._dongs_lock:  # nothing changed while it was read
                self._dongs_read.update(states=after, known=known)
        return known

    def known_dong(self, name):
        """The 동 called ``name``; 404 for a name the 동 file does not have."""
        known = self.current_dongs()
        if name not in [d.name for d in known.dongs]:
            abort(404)
        return known.get(name)

    def preview_png(self, product, page, dong_name):
        """One page of a product (of a 동's edition if named) as a PNG response."""
        if product not in PRODUCTS or not 1 <= page <= len(PRODUCTS[product].pages):
            abort(404)
        content = load_content(self.data)
        dong = self.known_dong(dong_name) if dong_name else None
        key = (content.sha256, product, dong.fingerprint if dong else "")

        def pngs(renderer) -> list[bytes]:  # one render serves every page of the product
            pdf = renderer.render(content, product, "screen", dong).pdf
            return [_png_bytes(image) for image in rasterize(pdf, PREVIEW_DPI)]

        png = self.renders.cached(key, pngs)[page - 1]
        response = send_file(io.BytesIO(png), mimetype="image/png")
        response.headers["Cache-Control"] = "no-store"
        return response


    def live_preview(self, content, product: str, page: int, dong=None) -> str:
        """Render one page of ``content`` (validated in memory, never saved) for an
        edit form's live preview; return its token for :meth:`live_png`. The same
        content, page and 동 block give the same token and are rendered once.

        On the pool's live lane, as a draft (an untagged PDF that only this picture
        reads). A newer preview from the same session supersedes this one: it is then
        skipped or stopped and the answer is 409 (the page has stopped waiting)."""
        owner = dong.name if dong else ""
        token = hashlib.sha256("\x1f".join(
            [content.sha256, product, str(page), dong.fingerprint if dong else ""]
        ).encode()).hexdigest()[:32]
        key = ("live", token)

        def png(renderer) -> tuple[bytes, str]:
            pdf = renderer.render(content, product, "screen", dong, draft=True).pdf
            self.renders.wanted(key)  # typed again meanwhile: skip the picture
            image, = rasterize(pdf, LIVE_DPI, pages=[page])
            return _png_bytes(image, compress_level=1), owner  # speed over a few bytes

        try:
            self.renders.latest(session.get("sid", ""), key, png)
        except Superseded:
            abort(409, "새로 입력한 내용의 미리보기를 만들고 있습니다.")
        return token

    def live_png(self, token: str):
        """A live preview made by :meth:`live_preview`: 404 once dropped, 403 for
        another 동's."""
        kept = self.renders.kept(("live", token))
        if kept is None:
            abort(404)
        png, owner = kept
        if owner and not g.user.may_edit(owner):
            abort(403)
        response = send_file(io.BytesIO(png), mimetype="image/png")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response


def login_required(admin=False):
    """The view for logged-in users only (관리자 only with ``admin``)."""
    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("login", next=request.path))
            if admin and not g.user.is_admin:
                abort(403)
            return view(*args, **kwargs)
        return inner
    return wrap


def for_staff(error: LeafletsError) -> str:
    """An error as a 동 담당자 should read it: without the server's folders."""
    text = str(error)
    for report in getattr(error, "reports", ()):  # PreflightFailed: say which checks
        text += "\n" + report.name + ": " + "; ".join(
            f"{CHECKS[f.check]} — {f.where} {f.detail}" for f in report.findings if not f.ok)
    path = getattr(error, "path", None)
    if path:
        text = text.replace(str(path), Path(path).name)
    return text


def local_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else None: ``next`` never leads elsewhere.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash,
    so a control character or a backslash makes a path as foreign as
    ``//evil``; the same holds for each percent-decoding a later hop applies.
    """
    text = target
    for _ in range(3):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or any(unicodedata.category(c) == "Cc" for c in text)
                or urlsplit(text).scheme or urlsplit(text).netloc):
            return None
        text, before = unquote(text), text
        if text == before:
            return target
    return None  # still encoded after three decodings: not a link anybody clicked


def is_local(host: str) -> bool:
    """Whether ``host`` is this machine only (``leaflets serve`` warns otherwise)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def file_states(paths) -> dict:
    """Each file's identity, size and modification time (None if missing): a change shows."""
    states = {}
    for path in paths:
        try:
            stat = Path(path).stat()
            states[path] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError:
            states[path] = None
    return states


def content_security_policy(templates: Path) -> str:
    """Own resources only, scripts only from the site's own files (/scripts/, never
    inline); the pages' inline stylesheets allowed by their hash."""
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for template in templates.glob("*.j2")
        for css in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S)})
    return ("default-src 'self'; script-src 'self'; object-src 'none'; "
            f"style-src 'self' {' '.join(hashes)}; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'none'")


def secret_key(instance: Path) -> bytes:
    """The session-signing key, made once per instance folder (owner-only file)."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return hashlib.sha256(path.read_bytes()).digest()


def _png_bytes(image, compress_level: int = 6) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=compress_level)
    return buffer.getvalue()
