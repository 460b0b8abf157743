"""The 결재 PDF on the web: the document ``leaflets diff --report`` makes, of the
current content file against :func:`leaflets.ledger.baseline` (what was last ordered
for the 구 edition, else the ``.prev`` of the last save). The command line compares
what it is given instead (by default the last commit, HEAD).
"""

from __future__ import annotations

import io

from flask import abort, send_file

from leaflets.approval import Version, approval_pdf
from leaflets.budget import year_spending
from leaflets.clock import build_date
from leaflets.content import parse_content
from leaflets.errors import LeafletsError
from leaflets.ledger import baseline
from leaflets.production import load_production
from leaflets.web.common import Site, for_staff, login_required


def register(app, site: Site) -> None:
    """Add /fees/approval.pdf (관리자 only)."""

    @app.get("/fees/approval.pdf")
    @login_required(admin=True)
    def approval():
        found = baseline(site.ledger, site.data)
        if found is None:
            abort(404, "비교할 이전 내용이 없습니다: 발주 기록도, 직전 저장본(.prev)도 "
                       "없습니다. 수수료를 한 번 저장하거나 발주한 뒤 다시 해 주세요")
        old_bytes, old_label = found.data, found.label
        new_bytes = site.data.read_bytes()
        try:
            old = Version(old_bytes, old_label, parse_content(old_bytes, old_label))
            new = Version(new_bytes, site.data.name, parse_content(new_bytes, site.data))
            production = load_production(site.production)
            spent, ordered = year_spending(site.ledger, site.data, site.production,
                                           new.content)
            date = build_date()
            pdf = site.renders.run(lambda renderer: approval_pdf(
                old, new, production, renderer, date=date, spent=spent, ordered=ordered))
        except LeafletsError as wrong:
            abort(409, for_staff(wrong))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"결재자료-{date}.pdf")
