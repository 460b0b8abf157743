"""동별 평가 (붙임 1) on the web: the 관리자 uploads the inputs and sees every 동;
a 동 담당자 sees their own 동's score only and adds their own activities."""

from __future__ import annotations

import io
from pathlib import PurePath

from flask import abort, g, render_template, request, send_file
from markupsafe import Markup

from leaflets.clock import build_date
from leaflets.errors import DataError, LeafletsError
from leaflets.evaluation import (
    INDICATORS,
    PROMOTION_CAP,
    PROMOTION_POINTS,
    PROMOTION_TIMES,
    SPECIAL,
    SPECIAL_CAP,
    SPECIAL_POINTS,
    TOTAL_CAP,
    USE_TOP,
    cases_from_ledger,
)
from leaflets.evaluation_io import ledger_orders
from leaflets.evaluation_report import (
    RULES,
    SECTIONS,
    TABLE_HEADER,
    chart_svg,
    percent,
    report_pdf,
    table_cells,
)
from leaflets.evaluation_store import (
    ACTIVITIES,
    COUNTS,
    append_activity,
    check_upload,
    folder_of,
    load,
    scores,
    store_upload,
)
from leaflets.shared import Busy, StaleEdit, version
from leaflets.web.common import Site, for_staff, login_required

MAX_CSV = 2 * 1024 * 1024  # bytes of one uploaded CSV


def _errors(error: LeafletsError) -> list[str]:
    """Every error of ``error`` (all of an upload's), one line each, without folders."""
    return [for_staff(e) for e in getattr(error, "errors", None) or (error,)]


def _upload(name: str) -> tuple[bytes, str]:
    """(bytes, file name as the user's computer called it) of the form's file ``name``."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return b"", ""
    data = upload.read(MAX_CSV + 1)
    if len(data) > MAX_CSV:
        abort(413)
    return data, PurePath(upload.filename.replace("\\", "/")).name


def register(app, site: Site) -> None:
    """Add /evaluation (관리자) and /evaluation/dong/<name> (a 동 담당자 their own only)."""

    def current():
        """(stored inputs or None, their evaluation or None, a problem or None)."""
        try:
            inputs = load(site.data)
            return inputs, inputs and scores(inputs, ledger_orders(site.ledger)), None
        except LeafletsError as error:  # a file changed by hand on the server
            return None, None, for_staff(error)

    @app.route("/evaluation", methods=["GET", "POST"])
    @login_required(admin=True)
    def evaluation():
        message, problems, status = None, [], 200
        if request.method == "POST":
            counts, counts_name = _upload("counts")
            activities, activities_name = _upload("activities")
            missing = [label for label, data in (("실적.csv", counts), ("활동.csv", activities))
                       if not data]
            try:
                if missing:
                    raise DataError(", ".join(missing), "(파일)", "파일을 고르지 않았습니다")
                files = check_upload(counts, activities, request.form.get("year", ""),
                                     request.form.get("gu", ""),
                                     counts_name=counts_name or COUNTS,
                                     activities_name=activities_name or ACTIVITIES)
                store_upload(site.data, files, request.form.get("version", ""))
                message = "저장했습니다. 아래 점수는 올린 파일로 계산한 것입니다."
            except StaleEdit as stale:
                problems, status = [str(stale)], 409
            except Busy as busy:
                problems, status = [str(busy)], 503
            except LeafletsError as wrong:  # nothing stored
                problems, status = _errors(wrong), 400
        inputs, result, problem = current()
        folder = folder_of(site.data)
        stored = (folder / ACTIVITIES).read_bytes() if (folder / ACTIVITIES).is_file() else b""
        return render_template(
            "evaluation.html.j2", inputs=inputs, result=result, message=message,
            problems=problems + ([problem] if problem else []), version=version(stored),
            year=request.form.get("year") or (inputs.year if inputs else build_date()[:4]),
            gu=request.form.get("gu", inputs.gu_text if inputs else ""),
            header=TABLE_HEADER, rows=[table_cells(s) for s in result.scores] if result else [],
            chart=Markup(chart_svg(result)) if result else None, percent=percent,
            rules=RULES, ledger_cases=cases_from_ledger(result) if result else []), status

    @app.get("/evaluation/report.pdf")
    @login_required(admin=True)
    def evaluation_report():
        inputs, result, problem = current()
        if result is None:
            abort(409, problem or "아직 올린 평가 자료가 없습니다.")
        today = build_date()
        pdf = site.renders.run(lambda renderer: report_pdf(result, renderer, today))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"평가결과-{inputs.year}.pdf")

    @app.get("/evaluation/activities.csv")
    @login_required(admin=True)
    def evaluation_activities():
        path = folder_of(site.data) / ACTIVITIES
        if not path.is_file():
            abort(404)
        return send_file(io.BytesIO(path.read_bytes()), mimetype="text/csv",
                         as_attachment=True, download_name=ACTIVITIES)

    @app.route("/evaluation/dong/<name>", methods=["GET", "POST"])
    @login_required()
    def evaluation_dong(name):
        if not g.user.may_edit(name):
            abort(403)
        site.known_dong(name)  # 404 for a name the 동 file does not have
        message, problem, status, entered = None, None, 200, {}
        if request.method == "POST":
            if not g.user.may_edit(request.form.get("dong", "")) \
                    or request.form.get("dong") != name:
                abort(403)  # a form naming another 동: nothing written
            entered = {key: request.form.get(key, "") for key in ("date", "indicator", "text")}
            try:
                added = append_activity(site.data, name, entered["date"], entered["indicator"],
                                        entered["text"])
                message = f"활동을 추가했습니다: {added.date} {added.indicator} '{added.text}'"
                entered = {}
            except Busy as busy:
                problem, status = str(busy), 503
            except LeafletsError as wrong:
                problem, status = "\n".join(_errors(wrong)), 400
        inputs, result, trouble = current()
        score = next((s for s in result.scores if s.dong == name), None) if result else None
        mine = [a for a in inputs.activities if a.dong == name] if inputs else []
        return render_template(
            "evaluation_dong.html.j2", name=name, inputs=inputs, score=score,
            count=len(result.scores) if result else 0, mine=mine, message=message,
            problem=problem or trouble, entered=entered, indicators=INDICATORS,
            special=SPECIAL, times_cap=PROMOTION_TIMES, use_top=USE_TOP, sections=SECTIONS,
            promotion_points=PROMOTION_POINTS, promotion_cap=PROMOTION_CAP,
            special_points=SPECIAL_POINTS, special_cap=SPECIAL_CAP, total_cap=TOTAL_CAP,
            percent=percent), status
