"""Fees: editing the content file, the 구 edition's previews and its print files."""

from __future__ import annotations

import io

from flask import abort, jsonify, render_template, request, send_file, url_for

from leaflets.content import load_content
from leaflets.editing import StaleEdit, file_version, preview_content, save_content
from leaflets.errors import LeafletsError
from leaflets.products import PRODUCTS
from leaflets.shared import Busy
from leaflets.web.common import Site, for_staff, login_required
from leaflets.web.fields import FEE_KEYS, FeeForm, by_input


def register(app, site: Site) -> None:
    """Add /fees (관리자), /preview and its PNGs, /print/<product>.pdf (관리자)."""
    data = site.data

    @app.route("/fees", methods=["GET", "POST"])
    @login_required(admin=True)
    def fees():
        message, problem, status, errors = None, None, 200, []
        saved = load_content(data)
        form, version = FeeForm.from_content(saved), file_version(data)
        if request.method == "POST":
            form, version = FeeForm.from_request(request.form), request.form.get("version", "")
            labels = _labels(saved)
            rows, steps, errors = form.parsed(labels)
            try:
                if errors:  # amounts that are not numbers: check the rest, save nothing
                    preview_content(data, rows, steps, form.note)
                else:
                    save_content(data, version, rows, steps, form.note)
                    message = "저장했습니다. 미리보기가 새 내용으로 바뀌었습니다."
                    saved = load_content(data)
                    form, version = FeeForm.from_content(saved), file_version(data)
            except StaleEdit as stale:
                # What was typed stays in the form, now against the saved version; the
                # inputs the colleague's save holds otherwise are named, to choose from.
                problem, status, version = str(stale), 409, file_version(data)
                changed = _differences(FeeForm.from_content(load_content(data)), form, labels)
                if changed:
                    problem += "\n지금 저장된 값과 내 입력이 다른 칸: " + "; ".join(changed)
            except Busy as busy:
                problem, status = str(busy), 503
            except LeafletsError as wrong:
                errors = errors + form.place(wrong, labels)
            if errors:
                problem = f"저장하지 않았습니다. 고칠 칸 {len(errors)}곳이 표시되어 있습니다."
                status = 400
        return render_template("fees.html.j2", content=saved, form=form, version=version,
                               message=message, problem=problem, errors=errors,
                               marked=by_input(errors)), status

    @app.post("/fees/preview")
    @login_required(admin=True)
    def fees_live():
        """The poster as the form stands, validated in memory, never saved."""
        saved = load_content(data)
        labels = _labels(saved)
        form = FeeForm.from_request(request.form)
        rows, steps, errors = form.parsed(labels)
        try:
            content = preview_content(data, rows, steps, form.note)
            if not errors:
                token = site.live_preview(content, "poster-a4", 1)
                return jsonify(errors=[], src=url_for("live_png", token=token))
        except LeafletsError as wrong:  # a wrong value, or text that does not fit
            errors = errors + form.place(wrong, labels)
        return jsonify(errors=[e.as_json() for e in errors], src=None), 422

    @app.get("/live/<token>.png")
    @login_required()
    def live_png(token):
        return site.live_png(token)

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
        return site.preview_png(product, page, None)

    @app.get("/print/<product>.pdf")
    @login_required(admin=True)
    def print_pdf(product):
        if product not in PRODUCTS:
            abort(404)
        content = load_content(data)

        try:  # only a file that passed the preflight leaves
            pdf = site.print_file(content, product)
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{product}-인쇄용.pdf")


def _labels(content) -> dict[str, str]:
    table = content.fee_table
    return {"counter": table.counter_label, "kiosk": table.kiosk_label,
            "online": table.online_label}


def _differences(saved: FeeForm, typed: FeeForm, labels) -> list[str]:
    """Inputs where the file as saved now holds something else than was typed."""
    lines = []
    documents = {row["document"]: row for row in saved.rows}
    for row in typed.rows:
        document = row["document"].strip()
        if not document:
            continue
        now = documents.get(document)
        if now is None:
            lines.append(f"{document} · 서류 이름 (저장된 표에 없음)")
            continue
        for key in FEE_KEYS:
            if row[key].replace(",", "").strip() != now[key]:
                lines.append(f"{document} · {labels[key]} 수수료: 저장된 값 {now[key]}, "
                             f"내 입력 {row[key]}")
    steps = [s.strip() for s in typed.steps if s.strip()]
    if steps != list(saved.steps):
        lines.append("이용 방법: 저장된 값 " + " / ".join(saved.steps))
    if typed.note.strip() != saved.note:
        lines.append("이용 방법 참고: 저장된 값 " + saved.note)
    return lines
