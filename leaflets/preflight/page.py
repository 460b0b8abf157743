"""Checks of what is printed on each page: boxes, fonts, RGB, images, small text,
QR codes and the safe area.

Type is judged at the size it prints: in a placed page (a Form XObject on an imposed
sheet) scaled by the matrix the form is drawn with, never skipped; an office sheet's
pages are held to the office limit (see :mod:`.colour`)."""

from __future__ import annotations

import pypdfium2
import zxingcpp

from leaflets.pdfscan import CMYK_SPACES, GRAY_SPACES
from leaflets.preflight.base import (
    MIN_PPI,
    PT_PER_MM,
    QR_DPI,
    QR_MAX_PIXELS,
    Finding,
    Parts,
    _box,
    _inside,
    _mm,
)

_PAGEOBJ_TEXT, _PAGEOBJ_IMAGE = 1, 3


def check_boxes(doc):
    """TrimBox present; TrimBox inside BleedBox inside MediaBox; bleed wide enough."""
    tolerance = 0.01 * PT_PER_MM
    for number, page in enumerate(doc.reader.pages, start=1):
        where = f"{number}쪽"
        if page.get("/TrimBox") is None:
            yield Finding("boxes", False, where, "TrimBox(재단 상자)가 없습니다")
            continue
        trim, bleed, media = (_box(page, key) for key in ("/TrimBox", "/BleedBox", "/MediaBox"))
        if not _inside(trim, bleed, tolerance) or not _inside(bleed, media, tolerance):
            yield Finding("boxes", False, where, "TrimBox ⊂ BleedBox ⊂ MediaBox 가 아닙니다")
            continue
        sides = {"왼쪽": trim[0] - bleed[0], "아래": trim[1] - bleed[1],
                 "오른쪽": bleed[2] - trim[2], "위": bleed[3] - trim[3]}
        short = {side: v for side, v in sides.items() if v < doc.bleed_mm * PT_PER_MM - tolerance}
        if short:
            listed = ", ".join(f"{side} {_mm(v)}" for side, v in short.items())
            yield Finding("boxes", False, where,
                          f"도련이 {doc.bleed_mm:g} mm보다 좁습니다: {listed}")



