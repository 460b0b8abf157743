"""The vendor package: everything the print vendor needs, complete and verifiable.

``<out>/vendor/<YYYYMMDD>-<content hash>/`` and a ``.zip`` of it:

- ``print/``      the print-ready PDFs (PDF/X-4), and ``imposed/`` sheets for the
                  runs that ask for them (``send_imposed``);
- ``proofs/``     low-resolution JPEG proofs, one per page;
- ``인쇄사양서.pdf``  the spec sheet, numbers from the budget checker;
- ``preflight/``  the preflight report of every print file (the package is
                  refused when one fails);
- ``README.txt``  what each file is, in Korean; ``manifest.json`` SHA-256 of all.

The same inputs give byte-identical files and zip. The order is recorded in
the ledger in the same transaction as the write.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from leaflets import __version__
from leaflets.budget import Pricer, thousand_won, won
from leaflets.build import (
    PreflightFailed,
    _check_target,
    _replace_folder,
    imposed_files,
    render_files,
)
from leaflets.content import load_content
from leaflets.errors import OutputError
from leaflets.ledger import Ledger, OrderLine, RunLine
from leaflets.preflight import format_report, preflight_many
from leaflets.production import PRICINGS, load_production
from leaflets.products import PRODUCTS
from leaflets.render import Renderer, build_date, rasterize

PROOF_DPI = 72
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SPEC_NAME = "인쇄사양서.pdf"


@dataclass(frozen=True)
class PackageResult:
    folder: Path
    zip_path: Path
    files: tuple[str, ...]
    total: int
    order_id: int | None


def make_package(data_path, production_path, out_dir, ledger_path=None, *,
                 renderer: Renderer | None = None, record: bool = True,
                 _after_write=None) -> PackageResult:
    """Build, check and write the vendor package; record the order in the ledger."""
    content = load_content(data_path)
    production = load_production(production_path)
    pricer = Pricer(production, content)
    check = pricer.check()
    renderer = renderer or Renderer()
    built = dict(render_files(content, renderer))  # raises PreflightFailed on a bad file
    prints = {a.product: data for a, data in built.values() if a.kind == "print"}
    reports = preflight_many([(prints[name], f"print/{name}.pdf",
                               content.bleed_mm(name)) for name in prints],
                             url=content.service.url)
    failed = [report for report in reports if not report.passed]
    if failed:
        raise PreflightFailed(failed)

    files: dict[str, bytes] = {}
    for name, data in prints.items():
        files[f"print/{name}.pdf"] = data
    for report in reports:
        files[f"preflight/{Path(report.name).stem}.txt"] = (format_report(report) + "\n").encode()
    for run in production.runs:
        if run.send_imposed:
            for path, (_, data) in imposed_files(content, production, prints, renderer,
                                                 product=run.product, kinds=("imposed",)):
                files[path] = data
    for artifact, data in built.values():
        if artifact.kind == "proof-pdf":
            for number, image in enumerate(rasterize(data, PROOF_DPI), start=1):
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=85, optimize=True,
                                          dpi=(PROOF_DPI, PROOF_DPI))
                files[f"proofs/{artifact.product}-p{number}.jpg"] = buffer.getvalue()

    date = datetime.date.fromisoformat(build_date())
    name = f"{date:%Y%m%d}-{content.sha256[:8]}"
    files[SPEC_NAME] = renderer.render_document(
        "spec.html.j2", f"{content.sha256}:spec:{name}", **_spec_context(
            content, production, check, name, date))
    files["README.txt"] = _readme(name, files, production).encode("utf-8")
    manifest = {
        "package": name,
        "generator": f"leaflets {__version__}",
        "data_sha256": content.sha256,
        "date": date.isoformat(),
        "total": check.total,
        "files": [{"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for path, data in sorted(files.items())],
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()

    vendor = Path(out_dir) / "vendor"
    folder = vendor / name
    _check_target(folder)
    order = OrderLine(None, date, name, content.sha256, check.supply, check.vat, check.total,
                      tuple(RunLine(c.run.product, c.run.quantity, c.plan.sheet.name,
                                    c.plan.n_up, c.plan.sheets, c.total) for c in check.runs),
                      Path(data_path).read_bytes())
    ledger = Ledger(ledger_path) if record and ledger_path else None
    zip_path = vendor / f"{name}.zip"
    try:
        with (ledger.recording(order) if ledger else _no_record()) as order_id:
            _replace_folder(folder, files)
            _write_zip(zip_path, name, files)
            if _after_write is not None:  # tests: an interruption after the files are written
                _after_write()
    except BaseException:
        # Not recorded, so not sent: take away what this run wrote.
        shutil.rmtree(folder, ignore_errors=True)
        zip_path.unlink(missing_ok=True)
        raise
    return PackageResult(folder, zip_path, tuple(sorted(files)), check.total, order_id)


class _no_record:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _write_zip(path: Path, name: str, files: dict[str, bytes]):
    """A zip whose bytes depend only on the files: sorted, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(files):
            info = zipfile.ZipInfo(f"{name}/{relative}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.flag_bits |= 0x800  # UTF-8 names (Korean file names)
            archive.writestr(info, files[relative])
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(buffer.getvalue())
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"'{path}'을(를) 쓸 수 없습니다: {error.strerror}") from None


