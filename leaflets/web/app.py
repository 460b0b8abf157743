"""The app factory: configuration, sessions and CSRF, security headers, error pages,
and the registration of every area's views (one module per area)."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, abort, g, render_template, request, session
from werkzeug.exceptions import HTTPException

from leaflets.admission import EditionChecker
from leaflets.dongs import MAX_IMAGE_BYTES
from leaflets.ledger import Ledger, default_ledger
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION, TEMPLATES
from leaflets.renderpool import RenderPool
from leaflets.users import LOGIN_WINDOW, ROLES, StoreBusy, UserStore
from leaflets.web import (
    approval,
    auth,
    budget,
    dong,
    evaluation,
    fees,
    fonts,
    home,
    media,
    orders,
    production,
)
from leaflets.web.common import (
    MESSAGES,
    PREVIEW_CACHE,
    RENDER_WORKERS,
    Site,
    content_security_policy,
    secret_key,
)

# Each area's register(app, site) adds its views; their endpoint names are the
# names the templates' url_for() use.
AREAS = (auth, home, fonts, fees, dong, budget, orders, production, evaluation, media,
         approval)


class _App(Flask):
    def select_jinja_autoescape(self, filename):
        return True  # every template, whatever its extension


def create_app(*, data=DEFAULT_DATA, production=DEFAULT_PRODUCTION, dongs=DEFAULT_DONGS,
               users: Path | None = None, instance: Path | None = None, out: Path | None = None):
    """The office web app over these files (the project's own by default)."""
    data, production, dongs = Path(data), Path(production), Path(dongs)
    instance = Path(instance or data.parent / "instance")
    app = _App("leaflets.web", template_folder=str(TEMPLATES / "web"))
    app.config.update(
        SECRET_KEY=secret_key(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_IMAGE_BYTES + 256 * 1024,
    )
    site = Site(data=data, production=production, dongs=dongs,
                out=Path(out or data.parent / "dist").resolve(),  # send_file: else app-relative
                store=UserStore(users or instance / "users.sqlite"),
                ledger=Ledger(default_ledger(production)),
                renders=RenderPool(RENDER_WORKERS, keep=PREVIEW_CACHE),
                checker=EditionChecker(data, production))
    policy = content_security_policy(Path(app.template_folder))

    @app.before_request
    def load_user():
        g.user = site.store.session_user(session.get("sid"))  # None once logged out
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method == "POST" and not secrets.compare_digest(
                request.form.get("csrf", ""), session["csrf"]):
            abort(400, "보안 토큰이 맞지 않습니다. 페이지를 새로 열고 다시 해 주세요.")

    @app.context_processor
    def common():
        return {"user": g.get("user"), "csrf": session.get("csrf", ""), "roles": ROLES,
                "products": PRODUCTS}

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

    for area in AREAS:
        area.register(app, site)
    return app
