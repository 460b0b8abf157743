"""Check a PDF the way a print vendor's prepress would, and report in Korean.

Each check is a function of the opened document that returns findings; a
check with no failing finding passes. The checks read the file three ways:
the object structure and content streams (pypdf, :mod:`leaflets.pdfscan`),
page objects and rendered pages (pypdfium2, zxing-cpp for QR codes), and a
CMYK rasterisation for ink coverage (Ghostscript's ``tiff32nc`` device).

The checks live by group: :mod:`.document` (what ISO 15930-7 asks of the file
as a whole), :mod:`.colour` (colours and lines as painted), :mod:`.page` (boxes,
fonts, images, text, QR codes, safe area) and :mod:`.ink` (total ink).
"""

from __future__ import annotations

import functools
import io
import json
import unicodedata

import pypdfium2
from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from leaflets.preflight.base import (
    CHECKS,
    MAX_TAC,
    MIN_LINE_PT,
    MIN_PPI,
    PT_PER_MM,
    QR_DPI,
    REGISTRATION,
    SMALL_TEXT_PT,
    TAC_DPI,
    Finding,
    Parts,
    PreflightError,
    Report,
    _Doc,
)
from leaflets.preflight.colour import check_hairlines, check_overprint, check_spot_lab
from leaflets.preflight.document import (
    check_actions,
    check_annotations,
    check_encryption,
    check_metadata,
    check_pdfx,
    check_transfer,
    check_trapped,
    encryption,
    profile_problems,
)
from leaflets.preflight.ink import (
    CMYKRasters,
    RasterError,
    _tac_by_parts,
    check_tac,
    cmyk_rasters,
    ink_bound,
    ink_in,
    page_tac,
    registration_as_k,
)
from leaflets.preflight.page import (
    _qr_by_parts,
    block_codes,
    check_boxes,
    check_fonts,
    check_images,
    check_qr,
    check_rgb,
    check_safe_margin,
    check_small_text,
)

__all__ = [
    "CHECKS", "MAX_TAC", "MIN_LINE_PT", "MIN_PPI", "PT_PER_MM", "QR_DPI", "REGISTRATION",
    "SMALL_TEXT_PT", "TAC_DPI", "CMYKRasters", "Finding", "Parts", "PreflightError",
    "RasterError", "Report", "block_codes", "cmyk_rasters", "encryption", "format_report",
    "ink_bound", "ink_in", "page_tac", "preflight", "preflight_many", "profile_problems",
    "report_json", "report_rows", "verdict",
]


def preflight_many(pdfs: list[tuple[bytes, str, float]], url: str | None = None,
                   rasters: CMYKRasters | None = None,
                   parts: list[Parts] | None = None, spots: tuple[str, ...] = ()) -> list[Report]:
    """Preflight several (pdf, name, bleed_mm) at once: one Ghostscript run for all
    (``rasters``, if the caller started it earlier to work while it runs), or, for
    files stamped from checked ``parts``, none."""
    if parts is not None:  # files without parts (None) are checked whole
        whole = [entry for entry, part in zip(pdfs, parts, strict=True) if part is None]
        checked = iter(preflight_many(whole, url, spots=spots) if whole else [])
        return [next(checked) if part is None else
                preflight(pdf, name, bleed_mm=bleed, url=url, parts=part, spots=spots)
                for (pdf, name, bleed), part in zip(pdfs, parts, strict=True)]
    try:
        rasters = (rasters or CMYKRasters([pdf for pdf, _, _ in pdfs])).result()
    except (RasterError, PyPdfError, DependencyError, ValueError):
        rasters = [None] * len(pdfs)  # each file then reports its own problem
    return [preflight(pdf, name, bleed_mm=bleed, url=url, rasters=images, spots=spots)
            for (pdf, name, bleed), images in zip(pdfs, rasters, strict=True)]


