"""The home page: the 관리자's overview; a 동 담당자 goes straight to their 동."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from leaflets.budget import Pricer, year_spending
from leaflets.content import load_content
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.web.common import Site, login_required


def register(app, site: Site) -> None:
    """Add /."""

    @app.get("/")
    @login_required()
    def home():
        if not g.user.is_admin:
            return redirect(url_for("dong_page", name=g.user.dong))
        content = load_content(site.data)
        check = Pricer(load_production(site.production), content).check()
        spent, _ = year_spending(site.ledger, site.data, site.production, content)
        standing = [order for order in site.ledger.orders() if not order.voided]
        pages = [(name, number) for name, product in PRODUCTS.items()
                 for number in range(1, len(product.pages) + 1)]
        return render_template("home.html.j2",
                               dongs=[d.name for d in site.current_dongs().dongs],
                               pages=pages, products=PRODUCTS, sha=content.sha256[:12],
                               last=standing[-1] if standing else None,
                               spent=spent, allocation=check.allocation, job=check.total)