def _spec_context(content, production, check, name, date):
    costs = check.runs

    def trim(cost):
        return "×".join(f"{v:g}" for v in cost.plan.trim_mm) + " mm"

    def work(cost):
        bleed = content.bleed_mm(cost.run.product)
        return "×".join(f"{v + 2 * bleed:g}" for v in cost.plan.trim_mm) + \
            f" mm (도련 {bleed:g} mm)"

    def unit(cost):
        return f"{cost.supply / cost.run.quantity:,.1f}원"

    rows = [
        ("재단 규격", [trim(c) for c in costs]),
        ("작업 규격", [work(c) for c in costs]),
        ("수량", [f"{c.run.quantity:,}부" for c in costs]),
        ("쪽수", [" · ".join(PRODUCTS[c.run.product].pages) for c in costs]),
        ("용지", [c.run.stock for c in costs]),
        ("도수", [f"{c.run.colours_label} ({'양면' if c.run.double_sided else '단면'})"
                for c in costs]),
        ("후가공", [", ".join(c.run.finishing) or "—" for c in costs]),
        ("판걸이", [f"{c.plan.sheet.name} {c.plan.n_up}면, {c.plan.sheets:,}장(여분 포함)"
                 for c in costs]),
        ("가격 방식", [PRICINGS[c.pricing] + (f" ({c.quote.name})" if c.quote else "")
                    for c in costs]),
        ("단가 (공급가액/부)", [unit(c) for c in costs]),
        ("공급가액", [won(c.supply) for c in costs]),
        ("부가세", [won(c.vat) for c in costs]),
        ("합계", [won(c.total) for c in costs]),
    ]
    numeric = {"수량", "단가 (공급가액/부)", "공급가액", "부가세", "합계"}
    return {
        "content": content, "order": production.order, "costs": costs, "rows": rows,
        "titles": {name: product.title for name, product in PRODUCTS.items()},
        "package": name, "date": date.isoformat(), "supply": check.supply, "vat": check.vat,
        "total": check.total, "won": won, "thousand": thousand_won,
        "example": production.prices.example, "loop_numeric": lambda label: label in numeric,
    }


def _readme(name: str, files: dict[str, bytes], production) -> str:
    lines = [
        f"『민원24』 홍보물 인쇄 파일 묶음 {name}",
        "",
        f"발주처: {production.order.client if production.order else '성동구청'}",
        "이 묶음의 파일:",
    ]
    meaning = {
        "print/": "인쇄용 PDF (PDF/X-4, CMYK FOGRA39, 사방 도련, 재단선·맞춤표 포함). "
                  "이 파일로 인쇄해 주십시오.",
        "imposed/": "판을 앉힌 참고용 PDF (판걸이·종이 장수 확인용)",
        "proofs/": "확인용 저해상도 미리보기 (72 dpi JPEG, 색은 참고용)",
        "preflight/": "인쇄용 PDF 사전 검사 결과 (모두 통과)",
        SPEC_NAME: "인쇄 사양서 (규격, 수량, 용지, 도수, 후가공, 판걸이, 납품, 금액)",
        "manifest.json": "모든 파일의 SHA-256 (파일이 온전한지 확인용)",
    }
    for prefix, text in meaning.items():
        listed = sorted(path for path in files if path.startswith(prefix))
        if prefix == "manifest.json":
            listed = ["manifest.json"]
        if listed:
            lines.append(f"- {prefix}: {text}")
            lines.extend(f"    {path}" for path in listed if path != prefix)
    lines += ["", "문의는 발주처 담당자에게 해 주십시오."]
    return "\r\n".join(lines) + "\r\n"
