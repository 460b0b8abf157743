"""The office web app: edit fees, preview, budget, 동 pages, vendor package.

A thin layer over the same functions the CLI uses. Server-rendered Korean
pages (templates/web/), forms that work without JavaScript. Every POST
carries a CSRF token; session cookies are HttpOnly and SameSite=Lax and
name a session the server can end; login attempts are rate-limited; a 동
담당자 gets 403 for any other 동; every response forbids framing and scripts;
every error, a crash included, is a Korean page. Renders run on a small pool
(leaflets.renderpool) so cached previews are served while others render.
"""

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
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, g, redirect, render_template, request, send_file, session, url_for
from werkzeug.exceptions import HTTPException

from leaflets.admission import EditionChecker
from leaflets.budget import Pricer, year_spending
from leaflets.content import load_content
from leaflets.diff import field_changes
from leaflets.dongs import FIELDS, MAX_IMAGE_BYTES, load_dongs
from leaflets.editing import StaleEdit, dong_version, file_version, save_content, save_dong
from leaflets.errors import LeafletsError
from leaflets.ledger import Ledger, default_ledger
from leaflets.preflight import CHECKS
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION, FONTS, TEMPLATES
from leaflets.render import Renderer, rasterize
from leaflets.renderpool import RenderPool
from leaflets.shared import Busy
from leaflets.users import LOGIN_WINDOW, ROLES, StoreBusy, TooManyAttempts, UserStore

PREVIEW_DPI = 80
WEB_FONTS = ("NanumSquareR.ttf", "NanumSquareB.ttf")  # base.html.j2's @font-face
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


class _App(Flask):
    def select_jinja_autoescape(self, filename):
        return True  # every template, whatever its extension