def check_fonts(doc):
    """Every font used is embedded."""
    reported = set()
    for page, name, font in doc.scan.fonts:
        base = str(font.get("/BaseFont", name))
        if font.get("/Subtype") == "/Type3" or (page, base) in reported:
            continue
        descriptors = [font.get("/FontDescriptor")]
        for descendant in font.get("/DescendantFonts", []):
            descriptors.append(descendant.get_object().get("/FontDescriptor"))
        descriptors = [d.get_object() for d in descriptors if d is not None]
        embedded = any(key in d for d in descriptors
                       for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        if not embedded:
            reported.add((page, base))
            yield Finding("fonts", False, f"{page}쪽",
                          f"글꼴 {base.lstrip('/')}이(가) 포함되지 않았습니다")


def check_rgb(doc):
    """No RGB colour operator, colour space or image anywhere."""
    seen = set()
    for use in doc.scan.colours:
        if not use.space.is_rgb:
            continue
        key = (use.page, use.where, use.what)
        if key in seen:
            continue
        seen.add(key)
        values = " ".join(f"{v:g}" for v in use.values)
        detail = f"{use.what} {values} ({use.space.family.lstrip('/')})".replace("  ", " ")
        yield Finding("rgb", False, f"{use.page}쪽 {use.where}", f"RGB 색 사용: {detail}")


def check_images(doc):
    """Every image is at least the product's ppi (MIN_PPI unless told) at its placed size."""
    for number, page in enumerate(doc.pdfium, start=1):
        for index, obj in enumerate(page.get_objects(max_depth=8)):
            if obj.type != _PAGEOBJ_IMAGE:
                continue
            meta = obj.get_metadata()
            ppi = min(meta.horizontal_dpi, meta.vertical_dpi)
            if ppi < doc.min_ppi - 0.5:
                need = "" if doc.min_ppi == MIN_PPI else f", 이 제품은 {doc.min_ppi:g} ppi 이상"
                yield Finding("images", False, f"{number}쪽 이미지 #{index}",
                              f"실효 해상도 {ppi:.0f} ppi ({meta.width}×{meta.height} px{need})")



def _qr_by_parts(doc, parts: Parts):
    """The QR code of a stamped file is the common page's, read there."""
    failures = parts.common.failures("qr") + [f for f in parts.block_codes if not f.ok]
    yield from failures
    if not failures:
        yield Finding("qr", True, "문서",
                      "공통 부분에서 읽음, 주소 일치 (동 안내 자리와 겹치지 않음)")


def check_small_text(doc):
    """Text under 12 pt in one ink; no rich black text at any size; with the product's
    ``min_text_pt``, no type smaller than that. Sizes are as printed: type in a placed
    page (a Form XObject) is scaled by the matrix it is drawn with. On an office sheet
    this program imposed, the one-ink limit is OFFICE_SMALL_TEXT_PT."""
    seen = set()
    for run in doc.scan.texts:
        left, bottom, right, top = doc.bleed_box(run.page)
        if not (left <= run.x <= right and bottom <= run.y <= top):
            continue  # slug and marks, outside the bleed
        if doc.min_text_pt is not None and run.size_pt < doc.min_text_pt - 0.05:
            key = (run.page, round(run.size_pt, 1), "min")
            if key not in seen:
                seen.add(key)
                yield Finding("small_text", False, f"{run.page}쪽",
                              f"{run.size_pt:.1f}pt 글자: 이 제품은 {doc.min_text_pt:g}pt "
                              "이상이어야 읽힙니다")
            continue
        inks = _inks(run.space.family, run.values)
        colour = " ".join(f"{v:g}" for v in run.values)
        key = (run.page, round(run.size_pt, 1), colour)
        if key in seen:
            continue
        if run.size_pt < doc.small_text_pt(run.page) and len(inks) > 1:
            seen.add(key)
            office = (f", 사무용 프린터 기준 {doc.small_text_pt(run.page):.1f}pt 미만"
                      if doc.office(run.page) else "")
            yield Finding("small_text", False, f"{run.page}쪽 {run.where}",
                          f"{run.size_pt:.1f}pt 글자가 잉크 {len(inks)}가지 "
                          f"({run.space.family.lstrip('/')} {colour}{office})")
        elif "K" in inks and inks["K"] >= 0.8 and len(inks) > 1:
            seen.add(key)
            yield Finding("small_text", False, f"{run.page}쪽",
                          f"리치 블랙 글자 {run.size_pt:.1f}pt (CMYK {colour})")


def _inks(family, values) -> dict[str, float]:
    """The process inks a colour uses, with their amounts."""
    if family in CMYK_SPACES and len(values) == 4:
        return {ink: v for ink, v in zip("CMYK", values, strict=True) if v > 0.001}
    if family in GRAY_SPACES and values:
        return {"K": 1 - values[0]} if values[0] < 0.999 else {}
    if family == "/Separation":
        return {"spot": 1.0}
    # RGB and other spaces: every channel short of full intensity needs ink.
    return {f"#{i}": 1 - v for i, v in enumerate(values) if v < 0.999}


def check_qr(doc):
    """Every QR code decodes, to the expected URL, in one ink; the document has at
    least one. Required of the project's own files and when a URL is asked for
    (``require_qr``); a file made elsewhere without a code passes."""
    from leaflets.preflight.document import is_own
    from leaflets.preflight.ink import RasterError, doc_rasters

    required = doc.require_qr if doc.require_qr is not None else is_own(doc.reader)
    url = doc.url if required else None
    found = 0
    for number, page in enumerate(doc.pdfium, start=1):
        for code in _read_codes(page):
            found += 1
            finding = _qr_finding(code, f"{number}쪽", url)
            if not finding.ok:
                yield finding
                continue
            try:
                image = doc_rasters(doc)[number - 1]
            except (RasterError, IndexError):
                continue  # the ink check reports why nothing was drawn
            yield from _qr_inks(doc, number, image, code)
    if found == 0 and required:
        yield Finding("qr", False, "문서", "QR코드를 찾지 못했습니다 (없거나 읽을 수 없음)")
    elif found == 0:
        yield Finding("qr", True, "문서", "QR코드 없음: 이 프로젝트의 파일이 아니어서 "
                      "요구하지 않습니다 (--qr 주소로 검사)")


def _qr_dpi(page) -> float:
    """QR_DPI, or less for a page so large that QR_DPI would take over QR_MAX_PIXELS."""
    width, height = page.get_size()
    return min(QR_DPI, (QR_MAX_PIXELS / (width * height)) ** 0.5 * 72)


def _read_codes(page):
    image = page.render(scale=_qr_dpi(page) / 72).to_pil().convert("L")
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode,
                                  return_errors=True)


