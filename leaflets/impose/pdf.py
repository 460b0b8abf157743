"""Draw a sheet plan: every pypdf call of the imposition lives here.

Each product page is copied once into the sheet file as a Form XObject
(clipped to its BleedBox, or TrimBox for office sheets) and drawn once per
placement, so the file stays near the size of one copy. The page is placed
by its TrimBox. The furniture page (marks, colour bar, slug, rendered by
WeasyPrint) is drawn over the pages, so marks stay visible in the bleeds
they share with their neighbours.
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
)

from leaflets.compose import parsed, retag_fonts
from leaflets.impose.geometry import compose
from leaflets.impose.plan import SheetPlan

PT_PER_MM = 72 / 25.4


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
                forms[placement.page] = _form(writer, product.pages[placement.page], clip)
            reference, origin = forms[placement.page]
            matrix = _pdf_matrix(placement.matrix, origin)
            name = f"/LeafletsPage{placement.page}"
            _add_xobject(page, name, reference)
            commands.append("q {} cm {} Do Q".format(" ".join(f"{v:.5f}" for v in matrix),
                                                     name))
        _prepend(writer, page, "\n".join(commands).encode())
    # Objects the product's resources share with the furniture page: keep one copy.
    writer.compress_identical_objects()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


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
    """The page box a copy is clipped to: TrimBox on sheets without bleed (office)."""
    return "/TrimBox" if plan.bleed_mm == 0 else "/BleedBox"


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
    """Put ``data`` before the page's own content, isolated in q/Q."""
    stream = DecodedStreamObject()
    stream.set_data(b"q\n" + data + b"\nQ\n")
    reference = writer._add_object(stream.flate_encode())
    contents = page.raw_get("/Contents")
    existing = contents.get_object()
    items = list(existing) if isinstance(existing, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([reference, *items])
