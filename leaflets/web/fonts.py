"""The project's own fonts, so pages never depend on the PC's."""

from __future__ import annotations

from flask import abort, send_file

from leaflets.project import FONTS
from leaflets.web.common import Site

WEB_FONTS = ("NanumSquareR.ttf", "NanumSquareB.ttf")  # base.html.j2's @font-face


def register(app, site: Site) -> None:
    """Add /fonts/<name> (no login: the login page uses them too)."""

    @app.get("/fonts/<name>")
    def font(name):
        if name not in WEB_FONTS:
            abort(404)
        return send_file(FONTS / name, mimetype="font/ttf", max_age=86400)