def _qr_finding(code, where: str, url: str | None) -> Finding:
    if not code.valid:
        return Finding("qr", False, where, f"QR코드를 읽을 수 없습니다 ({code.error})")
    if url is not None and code.text != url:
        return Finding("qr", False, where, f"QR코드 주소 {code.text!r} ≠ 내용 파일 {url!r}")
    return Finding("qr", True, where, "읽힘, 주소 일치")


def _qr_codes(page, where: str, url: str | None):
    """A finding for each QR code on a pypdfium2 ``page``: passing when it reads
    and opens ``url``."""
    for code in _read_codes(page):
        yield _qr_finding(code, where, url)


def _qr_inks(doc, number, image, code):
    """A failing finding when the dark modules of ``code`` carry more than one ink
    (a misregistered plate would blur them), from the page's CMYK raster."""
    from PIL import Image, ImageStat

    from leaflets.preflight.base import TAC_DPI
    from leaflets.preflight.ink import _total_ink

    scale = TAC_DPI / _qr_dpi(doc.pdfium[number - 1])
    corners = [code.position.top_left, code.position.top_right,
               code.position.bottom_left, code.position.bottom_right]
    left, right = (f(p.x for p in corners) * scale for f in (min, max))
    top, bottom = (f(p.y for p in corners) * scale for f in (min, max))
    area = image.crop((round(left), round(top), round(right), round(bottom)))
    if area.width < 2 or area.height < 2:
        return
    total = _total_ink(area).convert("L")
    low, high = total.getextrema()
    dark = total.point(lambda v: 255 if v > (low + high) / 2 else 0).convert("1")
    light = Image.eval(dark.convert("L"), lambda v: 255 - v).convert("1")
    inks = {}
    for name, channel in zip("CMYK", area.split(), strict=True):
        dark_ink, light_ink = ImageStat.Stat(channel, dark), ImageStat.Stat(channel, light)
        if dark_ink.mean[0] - light_ink.mean[0] > 0.1 * 255:  # the modules, not the ground
            inks[name] = round(dark_ink.extrema[0][1] * 100 / 255)
    if len(inks) > 1:
        listed = " ".join(f"{ink} {v}%" for ink, v in inks.items())
        yield Finding("qr", False, f"{number}쪽",
                      f"QR코드가 잉크 {len(inks)}가지 ({listed}, 합 {sum(inks.values())}%)로 "
                      "찍힙니다: 판이 어긋나면 읽히지 않으니 한 가지 잉크(K)로")


def block_codes(pdf: bytes, page: int, url: str | None) -> tuple[Finding, ...]:
    """The QR codes a 동 block carries (a picture may hold one), from a PDF of its slot:
    each must read and open ``url``, as on a file checked whole."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return tuple(finding for drawn in document
                     for finding in _qr_codes(drawn, f"{page}쪽 동 안내", url))
    finally:
        document.close()


def check_safe_margin(doc):
    """No text or image within safe_mm inside the trim (backgrounds may bleed).
    An imposed sheet's pieces are checked in their own files."""
    if doc.sheet:
        yield Finding("safe_margin", True, "문서", "인쇄판(--sheet): 낱장 파일에서 검사합니다")
        return
    margin = doc.safe_mm * PT_PER_MM
    for number, page in enumerate(doc.pdfium, start=1):
        trim, bleed = doc.trim_box(number), doc.bleed_box(number)
        safe = (trim[0] + margin, trim[1] + margin, trim[2] - margin, trim[3] - margin)
        for obj in page.get_objects(max_depth=8):
            if obj.type not in (_PAGEOBJ_TEXT, _PAGEOBJ_IMAGE):
                continue
            left, bottom, right, top = obj.get_bounds()
            outside_bleed = (right < bleed[0] or left > bleed[2]
                             or top < bleed[1] or bottom > bleed[3])
            if outside_bleed or _inside((left, bottom, right, top), safe, 0.05):
                continue
            kind = "글자" if obj.type == _PAGEOBJ_TEXT else "이미지"
            yield Finding("safe_margin", False, f"{number}쪽",
                          f"{kind}가 재단선에서 {doc.safe_mm:g} mm 안쪽 여백에 들어왔습니다 "
                          f"(x {_mm(left - trim[0])}, y {_mm(trim[3] - top)})")
