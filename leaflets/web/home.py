"""The home pages: the 관리자's overview (budget, last order, last build, what is
pending) and a 동 담당자's own edition."""

from __future__ import annotations

import re

from flask import g, render_template

from leaflets.budget import Pricer, year_spending
from leaflets.content import load_content
from leaflets.dongs import FIELDS
from leaflets.editing import dong_version
from leaflets.errors import DataError
from leaflets.ledger import bundle_hash
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.web.common import Site, for_staff, login_required
from leaflets.web.lastbuild import last_build

_DONG_FIELD = re.compile(r"dongs\[\d+\] \((?P<name>[^)]+)\)")  # dongs.py's field names


def dong_problems(error: DataError) -> list[tuple[str | None, str]]:
    """[(동 name or None if the name itself is wrong, message)] of a dongs file error."""
    return [(found.group("name") if (found := _DONG_FIELD.match(one.field or "")) else None,
             for_staff(one)) for one in getattr(error, "errors", None) or (error,)]


def register(app, site: Site) -> None:
    """Add /."""

    @app.get("/")
    @login_required()
    def home():
        if not g.user.is_admin:
            return dong_home()
        data = site.data.read_bytes()
        content = load_content(site.data)
        check = Pricer(load_production(site.production), content).check()
        spent, _ = year_spending(site.ledger, site.data, site.production, content)
        standing = [order for order in site.ledger.orders() if not order.voided]
        pages = [(name, number) for name, product in PRODUCTS.items()
                 for number in range(1, len(product.pages) + 1)]
        # The package page's own test: this content and production file ordered already?
        ordered = site.ledger.earlier(bundle_hash(data, site.production.read_bytes()),
                                      content.sha256)
        try:  # the file's validation only: rendering 17 editions is the save's job
            dongs, problems = [d.name for d in site.current_dongs().dongs], []
        except DataError as wrong:
            dongs, problems = [], dong_problems(wrong)
        return render_template("home.html.j2", dongs=dongs, problems=problems,
                               dongs_file=site.dongs.name, ordered=ordered,
                               build=last_build(site.out), content_sha=content.sha256,
                               pages=pages, products=PRODUCTS, sha=content.sha256[:12],
                               last=standing[-1] if standing else None,
                               spent=spent, allocation=check.allocation, job=check.total)

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
