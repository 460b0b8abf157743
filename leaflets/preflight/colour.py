"""Checks of colours and lines as the content streams paint them: Lab and spot
colours, the registration colour, hairlines and white set to overprint.

Lines are judged at the width they print. On an imposed sheet the pages are placed
as Form XObjects (this program's and most RIPs' way), scaled by the matrix they are
drawn with; nothing in a form is skipped, since an outside sheet's forms are all a
vendor sees of its pages. An office sheet (a page whose /PieceInfo says so, written
by :mod:`leaflets.impose.pdf`) goes to a toner printer, not to plates, and shrinks a
page to no less than 85 %: it is held to the press limits at that scale."""

from __future__ import annotations

from leaflets.pdfscan import CMYK_SPACES, GRAY_SPACES
from leaflets.preflight.base import PT_PER_MM, REGISTRATION, Finding

_PROCESS = {"/Cyan", "/Magenta", "/Yellow", "/Black", "/None"}


def _colorants(space) -> list[str]:
    if space.family == "/Separation":
        return [space.name]
    if space.family == "/DeviceN":
        return space.name.split()
    return []


def _spot_allowed(name: str, spots) -> bool:
    return name.lstrip("/").casefold() in {s.lstrip("/").casefold() for s in spots}


def _at(doc, paint) -> str:
    """Where a paint is, from the trim's top-left corner, in mm."""
    if paint.box is None:
        return ""
    trim = doc.trim_box(paint.page)
    return (f" (재단선 기준 x {(paint.box[0] - trim[0]) / PT_PER_MM:.1f} mm, "
            f"y {(trim[3] - paint.box[3]) / PT_PER_MM:.1f} mm)")


def check_spot_lab(doc):
    """No Lab colour; no spot colour (Separation, DeviceN) other than the process
    inks, the spots the job lists and the registration colour, which marks only
    outside the trim (anywhere on an imposed sheet)."""
    seen = set()
    for use in doc.scan.colours:
        where = f"{use.page}쪽 {use.where}"
        if use.space.family == "/Lab":
            key = (where, "Lab")
            if key not in seen:
                seen.add(key)
                yield Finding("spot_lab", False, where,
                              f"Lab 색 사용 ({use.what}): CMYK로 바꿔야 합니다")
            continue
        for name in _colorants(use.space):
            if name in _PROCESS or name == REGISTRATION or _spot_allowed(name, doc.spots):
                continue
            key = (where, name)
            if key not in seen:
                seen.add(key)
                yield Finding("spot_lab", False, where,
                              f"별색 {name.lstrip('/')} 사용 ({use.space.family.lstrip('/')}): "
                              "발주서(production.toml)에 없는 별색입니다")
    if doc.sheet:
        return
    for paint in doc.scan.paints:
        if REGISTRATION not in _colorants(paint.space) or paint.box is None:
            continue
        trim = doc.trim_box(paint.page)
        box = paint.box
        tolerance = 0.01
        if (box[2] <= trim[0] + tolerance or box[0] >= trim[2] - tolerance
                or box[3] <= trim[1] + tolerance or box[1] >= trim[3] - tolerance):
            continue
        key = (paint.page, "All")
        if key not in seen:
            seen.add(key)
            yield Finding("spot_lab", False, f"{paint.page}쪽 {paint.where}",
                          "맞춤색(Separation /All)이 재단선 안에 있습니다: 네 판 모두 찍혀 "
                          f"잉크 400%가 됩니다{_at(doc, paint)}")


def check_hairlines(doc):
    """No stroke thinner than the page's limit (a width of 0 is the thinnest the device
    draws), at the width it prints: a line in a placed page (a Form XObject, as a
    vendor's imposition or RIP places pages) is scaled by the matrix it is drawn with,
    and judged like any other. MIN_LINE_PT, or OFFICE_MIN_LINE_PT on an office sheet
    this program imposed (see :meth:`.base._Doc.office`)."""
    seen = set()
    for paint in doc.scan.paints:
        if paint.kind != "stroke" or paint.width_pt is None:
            continue
        limit = doc.min_line_pt(paint.page)
        if paint.width_pt >= limit:
            continue
        key = (paint.page, round(paint.width_pt, 3))
        if key in seen:
            continue
        seen.add(key)
        office = " 사무용 프린터 기준" if doc.office(paint.page) else ""
        yield Finding("hairlines", False, f"{paint.page}쪽 {paint.where}",
                      f"선 두께 {_pt(paint.width_pt)}pt (최소{office} {limit:.2f}pt)"
                      f"{_at(doc, paint)}")


def _pt(value: float) -> str:
    """0.05, 0.245: a width to the thousandth, so one just under a limit never reads as it."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _white(space, values) -> bool:
    if space.family in CMYK_SPACES or (space.family == "/ICCBased" and space.components == 4):
        return len(values) == 4 and all(v <= 0.001 for v in values)
    if space.family in GRAY_SPACES:
        return len(values) == 1 and values[0] >= 0.999
    if space.family in ("/Separation", "/DeviceN"):
        return bool(values) and all(v <= 0.001 for v in values)
    return False


def check_overprint(doc):
    """No white (CMYK 0 0 0 0, gray 1, tint 0) fill, stroke or text set to overprint:
    it would vanish on press, the colours under it showing through."""
    seen = set()
    for paint in doc.scan.paints:
        if not paint.overprint or not _white(paint.space, paint.values):
            continue
        key = (paint.page, paint.where, paint.kind)
        if key in seen:
            continue
        seen.add(key)
        kind = {"fill": "면", "stroke": "선", "text": "글자"}[paint.kind]
        colour = " ".join(f"{v:g}" for v in paint.values)
        yield Finding("overprint", False, f"{paint.page}쪽 {paint.where}",
                      f"흰색 {kind}({paint.space.family.lstrip('/')} {colour})이 중복인쇄로 "
                      f"설정되어 인쇄되면 사라집니다{_at(doc, paint)}")
