"""The home pages: the 관리자's overview (budget, last order, last build, what is
pending) and a 동 담당자's own edition."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import g, render_template

from leaflets.budget import Pricer, year_spending
from leaflets.content import parse_content
from leaflets.dongs import FIELDS
from leaflets.editing import dong_version
from leaflets.errors import DataError, LeafletsError
from leaflets.ledger import bundle_hash
from leaflets.production import parse_production
from leaflets.products import PRODUCTS
from leaflets.tomlfile import read_file
from leaflets.web.common import Site, for_staff, login_required
from leaflets.web.fields import dong_label
from leaflets.web.lastbuild import last_build


def dong_problems(error: DataError) -> list[tuple[str | None, str]]:
    """[(동 name or None if the name itself is wrong, message)] of a dongs file error,
    each under the name the 동 form gives its field ("전화번호", not ``phone``)."""
    problems = []
    for one in getattr(error, "errors", None) or (error,):
        label = dong_label(getattr(one, "key", None))
        if label is None or not isinstance(one, DataError):
            problems.append((getattr(one, "dong", None), for_staff(one)))
            continue
        text = f"{label}: {one.problem}"
        if one.value is not None:
            text += f" (입력값: {one.value!r})"
        if one.allowed:
            text += f" — 허용: {one.allowed}"
        problems.append((one.dong, text))
    return problems


def register(app, site: Site) -> None:
    """Add /."""

    @app.get("/")
    @login_required()
    def home():
        if not g.user.is_admin:
            return dong_home()
        try:  # the files as they are now, each read once; a wrong one is the first to-do
            data, settings = read_file(site.data), read_file(site.production)
            content = parse_content(data, site.data)
            production = parse_production(settings, site.production)
        except LeafletsError as wrong:
            return render_template("home.html.j2", broken=for_staff(wrong),
                                   broken_file=_file_name(wrong), dongs=(), problems=(),
                                   build=last_build(site.out), last=None)
        check = Pricer(production, content).check()
        spent, _ = year_spending(site.ledger, site.data, site.production, content)
        standing = [order for order in site.ledger.orders() if not order.voided]
        pages = [(name, number) for name, product in PRODUCTS.items()
                 for number in range(1, len(product.pages) + 1)]
        # The package page's own test: this content and production file ordered already?
        ordered = site.ledger.earlier(bundle_hash(data, settings), content.sha256)
        try:  # the file's validation only: rendering 17 editions is the save's job
            dongs, problems = [d.name for d in site.current_dongs().dongs], []
        except DataError as wrong:
            dongs, problems = [], dong_problems(wrong)
        return render_template("home.html.j2", dongs=dongs, problems=problems,
                               dongs_file=site.dongs.name, ordered=ordered,
                               build=last_build(site.out), content_sha=content.sha256,
                               production_sha=hashlib.sha256(settings).hexdigest(),
                               pages=pages, products=PRODUCTS, sha=content.sha256[:12],
                               last=standing[-1] if standing else None,
                               spent=spent, allocation=check.allocation, job=check.total)

    def _file_name(wrong) -> str:
        path = getattr(wrong, "path", None)
        return Path(path).name if path else site.data.name

    def dong_home():
        try:
            dong = site.current_dongs().get(g.user.dong)
        except DataError as wrong:  # their own 동's problems only
            mine = [text for name, text in dong_problems(wrong) if name in (g.user.dong, None)]
            return render_template("dong_home.html.j2", name=g.user.dong, dong=None,
                                   problems=mine or ["동 파일에 다른 동의 오류가 있어 지금은 "
                                                     "보여 드릴 수 없습니다. 관리자에게 알려 "
                                                     "주세요."])
        return render_template("dong_home.html.j2", name=dong.name, dong=dong, fields=FIELDS,
                               problems=(), version=dong_version(dong)[:12],
                               products={key: product for key, product in PRODUCTS.items()
                                         if product.dong_page})
