"""Production: the 관리자 edits production.toml (runs, 발주 정보, 예산, 부가세)."""

from __future__ import annotations

from flask import render_template, request

from leaflets.editing import StaleEdit
from leaflets.errors import DataError
from leaflets.production import parse_production
from leaflets.production_edit import FieldErrors, form_fields, form_values, save_production
from leaflets.shared import Busy, version
from leaflets.tomlfile import read_file
from leaflets.web.common import Site, for_staff, login_required


def register(app, site: Site) -> None:
    """Add /production (관리자 only)."""
    path = site.production

    @app.route("/production", methods=["GET", "POST"])
    @login_required(admin=True)
    def production():
        message, problem, status = None, None, 200
        errors, entered, mine = {}, None, {}
        if request.method == "POST":
            form = request.form.to_dict()
            try:
                save_production(path, request.form.get("version", ""), form)
                message = "저장했습니다. 예산 페이지에 새 값이 반영되었습니다."
            except FieldErrors as wrong:
                errors, entered, status = wrong.by_field, form, 400
                problem = (f"저장하지 않았습니다: 잘못된 값이 {len(errors)}개 있습니다. "
                           "표시된 칸을 고친 뒤 다시 저장해 주세요.")
            except StaleEdit as stale:
                problem, status = str(stale), 409
                mine = form  # shown beside each field whose saved value differs
            except Busy as busy:
                problem, status, entered = str(busy), 503, form
            except DataError as wrong:  # the file itself no longer reads
                problem, status, entered = for_staff(wrong), 400, form
        try:  # a file broken by hand: its error, and no form to overwrite it with
            raw = read_file(path)
            parse_production(raw, path)
            values = form_values(raw, path)
            groups = form_fields(raw, path)
        except DataError as wrong:
            return render_template("production.html.j2", broken=for_staff(wrong),
                                   file=path.name), 409 if request.method == "POST" else 200
        if mine:
            mine = {f.key: mine.get(f.key, "") for _, fields in groups for f in fields
                    if (f.key in mine or f.kind == "flag") and mine.get(f.key, "") != values[f.key]}
            if mine:
                problem += "\n저장되지 않은 내 입력: " + ", ".join(
                    f"{f.label} {_said(f, mine[f.key])}" for _, fields in groups
                    for f in fields if f.key in mine)
        labels = {f.key: f.label for _, fields in groups for f in fields}
        return render_template("production.html.j2", groups=groups, labels=labels,
                               values=entered if entered is not None else values,
                               errors=errors, mine=mine, version=version(raw),
                               message=message, problem=problem), status


def _said(field, value: str) -> str:
    if field.kind == "flag":
        return "예" if value == "on" else "아니요"
    return value or "(비움)"
