"""Accounts: logging in (rate-limited, a fresh session and token) and out, and a
user changing their own password."""

from __future__ import annotations

import secrets

from flask import abort, g, redirect, render_template, request, session, url_for

from leaflets.users import MIN_PASSWORD, TooManyAttempts, UserError
from leaflets.web.common import Site, local_path, login_required


def register(app, site: Site) -> None:
    """Add /login, /logout and /password."""
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

    @app.route("/password", methods=["GET", "POST"])
    @login_required()
    def password():
        """The logged-in user's own password: the current one (wrong ones count as failed
        logins), the new one twice. Their other sessions end; this one stays."""
        message, problem, status = None, None, 200
        if request.method == "POST":
            new = request.form.get("new", "")
            try:
                if new != request.form.get("again", ""):
                    raise UserError("새 비밀번호 두 칸이 다릅니다")
                changed = store.change_password(g.user.name, request.form.get("current", ""),
                                                new, request.remote_addr or "?",
                                                keep=session.get("sid"))
            except TooManyAttempts:
                abort(429)
            except UserError as wrong:
                problem, status = f"바꾸지 않았습니다: {wrong}.", 400
            else:
                if changed:
                    message = ("비밀번호를 바꿨습니다. 다른 컴퓨터나 브라우저의 로그인은 "
                               "끝났습니다.")
                else:
                    problem, status = "바꾸지 않았습니다: 지금 비밀번호가 틀렸습니다.", 401
        return render_template("password.html.j2", message=message, problem=problem,
                               minimum=MIN_PASSWORD), status