def create_app(*, data=DEFAULT_DATA, production=DEFAULT_PRODUCTION, dongs=DEFAULT_DONGS,
               users: Path | None = None, instance: Path | None = None, out: Path | None = None):
    data, production, dongs = Path(data), Path(production), Path(dongs)
    instance = Path(instance or data.parent / "instance")
    app = _App(__name__, template_folder=str(TEMPLATES / "web"))
    app.config.update(
        SECRET_KEY=_secret_key(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_IMAGE_BYTES + 256 * 1024,
    )
    store = UserStore(users or instance / "users.sqlite")
    ledger = Ledger(default_ledger(production))
    out = Path(out or data.parent / "dist").resolve()  # send_file takes relative to the app
    renders = RenderPool(RENDER_WORKERS, keep=PREVIEW_CACHE)
    checker = EditionChecker(data, production)  # a 동 save is accepted only if it builds
    policy = _content_security_policy(Path(app.template_folder))
    lock = threading.RLock()  # the package view's renders, on a Renderer of their own
    renderer_holder = {}

    def renderer() -> Renderer:
        with lock:
            if "renderer" not in renderer_holder:
                renderer_holder["renderer"] = Renderer()
            return renderer_holder["renderer"]

    @app.before_request
    def load_user():
        g.user = store.session_user(session.get("sid"))  # None once logged out on the server
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method == "POST" and not secrets.compare_digest(
                request.form.get("csrf", ""), session["csrf"]):
            abort(400, "보안 토큰이 맞지 않습니다. 페이지를 새로 열고 다시 해 주세요.")

    @app.context_processor
    def common():
        return {"user": g.get("user"), "csrf": session.get("csrf", ""), "roles": ROLES,
                "products": PRODUCTS}

    def login_required(admin=False):
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

    @app.after_request
    def secure_headers(response):
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def error_page(code: int, text: str):
        response = app.make_response((render_template("error.html.j2", code=code,
                                                      message=text), code))
        if code in (429, 503):
            response.headers["Retry-After"] = str(LOGIN_WINDOW if code == 429 else 5)
        return response

    # Every HTTP error, and any other exception, which Flask logs with its trace and
    # hands here as a 500 (InternalServerError): the page shows no trace.
    @app.errorhandler(HTTPException)
    def error(e):
        code = e.code or 500
        # a description given by our own abort() is Korean; Werkzeug's defaults are not
        text = (MESSAGES.get(code) or vars(e).get("description")
                or ("요청이 잘못되었습니다." if code < 500 else MESSAGES[500]))
        return error_page(code, text)

    @app.errorhandler(StoreBusy)
    def busy(e):
        return error_page(503, MESSAGES[503])

    @app.route("/login", methods=["GET", "POST"])
    def login():
        message = None
        if request.method == "POST":
            try:
                token = store.log_in(request.form.get("name", ""),
                                     request.form.get("password", ""), request.remote_addr or "?")
            except TooManyAttempts:
                abort(429)
            if token is None:
                message = "이름이나 비밀번호가 틀렸습니다."
            else:
                store.log_out(session.get("sid"))
                session.clear()
                session["sid"] = token
                session["csrf"] = secrets.token_urlsafe(32)
                return redirect(local_path(request.args.get("next", "")) or url_for("home"))
        return render_template("login.html.j2", message=message), 200 if not message else 401

    @app.post("/logout")
    def logout():
        store.log_out(session.get("sid"))  # a saved copy of the cookie stops working too
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required()
    def home():
        if not g.user.is_admin:
            return redirect(url_for("dong_page", name=g.user.dong))
        content = load_content(data)
        check = Pricer(load_production(production), content).check()
        spent, _ = year_spending(ledger, data, production, content)
        orders = ledger.orders()
        standing = [order for order in orders if not order.voided]
        pages = [(name, number) for name, product in PRODUCTS.items()
                 for number in range(1, len(product.pages) + 1)]
        return render_template("home.html.j2", dongs=[d.name for d in current_dongs().dongs],
                               pages=pages, products=PRODUCTS, sha=content.sha256[:12],
                               last=standing[-1] if standing else None,
                               spent=spent, allocation=check.allocation, job=check.total)

    @app.get("/fonts/<name>")
    def font(name):
        """The project's own fonts, so pages never depend on the PC's (no login: the
        login page uses them too)."""
        if name not in WEB_FONTS:
            abort(404)
        return send_file(FONTS / name, mimetype="font/ttf", max_age=86400)

    @app.route("/fees", methods=["GET", "POST"])
    @login_required(admin=True)
    def fees():
        message, problem, status = None, None, 200
        if request.method == "POST":
            try:
                rows = _fee_rows(request.form)
                steps = [s for s in request.form.getlist("step") if s.strip()]
                save_content(data, request.form.get("version", ""), rows, steps,
                             request.form.get("note", ""))
                message = "저장했습니다. 미리보기가 새 내용으로 바뀌었습니다."
            except StaleEdit as stale:
                problem, status = str(stale), 409
                entered = _unsaved(load_content(data), request.form)
                if entered:
                    problem += "\n저장되지 않은 내 입력: " + ", ".join(entered)
            except Busy as busy:
                problem, status = str(busy), 503
            except (LeafletsError, ValueError) as wrong:
                problem, status = str(wrong), 400
        content = load_content(data)
        return render_template("fees.html.j2", content=content, version=file_version(data),
                               message=message, problem=problem), status

    @app.get("/preview")
    @login_required()
    def preview():
        content = load_content(data)
        pages = [(name, number) for name, product in PRODUCTS.items()
                 for number in range(1, len(product.pages) + 1)]
        return render_template("preview.html.j2", pages=pages, sha=content.sha256[:12],
                               dong=None)

    @app.get("/preview/<product>-<int:page>.png")
    @login_required()
    def preview_png(product, page):
        return _png(product, page, None)

    dongs_read = {"states": None, "known": None}  # the last 동 file read, and from what
    dongs_lock = threading.Lock()

    def current_dongs():
        """load_dongs(dongs), read again only when the file or one of its pictures changed.

        Reading checks and decodes every picture: half a second for 17 photos, too
        much for each cached preview.
        """
        with dongs_lock:
            states, known = dongs_read["states"], dongs_read["known"]
        before = _file_states(states or {dongs: None})
        if known is not None and before == states:
            return known
        known = load_dongs(dongs)
        after = _file_states([dongs, *(dongs.parent / d.image.source
                                       for d in known.dongs if d.image)])
        if all(after.get(path, state) == state for path, state in before.items()):
            with dongs_lock:  # nothing changed while it was read
                dongs_read.update(states=after, known=known)
        return known

    def known_dong(name):
        """The 동 called ``name``; 404 for a name the 동 file does not have."""
        known = current_dongs()
        if name not in [d.name for d in known.dongs]:
            abort(404)
        return known.get(name)

    def _png(product, page, dong_name):
        if product not in PRODUCTS or not 1 <= page <= len(PRODUCTS[product].pages):
            abort(404)
        content = load_content(data)
        dong = known_dong(dong_name) if dong_name else None
        key = (content.sha256, product, dong.fingerprint if dong else "")

        def pngs(renderer) -> list[bytes]:  # one render serves every page of the product
            pdf = renderer.render(content, product, "screen", dong).pdf
            return [_png_bytes(image) for image in rasterize(pdf, PREVIEW_DPI)]

        png = renders.cached(key, pngs)[page - 1]
        response = send_file(io.BytesIO(png), mimetype="image/png")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/print/<product>.pdf")
    @login_required(admin=True)
    def print_pdf(product):
        if product not in PRODUCTS:
            abort(404)
        content = load_content(data)

        def checked(renderer) -> bytes:  # only a file that passed the preflight leaves
            from leaflets.artifacts import PreflightFailed
            from leaflets.preflight import preflight_many

            result = renderer.render(content, product, "print")
            report, = preflight_many([(result.pdf, f"print/{product}.pdf", result.bleed_mm)],
                                     url=content.service.url)
            if not report.passed:
                raise PreflightFailed([report])
            return result.pdf

        try:
            pdf = renders.run(checked)
        except LeafletsError as wrong:
            abort(409, _for_staff(wrong))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{product}-인쇄용.pdf")

    @app.get("/budget")
    @login_required(admin=True)
    def budget():
        from leaflets.budgetview import budget_page

        content = load_content(data)
        pricer = Pricer(load_production(production), content)
        check = pricer.check()
        remedies = [] if check.within else pricer.remedies(check)
        spent, ordered = year_spending(ledger, data, production, content)
        return render_template("budget.html.j2",
                               page=budget_page(check, remedies, spent, ordered),
                               orders=ledger.orders(),
                               titles={name: p.title for name, p in PRODUCTS.items()})

    @app.route("/dong/<name>", methods=["GET", "POST"])
    @login_required()
    def dong_page(name):
        known_dong(name)
        if not g.user.may_edit(name):
            abort(403)
        message, problem, status, entered = None, None, 200, None
        if request.method == "POST":
            upload = request.files.get("image")
            image = upload.read() if upload is not None and upload.filename else None
            fields = {key: request.form.get(key, "") for key in FIELDS}
            try:
                save_dong(dongs, request.form.get("version", ""), name, fields, image,
                          check=checker.check)
                message = "저장했습니다."
            except StaleEdit as stale:
                problem, status, entered = str(stale), 409, fields
            except Busy as busy:
                problem, status, entered = str(busy), 503, fields
            except LeafletsError as wrong:  # the file is as it was; keep what was typed
                problem, status, entered = _for_staff(wrong), 400, fields
        dong = current_dongs().get(name)
        return render_template("dong.html.j2", dong=dong, fields=FIELDS,
                               version=dong_version(dong), message=message,
                               problem=problem, entered=entered), status

    @app.get("/dong/<name>/<product>-<int:page>.png")
    @login_required()
    def dong_png(name, product, page):
        known_dong(name)
        if not g.user.may_edit(name):
            abort(403)
        return _png(product, page, name)

    @app.get("/dong/<name>/<product>.pdf")
    @login_required()
    def dong_pdf(name, product):
        dong = known_dong(name)
        if not g.user.may_edit(name):
            abort(403)
        if product not in PRODUCTS:
            abort(404)
        mode = "print" if request.args.get("print") else "screen"
        content = load_content(data)
        try:
            if mode == "print":  # the edition a build makes, its print files preflighted
                files = dict(checker.edition(dong))
                pdf = files[f"dongs/{dong.slug}/print/{product}.pdf"][1]
            else:
                pdf = renders.run(lambda renderer: renderer.render(content, product, mode,
                                                                   dong).pdf)
        except LeafletsError as wrong:
            abort(409, _for_staff(wrong))
        suffix = "-인쇄용" if mode == "print" else ""
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{name}-{product}{suffix}.pdf")

    @app.route("/package", methods=["GET", "POST"])
    @login_required(admin=True)
    def package():
        from leaflets.package import make_package

        if request.method == "POST":
            try:
                with lock:
                    result = make_package(data, production, out, ledger,
                                          renderer=renderer())
            except LeafletsError as wrong:
                abort(400, str(wrong))
            # Already ordered (a second click): the same zip, nothing new recorded.
            if not result.zip_path.is_file():
                abort(400, f"이 내용은 발주 기록 #{result.order_id}로 이미 발주했지만 그 묶음 "
                           "파일이 없습니다. 명령줄의 leaflets package --reorder 로 다시 "
                           "만들어 주세요.")
            return send_file(result.zip_path, mimetype="application/zip", as_attachment=True,
                             download_name=result.zip_path.name)
        orders = ledger.orders()
        standing = [order for order in orders if not order.voided]
        changes = None
        if standing and standing[-1].content:
            changes = field_changes(standing[-1].content, data.read_bytes())
        return render_template("package.html.j2", orders=orders, changes=changes)

    return app


def _for_staff(error: LeafletsError) -> str:
    """An error as a 동 담당자 should read it: without the server's folders."""
    text = str(error)
    for report in getattr(error, "reports", ()):  # PreflightFailed: say which checks
        text += "\n" + report.name + ": " + "; ".join(
            f"{CHECKS[f.check]} — {f.where} {f.detail}" for f in report.findings if not f.ok)
    path = getattr(error, "path", None)
    if path:
        text = text.replace(str(path), Path(path).name)
    return text


def _unsaved(content, form) -> list[str]:
    """What the user typed that differs from the saved file, so a refused save loses nothing."""
    try:
        rows = _fee_rows(form)
    except ValueError:
        return []
    saved = {fee.document: fee for fee in content.fees}
    lines = []
    for row in rows:
        fee = saved.get(row["document"])
        for key, label in (("counter", "민원창구"), ("kiosk", "무인발급기"), ("online", "민원24")):
            if fee is None or getattr(fee, key) != row[key]:
                lines.append(f"{row['document']} {label} {row[key]:,}원")
    steps = [s for s in form.getlist("step") if s.strip()]
    if steps != list(content.howto.steps):
        lines.append("이용 방법: " + " / ".join(steps))
    if form.get("note", "") != content.howto.note:
        lines.append("참고: " + form.get("note", ""))
    return lines


def _fee_rows(form) -> list[dict]:
    rows = []
    for document, counter, kiosk, online in zip(form.getlist("document"),
                                                form.getlist("counter"),
                                                form.getlist("kiosk"),
                                                form.getlist("online"), strict=False):
        if not document.strip():
            continue
        amounts = []
        for label, value in (("민원창구", counter), ("무인발급기", kiosk), ("민원24", online)):
            try:
                amounts.append(int(value.replace(",", "").strip()))
            except ValueError:
                raise ValueError(f"'{document}'의 {label} 금액 '{value}'이(가) 숫자가 아닙니다 "
                                 "(원 단위 숫자만, 무료는 0)") from None
        rows.append({"document": document.strip(), "counter": amounts[0],
                     "kiosk": amounts[1], "online": amounts[2]})
    return rows


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


def _file_states(paths) -> dict:
    """Each file's identity, size and modification time (None if missing): a change shows."""
    states = {}
    for path in paths:
        try:
            stat = Path(path).stat()
            states[path] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError:
            states[path] = None
    return states


def _png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _content_security_policy(templates: Path) -> str:
    """Own resources only, no scripts; the pages' inline stylesheets allowed by their hash."""
    hashes = sorted({
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for template in templates.glob("*.j2")
        for css in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S)})
    return ("default-src 'self'; script-src 'none'; object-src 'none'; "
            f"style-src 'self' {' '.join(hashes)}; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'none'")


def _secret_key(instance: Path) -> bytes:
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return hashlib.sha256(path.read_bytes()).digest()


def is_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
