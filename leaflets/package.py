"""The vendor package: everything the print vendor needs, complete and verifiable.

``<out>/vendor/<YYYYMMDD>-<content hash>/`` and a ``.zip`` of it:

- ``print/``      the print-ready PDFs (PDF/X-4), and ``imposed/`` sheets for the
                  runs that ask for them (``send_imposed``);
- ``proofs/``     low-resolution JPEG proofs, one per page;
- ``인쇄사양서.pdf``  the spec sheet, numbers from the budget checker;
- ``preflight/``  the preflight report of every print file, as text (``.txt``) and
                  as a one-page A4 PDF (``.pdf``, a screen document) naming the
                  file and its SHA-256 (the package is refused when one fails);
- ``README.txt``  what each file is, in Korean; ``manifest.json`` SHA-256 of all.

The same inputs give byte-identical files and zip. A bundle (content file +
production file) is ordered once: packaging it again finds the earlier order
and writes nothing, unless asked to reorder, which records a new order under
a new name (``-2``, ``-3``...). The order is recorded in the ledger in the
transaction that puts its folder and zip in place, so that after a crash it is
either complete and recorded or removed by the next run (``leaflets.vendor``
says why); a later run never deletes or replaces a recorded order's files.

A 동's edition (its 자체홍보물) is packaged the same way from the files a build of
that 동 makes (:func:`leaflets.editions.dong_edition`), as
``<YYYYMMDD>-<bundle hash>-<동>``; its bundle includes the 동's fingerprint and its
order carries the 동 (the ledger's ``dong``), which the evaluation counts. It is
priced with the production runs as they are: there is no per-동 quantity.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from leaflets import __version__
from leaflets.budget import Pricer, sheet_note, sheet_words, thousand_won, won
from leaflets.build import PreflightFailed, imposed_files, render_files, restore_output
from leaflets.content import load_content
from leaflets.errors import DataError, DataErrors
from leaflets.ledger import LOCK_TIMEOUT, Ledger, OrderLine, RunLine, bundle_hash
from leaflets.preflight import format_report, preflight_many, report_rows, verdict
from leaflets.production import PRICINGS, load_production
from leaflets.products import PRODUCTS
from leaflets.render import Renderer, build_date, print_renderer, rasterize
from leaflets.vendor import free_name, locked, place, sweep

PROOF_DPI = 72
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SPEC_NAME = "인쇄사양서.pdf"
SHEET_NOTE_VENDOR = ("※ 인쇄 장수 = 부수 ÷ 판걸이 + 여분: 인쇄판 여백(슬러그)에 적힌 장수입니다. "
                     "판 맞춤에 드는 종이는 따로 더해 주십시오.")


@dataclass(frozen=True)
class PackageResult:
    folder: Path
    zip_path: Path
    files: tuple[str, ...]
    total: int
    order_id: int | None
    earlier: OrderLine | None = None  # set when the bundle was already ordered: nothing done


def make_package(data_path, production_path, out_dir, ledger_path=None, *,
                 renderer: Renderer | None = None, record: bool = True, reorder: bool = False,
                 with_prices: bool = False, dong=None, _at=None) -> PackageResult:
    """Build, check and write the vendor package; record the order in the ledger.

    A bundle (content file + production file) already ordered and not voided is not
    packaged again: the result names the earlier order (``earlier``) and nothing is
    written, unless ``reorder``, which records a new order under a new name.
    ``ledger_path`` may be a :class:`Ledger`. ``_at(stage)`` is told each step of
    :func:`leaflets.vendor.place` (tests interrupt there).
    The spec sheet leaves out the office's prices unless ``with_prices``; packaging
    is refused (DataError) while production.toml's [order] lacks 담당자 or 인쇄소.
    ``dong`` (a :class:`leaflets.dongs.Dong`) packages that 동's edition instead of the
    구's and records the order with the 동.
    """
    data_bytes = Path(data_path).read_bytes()
    bundle = bundle_hash(data_bytes, Path(production_path).read_bytes(),
                         dong.fingerprint if dong is not None else None)
    dong_name = dong.name if dong is not None else None
    content = load_content(data_path)
    ledger = None
    if record and ledger_path:
        ledger = ledger_path if isinstance(ledger_path, Ledger) else Ledger(ledger_path)
    vendor = Path(out_dir) / "vendor"
    if ledger is not None and not reorder:  # before the long render; checked again below
        earlier = ledger.earlier(bundle, content.sha256, dong_name)
        if earlier is not None:
            return _already(earlier, vendor)
    production = load_production(production_path)
    _require_order(production)
    check = Pricer(production, content).check()
    renderer = print_renderer(production.output, renderer)
    files = _package_files(content, production, renderer, dong)
    date = datetime.date.fromisoformat(build_date())

    with locked(vendor, ledger.timeout if ledger else LOCK_TIMEOUT):
        restore_output(Path(out_dir))  # the orders of a build killed while swapping
        sweep(vendor)
        with ledger.transaction() if ledger else contextlib.nullcontext() as book:
            if book is not None and not reorder:
                earlier = book.earlier(bundle, content.sha256, dong_name)
                if earlier is not None:
                    return _already(earlier, vendor)
            stem = f"{date:%Y%m%d}-{content.sha256[:8]}" if dong is None \
                else f"{date:%Y%m%d}-{bundle[:8]}-{dong.slug}"
            name = free_name(vendor, stem, book)
            files = _named_files(files, name, date, content, production, check, renderer,
                                 with_prices, dong)
            order_id = None
            if book is not None:
                order_id = book.record(OrderLine(
                    None, date, name, content.sha256, check.supply, check.vat, check.total,
                    tuple(RunLine(c.run.product, c.run.quantity, c.plan.sheet.name,
                                  c.plan.n_up, c.plan.sheets, c.total) for c in check.runs),
                    data_bytes, bundle, dong=dong_name))
            folder, zip_path = place(vendor, name, files, _zip_bytes(name, files), book,
                                     ledger, _at)
    return PackageResult(folder, zip_path, tuple(sorted(files)), check.total, order_id)


def _already(earlier: OrderLine, vendor: Path) -> PackageResult:
    return PackageResult(vendor / earlier.package, vendor / f"{earlier.package}.zip", (),
                         earlier.total, earlier.id, earlier)


def _package_files(content, production, renderer, dong=None) -> dict[str, bytes]:
    """Every file of the package whose bytes do not depend on its name."""
    if dong is None:
        built = dict(render_files(content, renderer, spots=production.spots))  # or PreflightFailed
    else:  # the 동's edition as ``leaflets build --dong`` makes it (print files preflighted)
        from leaflets.editions import dong_edition, make_common

        built = dict(dong_edition(content, production, dong, renderer,
                                  make_common(content, production, renderer)))
    prints = {a.product: data for a, data in built.values() if a.kind == "print"}
    reports = preflight_many([(prints[name], f"print/{name}.pdf",
                               content.bleed_mm(name)) for name in prints],
                             url=content.service.url, spots=production.spots)
    failed = [report for report in reports if not report.passed]
    if failed:
        raise PreflightFailed(failed)

    files: dict[str, bytes] = {}
    for name, data in prints.items():
        files[f"print/{name}.pdf"] = data
    for report in reports:
        stem = f"preflight/{Path(report.name).stem}"
        files[f"{stem}.txt"] = (format_report(report) + "\n").encode()
        files[f"{stem}.pdf"] = _report_pdf(report, files[report.name], f"{stem}.txt",
                                           content, production, renderer, dong)
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
    return files


def _report_pdf(report, pdf: bytes, text_name: str, content, production, renderer,
                dong=None) -> bytes:
    """One preflight report as a one-page A4 PDF (a screen document) for the vendor."""
    digest = hashlib.sha256(pdf).hexdigest()
    package = f"{content.service.name} 홍보물" + (f" · {dong.name}" if dong is not None else "")
    return renderer.render_document(
        "preflight.html.j2", f"{content.sha256}:preflight:{report.name}:{digest}",
        name=report.name, sha256=digest, date=build_date(), package=package,
        client=production.order.client if production.order else content.service.publisher,
        spots=production.spots, rows=report_rows(report, limit=3), verdict=verdict(report),
        text_name=text_name)


def _require_order(production) -> None:
    """Refuse a package whose spec sheet would name no 담당자 or no 인쇄소."""
    order = production.order
    wanted = (("contact", "담당자", '예: contact = "민원여권과 주무관 홍길동 02-2286-0000"'),
              ("vendor", "인쇄소", '예: vendor = "○○인쇄 (02-000-0000)"'))
    errors = [DataError(production.path, f"order.{key}",
                        f"인쇄소에 보낼 묶음을 만들려면 {label}를 적어야 합니다 "
                        "(인쇄 사양서에 그대로 인쇄됩니다)", value="", allowed=example)
              for key, label, example in wanted
              if order is None or not getattr(order, key).strip()]
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)


def _named_files(files, name, date, content, production, check, renderer,
                 with_prices=False, dong=None) -> dict[str, bytes]:
    """``files`` with the spec sheet, README and manifest of the package called ``name``."""
    files = dict(files)
    files[SPEC_NAME] = renderer.render_document(
        "spec.html.j2", f"{content.sha256}:spec:{name}", **_spec_context(
            content, production, check, name, date, with_prices, dong),
        reports=sorted(path for path in files
                       if path.startswith("preflight/") and path.endswith(".pdf")))
    files["README.txt"] = _readme(name, files, production, with_prices, dong).encode("utf-8")
    manifest = {
        "package": name,
        **({"dong": dong.name} if dong is not None else {}),
        "generator": f"leaflets {__version__}",
        "data_sha256": content.sha256,
        "date": date.isoformat(),
        "total": check.total,
        "files": [{"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for path, data in sorted(files.items())],
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    return files


def _zip_bytes(name: str, files: dict[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the files: sorted, fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(files):
            info = zipfile.ZipInfo(f"{name}/{relative}", ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.flag_bits |= 0x800  # UTF-8 names (Korean file names)
            archive.writestr(info, files[relative])
    return buffer.getvalue()


def _spec_context(content, production, check, name, date, with_prices=False, dong=None):
    """What the spec sheet shows. The vendor quotes its own prices: the office's
    estimate (its price table and totals) is left out unless ``with_prices``."""
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
        *([("별색", [", ".join(production.spots)] * len(costs))] if production.spots else []),
        ("후가공", [", ".join(c.run.finishing) or "—" for c in costs]),
        ("판걸이", [f"{c.plan.sheet.name} {c.plan.n_up}면" for c in costs]),
        ("인쇄 장수", [sheet_words(c)[0] for c in costs]),
    ]
    if with_prices:
        rows += [
            ("종이 장수", [sheet_words(c)[1] for c in costs]),
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
        "with_prices": with_prices, "dong": dong,
        "sheet_note": sheet_note(production) if with_prices else SHEET_NOTE_VENDOR,
        "output_condition": production.output.identifier,  # the vendor's, or FOGRA39
    }


def _readme(name: str, files: dict[str, bytes], production, with_prices=False,
            dong=None) -> str:
    lines = [
        f"『민원24』 홍보물 인쇄 파일 묶음 {name}",
        *([f"{dong.title} 자체홍보물 ({dong.name})"] if dong is not None else []),
        "",
        f"발주처: {production.order.client if production.order else '성동구청'}",
        "이 묶음의 파일:",
    ]
    meaning = {
        "print/": f"인쇄용 PDF (PDF/X-4, CMYK {production.output.identifier}, 사방 도련, "
                  "재단선·맞춤표 포함). "
                  "이 파일로 인쇄해 주십시오.",
        "imposed/": "판을 앉힌 참고용 PDF (판걸이·종이 장수 확인용)",
        "proofs/": "확인용 저해상도 미리보기 (72 dpi JPEG, 색은 참고용)",
        "preflight/": "인쇄용 PDF 사전 검사 결과 (모두 통과). 파일마다 글자(.txt)와 "
                      "한 쪽짜리 PDF(.pdf, 검사 항목표·파일 SHA-256·검사일)",
        SPEC_NAME: "인쇄 사양서 (규격, 수량, 용지, 도수, 후가공, 판걸이, 인쇄 장수, 납품"
                   + (", 금액)" if with_prices else ")"),
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
