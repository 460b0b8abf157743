"""동 pages: a 동's block (text and picture), its previews and its files."""

from __future__ import annotations

import io

from flask import abort, g, jsonify, render_template, request, send_file, url_for

from leaflets.content import load_content
from leaflets.dongs import FIELDS
from leaflets.editing import StaleEdit, dong_version, preview_dong, save_dong
from leaflets.errors import LeafletsError
from leaflets.products import PRODUCTS
from leaflets.shared import Busy
from leaflets.web.common import Site, for_staff, login_required
from leaflets.web.fields import by_input, dong_errors


def register(app, site: Site) -> None:
    """Add /dong/<name> and its PNGs and PDFs (a 동 담당자 only their own 동)."""

    def own_dong(name):
        dong = site.known_dong(name)
        if not g.user.may_edit(name):
            abort(403)
        return dong

    @app.route("/dong/<name>", methods=["GET", "POST"])
    @login_required()
    def dong_page(name):
        own_dong(name)
        message, problem, status, entered, errors = None, None, 200, None, []
        if request.method == "POST":
            upload = request.files.get("image")
            image = upload.read() if upload is not None and upload.filename else None
            fields = {key: request.form.get(key, "") for key in FIELDS}
            try:
                save_dong(site.dongs, request.form.get("version", ""), name, fields, image,
                          check=site.checker.check)
                message = "저장했습니다."
            except StaleEdit as stale:
                problem, status, entered = str(stale), 409, fields
            except Busy as busy:
                problem, status, entered = str(busy), 503, fields
            except LeafletsError as wrong:  # the file is as it was; keep what was typed
                errors, status, entered = dong_errors(wrong, name, for_staff), 400, fields
                problem = f"저장하지 않았습니다. 고칠 곳 {len(errors)}곳이 표시되어 있습니다."
        dong = site.current_dongs().get(name)
        version = dong_version(dong)
        if status == 400:  # still the version the editor started from
            version = request.form.get("version", "")
        return render_template("dong.html.j2", dong=dong, fields=FIELDS, version=version,
                               message=message, problem=problem, entered=entered,
                               errors=errors, marked=by_input(errors)), status

    @app.post("/dong/<name>/preview")
    @login_required()
    def dong_live(name):
        """The 동's poster as the form stands, validated in memory, never saved."""
        own_dong(name)
        fields = {key: request.form.get(key, "") for key in FIELDS}
        try:
            dong = preview_dong(site.dongs, name, fields)
            token = site.live_preview(load_content(site.data), "poster-a4", 1, dong)
            return jsonify(errors=[], src=url_for("live_png", token=token))
        except LeafletsError as wrong:  # a wrong value, or a block wider than its place
            errors = dong_errors(wrong, name, for_staff)
        return jsonify(errors=[e.as_json() for e in errors], src=None), 422

    @app.get("/dong/<name>/<product>-<int:page>.png")
    @login_required()
    def dong_png(name, product, page):
        own_dong(name)
        return site.preview_png(product, page, name)

    @app.get("/dong/<name>/<product>.pdf")
    @login_required()
    def dong_pdf(name, product):
        dong = own_dong(name)
        if product not in PRODUCTS:
            abort(404)
        mode = "print" if request.args.get("print") else "screen"
        content = load_content(site.data)
        try:
            if mode == "print":  # the edition a build makes, its print files preflighted
                files = dict(site.checker.edition(dong))
                pdf = files[f"dongs/{dong.slug}/print/{product}.pdf"][1]
            else:
                pdf = site.renders.run(lambda renderer: renderer.render(content, product, mode,
                                                                        dong).pdf)
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        suffix = "-인쇄용" if mode == "print" else ""
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{name}-{product}{suffix}.pdf")
