"""The budget page: this job's price against the allocation, and the year's orders."""

from __future__ import annotations

from flask import render_template

from leaflets.budget import Pricer, year_spending
from leaflets.budgetview import budget_page
from leaflets.content import load_content
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.web.common import Site, login_required


def register(app, site: Site) -> None:
    """Add /budget (관리자 only)."""

    @app.get("/budget")
    @login_required(admin=True)
    def budget():
        content = load_content(site.data)
        pricer = Pricer(load_production(site.production), content)
        check = pricer.check()
        remedies = [] if check.within else pricer.remedies(check)
        spent, ordered = year_spending(site.ledger, site.data, site.production, content)
        return render_template("budget.html.j2",
                               page=budget_page(check, remedies, spent, ordered),
                               orders=site.ledger.orders(),
                               titles={name: p.title for name, p in PRODUCTS.items()})
