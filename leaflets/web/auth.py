"""Accounts: logging in (rate-limited, a fresh session and token) and out."""

from __future__ import annotations

import secrets

from flask import abort, redirect, render_template, request, session, url_for

from leaflets.users import TooManyAttempts
from leaflets.web.common import Site, local_path


def register(app, site: Site) -> None:
    """Add /login and /logout."""
    store = site.store

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
