"""Media (issue 18): every medium ``leaflets build`` writes to dist/media/, with its
text to copy and its file to download.

The screen media are made here from the current content by
:func:`leaflets.media.media_files` (once per content and production file: cached);
the print media (소식지 block, 배너기) take a render and a preflight each, so they
are served only from a build's dist/media/print/ (a 동 담당자's 소식지 block: from
their edition's dist/dongs/<동>/media/print/), and only if that build's manifest
lists the file.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath

from flask import abort, g, render_template, send_file

from leaflets.content import load_content
from leaflets.errors import LeafletsError
from leaflets.media import FOLDER, dong_media_files, media_files
from leaflets.media.plan import LMS_BYTES, SMS_BYTES, gateway_bytes
from leaflets.media.printed import DONG_PRINT_MEDIA, print_products
from leaflets.media.printed import FOLDER as PRINT_FOLDER
from leaflets.production import load_production
from leaflets.web.common import Site, for_staff, login_required
from leaflets.web.lastbuild import last_build

# file name in dist/media/: (what it is, the name it downloads as, its limit in CP949 bytes)
KNOWN = {
    "sms.txt": ("문자 (SMS)", "민원24-문자-SMS.txt", SMS_BYTES),
    "lms.txt": ("문자 (LMS)", "민원24-문자-LMS.txt", LMS_BYTES),
    "minwon24.eml": ("안내 e-메일 (메일 프로그램에서 열기)", "민원24-안내메일.eml", None),
    "banner-alt.txt": ("배너 대체 텍스트 (alt)", "민원24-배너-대체텍스트.txt", None),
    "newsletter.txt": ("소식지 글 (텍스트)", "민원24-소식지.txt", None),
    "newsletter.html": ("소식지 글 (HTML)", "민원24-소식지.html", None),
    "newsletter.pdf": ("소식지·반상회보 광고 인쇄용 PDF (A4의 1/4)", "민원24-소식지광고-인쇄용.pdf",
                       None),
    "xbanner.pdf": ("배너기 (X배너) 인쇄용 PDF", "민원24-배너기-인쇄용.pdf", None),
}
TYPES = {".txt": "text/plain", ".html": "text/html",  # Flask adds "; charset=utf-8"
         ".eml": "message/rfc822", ".png": "image/png", ".pdf": "application/pdf"}
TEXTS = (".txt", ".html")  # shown in a box with a copy button


@dataclass(frozen=True)
class Medium:
    """One file of dist/media/ as the page shows it."""

    name: str  # its path under dist/media/
    label: str
    download_name: str
    content_type: str
    data: bytes
    text: str | None = None  # the texts, to copy
    used: int | None = None  # bytes of text as a gateway counts them (CP949)
    limit: int | None = None


def describe(name: str, data: bytes) -> Medium:
    """How the page shows the medium ``name`` (a path under dist/media/)."""
    path = PurePosixPath(name)
    if path.suffix == ".png" and path.stem.startswith("banner-"):
        size = path.stem.removeprefix("banner-").replace("x", "×")
        label, download, limit = f"홈페이지 배너 {size}", f"민원24-배너-{path.stem[7:]}.png", None
    else:
        label, download, limit = KNOWN.get(path.name, (path.name, path.name, None))
    text = data.decode("utf-8") if path.suffix in TEXTS else None
    used = gateway_bytes(text, name, name) if text is not None and limit else None
    return Medium(name, label, download, TYPES.get(path.suffix, "application/octet-stream"),
                  data, text, used, limit)


def register(app, site: Site) -> None:
    """Add /media and its downloads (관리자: the 구's media; 동 담당자: their edition's)."""
    cache: dict[str, tuple[Medium, ...]] = {}
    cache_lock = threading.Lock()

    def screen_media():
        """(content, production, media of the current files for the user): the 구's
        media, and for a 동 담당자 those of their 동's edition where it names the 동.
        Made once per version of the files (and 동)."""
        content = load_content(site.data)
        production = load_production(site.production)
        dong = g.user.dong if g.user is not None and not g.user.is_admin else None
        key = hashlib.sha256(content.sha256.encode() + site.production.read_bytes()
                             + (dong or "").encode()
                             + (site.dongs.read_bytes() if dong else b"")).hexdigest()
        with cache_lock:
            known = cache.get(key)
        if known is None:
            prefix = FOLDER + "/"
            files = {path.removeprefix(prefix): data
                     for path, (_, data) in media_files(content, production.media)}
            if dong:
                files.update((PurePosixPath(path).name, data) for path, (_, data)
                             in dong_media_files(content, site.current_dongs().get(dong)))
            known = tuple(describe(name, data) for name, data in files.items())
            with cache_lock:
                if len(cache) > 32:  # the 구's and a few 동's current versions
                    cache.clear()
                cache[key] = known
        return content, production, known

    def printed_file(name: str):
        """(path under dist/ of the print medium ``name`` for the user, the build, the
        content, whether it is the user's 동's own edition): a 동 담당자's 소식지 block is
        their edition's; the 배너기 is the 구's for every 동. The path is None unless
        the last build made the file and its manifest lists it."""
        production = load_production(site.production)
        if name not in print_products(production.media):
            return None, None, False
        dong = None
        if g.user is not None and not g.user.is_admin and name in DONG_PRINT_MEDIA:
            dong = site.current_dongs().get(g.user.dong)
        path = (f"dongs/{dong.slug}/" if dong else "") + f"{PRINT_FOLDER}/{name}.pdf"
        build = last_build(site.out)
        if build is None or path not in build.paths or not (site.out / path).is_file():
            return None, build, dong is not None
        return path, build, dong is not None

    @app.get("/media")
    @login_required()
    def media():
        try:
            content, production, files = screen_media()
            printed = []
            for name in print_products(production.media):
                path, build, own = printed_file(name)
                current = path is not None and build.media_data_sha256 == content.sha256 \
                    and (not own or build.dongs_sha256 == site.current_dongs().sha256)
                printed.append((name, describe(f"print/{name}.pdf", b""), path is not None,
                                current, own))
        except LeafletsError as wrong:  # a text too long to send: say which, from where
            return render_template("media.html.j2", problem=for_staff(wrong), files=(),
                                   printed=()), 409
        return render_template("media.html.j2", problem=None, files=files, printed=printed,
                               build=last_build(site.out))

    @app.get("/media/<name>")
    @login_required()
    def media_file(name):
        try:
            _, _, files = screen_media()
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        medium = next((m for m in files if m.name == name), None)
        if medium is None:
            abort(404)
        return send_file(io.BytesIO(medium.data), mimetype=medium.content_type,
                         as_attachment=True, download_name=medium.download_name)

    @app.get("/media/print/<name>.pdf")
    @login_required()
    def media_print(name):
        try:
            path, _, _ = printed_file(name)
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        if path is None:
            abort(404, "이 파일은 leaflets build 후 내려받을 수 있습니다.")
        medium = describe(f"print/{name}.pdf", b"")
        return send_file(site.out / path, mimetype=medium.content_type, as_attachment=True,
                         download_name=medium.download_name)
