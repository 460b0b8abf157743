"""Draw a sheet plan: every pypdf call of the imposition lives here.

Each product page is copied once into the sheet file as a Form XObject
(clipped to its BleedBox) and drawn once per placement, so the file stays
near the size of one copy. The page is placed by its TrimBox; each copy is
clipped to its cell, the trim plus the plan's bleed on the sheet (an office
sheet's copies are scaled down, so a little of the page's own bleed is left
out there). The slug page (rendered by WeasyPrint, K only) is drawn
over the pages, then the marks and targets in registration colour
(``Separation /All``: 100 % on every plate, one object) and the control
strip in process inks. The sheet declares itself whole: TrimBox = BleedBox
= MediaBox, under the slug page's OutputIntent and PDF/X-4 metadata. Each page
of an office sheet says so in its page-piece dictionary (``/PieceInfo``, see
:func:`office_page`): it goes to an office printer, not to plates, and the
preflight judges its lines and type against the office limits.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from leaflets.compose import parsed, retag_fonts
from leaflets.impose.geometry import compose
from leaflets.impose.plan import (
    TARGET_RADIUS_MM,
    TARGET_REACH_MM,
    ImpositionError,
    SheetPlan,
    Side,
)

PT_PER_MM = 72 / 25.4
MARK_STROKE_PT = 0.3  # above a preflight's 0.25 pt hairline limit
REGISTRATION = "/LeafletsAll"
PIECE = "/Leaflets"  # this program's entry in a page's /PieceInfo
OFFICE = "/Office"  # its /Private /Output on a page printed by an office printer


def impose(plan: SheetPlan, product_pdf: bytes, furniture_pdf: bytes) -> bytes:
    """The imposed sheet file: ``product_pdf`` pages placed as ``plan`` says."""
    product = PdfReader(io.BytesIO(product_pdf))
    writer = PdfWriter(clone_from=parsed(furniture_pdf))  # 동 editions share one furniture
    writer.pdf_header = "%PDF-1.6"  # PDF/X-4
    clip = clip_box(plan)
    forms = {}
    for side, page in zip(plan.sides, writer.pages, strict=True):
        commands = []
        for placement in side.placements:
            if placement.page not in forms:
                source = product.pages[placement.page]
                _check_bleed(plan, source, placement.page)
                forms[placement.page] = _form(writer, source, clip)
            reference, origin = forms[placement.page]
            matrix = _pdf_matrix(placement.matrix, origin)
            name = f"/LeafletsPage{placement.page}"
            _add_xobject(page, name, reference)
            cell = placement.trim.inset(-plan.bleed_mm)
            commands.append("q {} re W n {} cm {} Do Q".format(
                " ".join(f"{v * PT_PER_MM:.4f}" for v in (cell.x, cell.y, cell.w, cell.h)),
                " ".join(f"{v:.5f}" for v in matrix), name))
        _prepend(writer, page, "\n".join(commands).encode())
        _append(writer, page, _furniture(side))
        _add_registration(page)
        sheet_box = ArrayObject(FloatObject(v) for v in page.mediabox)
        for box in ("/TrimBox", "/BleedBox"):
            page[NameObject(box)] = sheet_box
        if plan.method in ("office", "office-duplex"):
            _declare_office(writer, page, plan)
    # Objects the product's resources share with the furniture page: keep one copy.
    writer.compress_identical_objects()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _declare_office(writer, page, plan: SheetPlan):
    """Mark ``page`` as printed by an office printer, with the scale of its copies."""
    info = writer.metadata or {}
    date = info.get("/ModDate") or info.get("/CreationDate") or "D:19700101000000Z"
    page[NameObject("/PieceInfo")] = DictionaryObject({NameObject(PIECE): DictionaryObject({
        NameObject("/LastModified"): TextStringObject(str(date)),
        NameObject("/Private"): DictionaryObject({
            NameObject("/Output"): NameObject(OFFICE),
            NameObject("/Scale"): FloatObject(round(plan.scale, 4)),
        }),
    })})


def office_page(page) -> bool:
    """True for a page of an office sheet this program imposed (see :func:`impose`)."""
    try:
        private = page["/PieceInfo"][PIECE]["/Private"]
    except (KeyError, TypeError, AttributeError):
        return False
    return isinstance(private, DictionaryObject) and private.get("/Output") == OFFICE


def placements(plan: SheetPlan, pages) -> list[tuple[int, int, tuple[float, ...]]]:
    """(side, product page, PDF matrix) of every copy on the sheet, for product
    ``pages`` (pypdf pages with a TrimBox): what :func:`impose` draws, for drawing
    something else at the same places (a 동's block on a common office sheet)."""
    result = []
    for number, side in enumerate(plan.sides):
        for placement in side.placements:
            trim = [float(v) for v in pages[placement.page]["/TrimBox"]]
            origin = (min(trim[0], trim[2]), min(trim[1], trim[3]))
            result.append((number, placement.page, _pdf_matrix(placement.matrix, origin)))
    return result


def clip_box(plan: SheetPlan) -> str:
    """The page box a copy is clipped to: TrimBox on sheets without bleed."""
    return "/TrimBox" if plan.bleed_mm == 0 else "/BleedBox"


def _check_bleed(plan: SheetPlan, page, number: int):
    """Refuse a page whose own bleed, scaled with its cell, is narrower than the cell's
    bleed: the cell's edge would print blank paper where a cut may land."""
    if plan.bleed_mm == 0:
        return
    trim = [float(v) for v in page["/TrimBox"]]
    bleed = [float(v) for v in page["/BleedBox"]] if "/BleedBox" in page else trim
    narrowest = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2],
                    bleed[3] - trim[3]) / PT_PER_MM
    if narrowest * plan.scale < plan.bleed_mm - 0.01:
        raise ImpositionError(
            f"'{plan.product}' {number + 1}쪽의 도련 {narrowest:.1f} mm 는 "
            f"{plan.sheet.name} 칸의 도련 {plan.bleed_mm:g} mm"
            f"(축소 {plan.scale * 100:.1f}%: 원래 크기로 {plan.bleed_mm / plan.scale:.1f} mm)"
            "보다 좁습니다. 인쇄용 파일의 도련을 넓혀 주세요")


