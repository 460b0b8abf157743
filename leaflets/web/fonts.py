"""The static assets: the project's own fonts, so pages never depend on the PC's, and
the pages' small scripts (every page also works without them)."""

from __future__ import annotations

from flask import abort, send_file

from leaflets.project import FONTS, TEMPLATES
from leaflets.web.common import Site

WEB_FONTS = ("NanumSquareR.ttf", "NanumSquareB.ttf")  # base.html.j2's @font-face
SCRIPTS = TEMPLATES / "web" / "scripts"  # served as /scripts/<name>.js, nothing else


def register(app, site: Site) -> None:
    """Add /fonts/<name> and /scripts/<name>.js (no login: the login page uses them too)."""

    @app.get("/fonts/<name>")
    def font(name):
        if name not in WEB_FONTS:
            abort(404)
        return send_file(FONTS / name, mimetype="font/ttf", max_age=86400)

    @app.get("/scripts/<name>.js")
    def script(name):
        known = {path.stem for path in SCRIPTS.glob("*.js")}
        if name not in known:
            abort(404)
        return send_file(SCRIPTS / f"{name}.js", mimetype="text/javascript", max_age=3600)