def preflight(pdf: bytes, name: str = "", *, bleed_mm: float = 3.0, safe_mm: float = 3.0,
              url: str | None = None, rasters: list | None = None,
              parts: Parts | None = None, spots: tuple[str, ...] = (), sheet: bool = False,
              require_qr: bool | None = None, min_ppi: float = MIN_PPI,
              min_text_pt: float | None = None) -> Report:
    """Run every check on ``pdf``.

    ``url`` is what each QR code must open; a code is required of the project's own
    files (see :func:`.document.is_own`) or when ``require_qr`` is true. ``spots`` are
    the spot colours the job prints. ``sheet`` checks an imposed press sheet:
    registration-colour marks may lie anywhere and do not count as ink. With
    ``parts``, ink and QR code are checked by the file's parts (see :class:`Parts`).
    ``min_ppi`` and ``min_text_pt`` are the product's own limits (a banner read from
    metres away: 100 ppi at 1:1, no type under 60 pt); text outside the BleedBox
    (slug) is exempt from ``min_text_pt``.
    An encrypted file fails the encryption check and is not opened further."""
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        locked = encryption(reader)
    except (PyPdfError, DependencyError, ValueError, OSError, KeyError) as error:
        raise PreflightError(f"{name}: PDF 파일을 읽을 수 없습니다 ({error})") from None
    if locked is not None:
        return Report(name, tuple(check_encryption(_Doc(pdf, reader, None, bleed_mm,
                                                        safe_mm, url))))
    try:
        pages = len(reader.pages)
        document = pypdfium2.PdfDocument(pdf)
    except (PyPdfError, pypdfium2.PdfiumError, ValueError, OSError) as error:
        raise PreflightError(f"{name}: PDF 파일을 읽을 수 없습니다 ({error})") from None
    if pages == 0:
        document.close()
        raise PreflightError(f"{name}: 쪽이 없는 PDF입니다")
    if sheet and rasters is None:
        try:  # registration marks drawn on the black plate only: not counted as ink
            rasters = cmyk_rasters([registration_as_k(pdf)])[0]
        except RasterError:
            rasters = None
    doc = _Doc(pdf, reader, document, bleed_mm, safe_mm, url,
               rasters=[rasters] if rasters is not None else None,
               spots=tuple(spots), sheet=sheet, require_qr=require_qr, min_ppi=min_ppi,
               min_text_pt=min_text_pt)
    try:
        findings = []
        for key, check in _CHECK_FUNCTIONS.items():
            if parts is not None and key in _BY_PARTS:
                check = functools.partial(_BY_PARTS[key], parts=parts)
            results = list(check(doc))
            findings.extend(results or [Finding(key, True, "문서", "이상 없음")])
    finally:
        document.close()
    return Report(name, tuple(findings))


_CHECK_FUNCTIONS = {
    "encryption": check_encryption,
    "pdfx": check_pdfx,
    "metadata": check_metadata,
    "trapped": check_trapped,
    "actions": check_actions,
    "annotations": check_annotations,
    "boxes": check_boxes,
    "fonts": check_fonts,
    "rgb": check_rgb,
    "spot_lab": check_spot_lab,
    "hairlines": check_hairlines,
    "overprint": check_overprint,
    "transfer": check_transfer,
    "images": check_images,
    "tac": check_tac,
    "small_text": check_small_text,
    "qr": check_qr,
    "safe_margin": check_safe_margin,
}
assert list(_CHECK_FUNCTIONS) == list(CHECKS)


_BY_PARTS = {"tac": _tac_by_parts, "qr": _qr_by_parts}


def _status(report: Report, key: str) -> str:
    """"fail", "pass", or "not_run" (an encrypted file is not opened further)."""
    if report.failures(key):
        return "fail"
    return "pass" if any(f.check == key for f in report.findings) else "not_run"


RESULTS = {"pass": "통과", "fail": "실패", "not_run": "검사 못 함"}


def report_rows(report: Report, limit: int = 5) -> list[tuple[str, str, str, list[str]]]:
    """The report's table, one row per check in :data:`CHECKS` order: (key, Korean label,
    result, lines "where: detail" of its first ``limit`` failures and "… 외 N건")."""
    rows = []
    for key, label in CHECKS.items():
        failures = report.failures(key)
        lines = [f"{f.where}: {f.detail}" for f in failures[:limit]]
        if len(failures) > limit:
            lines.append(f"… 외 {len(failures) - limit}건")
        rows.append((key, label, RESULTS[_status(report, key)], lines))
    return rows


def verdict(report: Report) -> str:
    """The file's verdict in one Korean line."""
    return "합격: 인쇄소에 보낼 수 있습니다" if report.passed else (
        "불합격: " + ", ".join(CHECKS[k] for k in report.failed_checks()))


def format_report(report: Report, limit: int = 5) -> str:
    """The report as a plain-text table with Korean labels, aligned for a terminal."""
    width = max(_columns(label) for label in CHECKS.values())
    blank = " " * (width + 8)
    lines = [f"■ {report.name}", f"  {_pad('검사 항목', width)}  결과  위치 · 값"]
    for _, label, result, details in report_rows(report, limit):
        first, *rest = details or [""]
        lines.append(f"  {_pad(label, width)}  {result}" + (f"  {first}" if first else ""))
        lines.extend(f"  {blank}{line}" for line in rest)
    lines.append(f"  → {verdict(report)}")
    return "\n".join(lines)


def report_json(reports: list[Report]) -> str:
    """The reports for machines: per file, per check its status and findings."""
    return json.dumps({"files": [{
        "name": report.name,
        "passed": report.passed,
        "failed": report.failed_checks(),
        "checks": [{"check": key, "label": label, "status": _status(report, key),
                    "findings": [{"ok": f.ok, "where": f.where, "detail": f.detail}
                                 for f in report.findings if f.check == key]}
                   for key, label in CHECKS.items()],
    } for report in reports]}, ensure_ascii=False, indent=2)


def _columns(text: str) -> int:
    """Terminal columns: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))