def _form(writer, page, clip):
    """Copy ``page`` into ``writer`` as a Form XObject; return it and its trim origin."""
    trim = [float(v) for v in page["/TrimBox"]]
    box = [float(v) for v in page[clip]] if clip in page else trim
    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in box),
        NameObject("/Resources"): retag_fonts(page["/Resources"].clone(writer)),
    })
    form = form.flate_encode()
    return writer._add_object(form), (min(trim[0], trim[2]), min(trim[1], trim[3]))


def _pdf_matrix(plan_matrix, origin):
    """Product page points -> sheet points, through the plan's millimetre map."""
    to_piece = (1 / PT_PER_MM, 0, 0, 1 / PT_PER_MM, -origin[0] / PT_PER_MM,
                -origin[1] / PT_PER_MM)
    to_points = (PT_PER_MM, 0, 0, PT_PER_MM, 0, 0)
    return compose(compose(to_piece, plan_matrix), to_points)


def _add_xobject(page, name, reference):
    resources = page["/Resources"]
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"][NameObject(name)] = reference


def _prepend(writer, page, data: bytes):
    """Put ``data`` before the page's own content, both isolated in q/Q (the
    closing Q comes first in :func:`_append`)."""
    stream = DecodedStreamObject()
    stream.set_data(b"q\n" + data + b"\nQ\nq\n")
    reference = writer._add_object(stream.flate_encode())
    contents = page.raw_get("/Contents")
    existing = contents.get_object()
    items = list(existing) if isinstance(existing, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([reference, *items])


def _furniture(side: Side) -> bytes:
    """Content drawing the side's marks, targets and control strip (points, y up)."""
    def pt(value):
        return f"{value * PT_PER_MM:.3f}"

    ops = ["q", f"{REGISTRATION} CS 1 SCN {MARK_STROKE_PT} w 0 J"]
    for (x1, y1), (x2, y2) in side.marks + side.lay_marks:
        ops.append(f"{pt(x1)} {pt(y1)} m {pt(x2)} {pt(y2)} l S")
    for x, y in side.targets:
        for radius in (TARGET_RADIUS_MM, TARGET_RADIUS_MM / 2):
            ops.append(_circle(x * PT_PER_MM, y * PT_PER_MM, radius * PT_PER_MM))
        ops.append(f"{pt(x - TARGET_REACH_MM)} {pt(y)} m {pt(x + TARGET_REACH_MM)} {pt(y)} l S")
        ops.append(f"{pt(x)} {pt(y - TARGET_REACH_MM)} m {pt(x)} {pt(y + TARGET_REACH_MM)} l S")
    for rect, cmyk in side.strip:
        colour = " ".join(f"{v:g}" for v in cmyk)
        ops.append(f"{colour} k {pt(rect.x)} {pt(rect.y)} {pt(rect.w)} {pt(rect.h)} re f")
    ops.append("Q")
    return "\n".join(ops).encode()


def _circle(cx: float, cy: float, r: float) -> str:
    """A stroked circle of four Bezier curves."""
    k = 0.5523 * r
    return (f"{cx + r:.3f} {cy:.3f} m "
            f"{cx + r:.3f} {cy + k:.3f} {cx + k:.3f} {cy + r:.3f} {cx:.3f} {cy + r:.3f} c "
            f"{cx - k:.3f} {cy + r:.3f} {cx - r:.3f} {cy + k:.3f} {cx - r:.3f} {cy:.3f} c "
            f"{cx - r:.3f} {cy - k:.3f} {cx - k:.3f} {cy - r:.3f} {cx:.3f} {cy - r:.3f} c "
            f"{cx + k:.3f} {cy - r:.3f} {cx + r:.3f} {cy - k:.3f} {cx + r:.3f} {cy:.3f} c S")


def registration_colour_space() -> ArrayObject:
    """``[/Separation /All /DeviceCMYK fn]``: tint 1 prints 100 % on every plate."""
    tint = DictionaryObject({
        NameObject("/FunctionType"): NumberObject(2),
        NameObject("/Domain"): ArrayObject([NumberObject(0), NumberObject(1)]),
        NameObject("/C0"): ArrayObject([NumberObject(0)] * 4),
        NameObject("/C1"): ArrayObject([NumberObject(1)] * 4),
        NameObject("/N"): NumberObject(1),
    })
    return ArrayObject([NameObject("/Separation"), NameObject("/All"),
                        NameObject("/DeviceCMYK"), tint])


def _add_registration(page):
    resources = page["/Resources"]
    if "/ColorSpace" not in resources:
        resources[NameObject("/ColorSpace")] = DictionaryObject()
    resources["/ColorSpace"][NameObject(REGISTRATION)] = registration_colour_space()


def _append(writer, page, data: bytes):
    """Put ``data`` after the page's own content, in the default graphics state."""
    stream = DecodedStreamObject()
    stream.set_data(b"Q\n" + data)
    reference = writer._add_object(stream.flate_encode())
    contents = page.raw_get("/Contents")
    existing = contents.get_object()
    items = list(existing) if isinstance(existing, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([*items, reference])
