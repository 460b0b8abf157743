"""Orders: the vendor package, made (and recorded) once per content version."""

from __future__ import annotations

from flask import abort, render_template, request, send_file

from leaflets.diff import field_changes
from leaflets.errors import LeafletsError
from leaflets.ledger import baseline
from leaflets.production import load_production
from leaflets.web.common import Site, login_required


def register(app, site: Site) -> None:
    """Add /package (관리자 only)."""

    @app.route("/package", methods=["GET", "POST"])
    @login_required(admin=True)
    def package():
        from leaflets.package import make_package

        if request.method == "POST":
            def packaged(renderer):
                return make_package(site.data, site.production, site.out, site.ledger,
                                    renderer=renderer)

            try:
                # On the render pool, like every other render: a package takes one of its
                # workers, so previews still get the other and the CPU is not oversubscribed.
                with site.lock:  # one package at a time in this process
                    output = load_production(site.production).output
                    result = site.renders.run(packaged, output=output)
            except LeafletsError as wrong:
                abort(400, str(wrong))
            # Already ordered (a second click): the same zip, nothing new recorded.
            if not result.zip_path.is_file():
                abort(400, f"이 내용은 발주 기록 #{result.order_id}로 이미 발주했지만 그 묶음 "
                           "파일이 없습니다. 명령줄의 leaflets package --reorder 로 다시 "
                           "만들어 주세요.")
            return send_file(result.zip_path, mimetype="application/zip", as_attachment=True,
                             download_name=result.zip_path.name)
        orders = site.ledger.orders()
        # Compared with what the 결재 PDF compares with (the last 구 order, else .prev).
        since = baseline(site.ledger, site.data)
        changes = None if since is None else field_changes(since.data, site.data.read_bytes())
        return render_template("package.html.j2", orders=orders, changes=changes,
                               since=since)
