"""Fees: editing the content file, the 구 edition's previews and its print files."""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file

from leaflets.content import load_content
from leaflets.editing import StaleEdit, file_version, save_content
from leaflets.errors import LeafletsError
from leaflets.products import PRODUCTS
from leaflets.shared import Busy
from leaflets.web.common import Site, for_staff, login_required


def register(app, site: Site) -> None:
    """Add /fees (관리자), /preview and its PNGs, /print/<product>.pdf (관리자)."""
    data = site.data

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
        return site.preview_png(product, page, None)

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
            pdf = site.renders.run(checked)
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{product}-인쇄용.pdf")


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
