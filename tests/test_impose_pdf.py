"""Imposed press sheets and office sheets, checked on the rendered PDF.

Where the plan says a page goes is tested in test_impose_plan.py; here the
drawn file is read back: one Form XObject per product page, text found
where the plan put each copy, backs behind their fronts after the turn,
marks in registration colour where planned and nowhere inside a trim.
"""

from __future__ import annotations

import io
import math
import re

import pypdf
import pypdfium2
import pytest
from PIL import ImageChops, ImageFilter, ImageOps

from leaflets.impose.geometry import Rect, apply
from leaflets.impose.pdf import impose
from leaflets.impose.plan import ImpositionError, plan_office, plan_press
from leaflets.production import load_production
from leaflets.project import DEFAULT_PRODUCTION
from tests.conftest import MM_PER_PT, cmyk_pages

PRODUCTION = load_production(DEFAULT_PRODUCTION)
POCKET = PRODUCTION.run("pocket")
PIECE = (105.0, 148.0)
BLEED = 3.0
# Text that appears once per page, on one side only.
ANCHORS = {0: "어렵지 않아요", 1: "경제적입니다"}


@pytest.fixture(scope="module")
def sheets(renderer, print_pdfs, default_content):
    """The pocket leaflet imposed every way the build can: {method: (plan, pdf)}."""
    out = {}
    for method in ("work-and-turn", "sheetwise"):
        plan = plan_press(POCKET, PRODUCTION.sheet("국전지"), PIECE, BLEED, method)
        out[method] = plan
    out["office"] = plan_office(POCKET, PRODUCTION.office_sheet, PIECE)
    return {
        method: (plan, impose(plan, print_pdfs["pocket"],
                              renderer.render_sheet(plan, "포켓용 리플릿", default_content.sha256)))
        for method, plan in out.items()
    }


def anchor_positions(pdf: bytes, page_index: int, text: str) -> list[tuple[float, float]]:
    """Centres (mm, origin bottom-left, y up) of the first character of every ``text``."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        page = document[page_index]
        textpage = page.get_textpage()
        searcher = textpage.search(text)
        found = []
        while (hit := searcher.get_next()) is not None:
            left, bottom, right, top = textpage.get_charbox(hit[0])
            found.append(((left + right) / 2 * MM_PER_PT, (bottom + top) / 2 * MM_PER_PT))
        return found
    finally:
        document.close()


def local_anchor(print_pdf: bytes, page: int) -> tuple[float, float]:
    """Where the page's anchor sits relative to its own trim's bottom-left corner (mm)."""
    reader = pypdf.PdfReader(io.BytesIO(print_pdf))
    trim = [float(v) * MM_PER_PT for v in reader.pages[page]["/TrimBox"]]
    (x, y), = anchor_positions(print_pdf, page, ANCHORS[page])
    return x - trim[0], y - trim[1]


def matches(found, expected, tolerance=0.3) -> bool:
    return len(found) == len(expected) and all(
        any(math.dist(e, f) <= tolerance for f in found) for e in expected)


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_each_product_page_is_one_form_drawn_once_per_cell(sheets, print_pdfs, method):
    plan, pdf = sheets[method]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    forms = set()
    for side, page in zip(plan.sides, reader.pages, strict=True):
        content = page.get_contents().get_data().decode("latin-1")
        xobjects = page["/Resources"]["/XObject"]
        for number in (0, 1):
            name = f"/LeafletsPage{number}"
            drawn = len(re.findall(rf"{name} Do", content))
            assert drawn == sum(p.page == number for p in side.placements)
            if drawn:
                forms.add((number, xobjects.raw_get(name).idnum))
    assert len(forms) == 2, forms  # the same two objects on every side
    assert len(pdf) <= 1.5 * len(print_pdfs["pocket"])


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_every_copy_is_drawn_where_the_plan_puts_it(sheets, print_pdfs, method):
    """Text of each page, found on the sheet at the plan's position (so: placed by trim)."""
    plan, pdf = sheets[method]
    for index, side in enumerate(plan.sides):
        for page in (0, 1):
            local = local_anchor(print_pdfs["pocket"], page)
            expected = [apply(p.matrix, *local) for p in side.placements if p.page == page]
            found = anchor_positions(pdf, index, ANCHORS[page])
            assert matches(found, expected), (side.label, page, found, expected)


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_after_the_turn_every_back_lands_behind_its_own_front(sheets, print_pdfs, method):
    """Measured on the rendered sheet, not from the plan.

    Turning the sheet side to side (or a long-edge duplex flip of a portrait
    A4) maps a point x on the back to W - x seen from the front. Behind the
    front's point (u, v) lies the back's point (w - u, v). So the back's
    anchor, turned, must sit at a fixed offset from its front's anchor: the
    two pages' local anchors, rotated with the cell.
    """
    plan, pdf = sheets[method]
    width = plan.sheet_mm[0]
    front_side, back_side = (0, 0) if method == "work-and-turn" else (0, 1)
    fronts = anchor_positions(pdf, front_side, ANCHORS[0])
    backs = [(width - x, y) for x, y in anchor_positions(pdf, back_side, ANCHORS[1])]
    (u0, v0), (u1, v1) = (local_anchor(print_pdfs["pocket"], page) for page in (0, 1))
    w = PIECE[0] * plan.scale
    placed = [p for p in plan.sides[front_side].placements if p.page == 0]
    assert len(fronts) == len(backs) == len(placed) > 0
    for placement in placed:
        a, b, c, d = placement.matrix[:4]
        front = apply(placement.matrix, u0, v0)
        behind_local = (w / plan.scale - u1 - u0, v1 - v0)
        offset = (a * behind_local[0] + c * behind_local[1],
                  b * behind_local[0] + d * behind_local[1])
        (found_front,) = [f for f in fronts if math.dist(f, front) < 0.3]
        expected_back = (found_front[0] + offset[0], found_front[1] + offset[1])
        assert any(math.dist(expected_back, b) < 0.3 for b in backs), (front, expected_back)


@pytest.fixture(scope="module")
def rasters(sheets, tmp_path_factory):
    """Every sheet side as a CMYK image at 100 dpi (Ghostscript)."""
    return {method: cmyk_pages(pdf, 100, tmp_path_factory.mktemp(method))
            for method, (plan, pdf) in sheets.items()}


def _px(image, sheet_mm, point):
    """Pixel of a plan point (mm, y up) in an image of the whole sheet."""
    x, y = point
    return (round(x / sheet_mm[0] * image.width - 0.5),
            round((sheet_mm[1] - y) / sheet_mm[1] * image.height - 0.5))


def _registration_mask(image, threshold=200):
    """White where all four inks are near 100 %: registration colour."""
    channels = [band.point(lambda v: 255 if v >= threshold else 0) for band in image.split()]
    mask = channels[0]
    for channel in channels[1:]:
        mask = ImageChops.multiply(mask, channel)
    return mask


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_marks_are_registration_colour_where_planned_and_never_in_a_trim(
        sheets, rasters, method):
    plan, _ = sheets[method]
    for side, image in zip(plan.sides, rasters[method], strict=True):
        mask = _registration_mask(image)
        assert side.marks
        for (x1, y1), (x2, y2) in side.marks:
            middle = _px(image, plan.sheet_mm, ((x1 + x2) / 2, (y1 + y2) / 2))
            near = mask.crop((middle[0] - 1, middle[1] - 1, middle[0] + 2, middle[1] + 2))
            assert near.getextrema()[1] == 255, (side.label, (x1, y1), (x2, y2))
        for placement in side.placements:
            trim = placement.trim.inset(0.3)
            left, top = _px(image, plan.sheet_mm, (trim.x, trim.top))
            right, bottom = _px(image, plan.sheet_mm, (trim.right, trim.y))
            inside = mask.crop((left, top, right, bottom))
            assert inside.getextrema()[1] == 0, (side.label, placement.trim)


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_marks_seen_through_the_turned_sheet_coincide(sheets, rasters, method):
    """The registration-colour marks of the back side, mirrored, fall on the front's."""
    plan, _ = sheets[method]
    images = rasters[method]
    front = _registration_mask(images[0])
    back = ImageOps.mirror(_registration_mask(images[-1]))
    slug = plan.sides[0].slug
    for box in (slug, slug.mirrored(plan.sheet_mm[0])):  # its words differ per side
        left, top = _px(front, plan.sheet_mm, (box.x - 1, box.top + 1))
        right, bottom = _px(front, plan.sheet_mm, (box.right + 1, box.y - 1))
        for mask in (front, back):
            mask.paste(0, (left, top, right, bottom))
    assert front.getbbox() is not None
    assert _lone_pixels(front, back) == 0, method


def _lone_pixels(front, back) -> int:
    """Pixels set in one mask with nothing set within one pixel in the other."""
    grown_front = front.filter(ImageFilter.MaxFilter(3))
    grown_back = back.filter(ImageFilter.MaxFilter(3))
    lone = ImageChops.add(ImageChops.subtract(front, grown_back),
                          ImageChops.subtract(back, grown_front))
    return sum(lone.histogram()[1:])


def test_office_sheet_leaves_the_border_blank_and_prints_the_scale(sheets, rasters):
    plan, pdf = sheets["office"]
    assert plan.sheet_mm == (210, 297) and plan.n_up == 4
    assert plan.scale == pytest.approx(0.867, abs=0.001)
    border = PRODUCTION.office_sheet.margin_mm
    for side, image in zip(plan.sides, rasters["office"], strict=True):
        inner = (_px(image, plan.sheet_mm, (border, plan.sheet_mm[1] - border)),
                 _px(image, plan.sheet_mm, (plan.sheet_mm[0] - border, border)))
        blank = image.copy()
        blank.paste((0, 0, 0, 0), (*inner[0], inner[1][0] + 1, inner[1][1] + 1))
        assert blank.getbbox() is None, f"{side.label}: ink within {border} mm of the edge"
        # and something is printed: the pages themselves
        assert image.crop((*inner[0], *inner[1])).getbbox() is not None
    texts = [pypdfium2.PdfDocument(io.BytesIO(pdf))[i].get_textpage().get_text_range()
             for i in range(2)]
    for label, text in zip(("앞면", "뒷면"), texts, strict=True):
        assert "축소 86.7%" in text and label in text and "칸마다 도련 2 mm" in text
        assert "A4 2,625장 → 10,500부 (한 장에 4부, 양면 긴 쪽 넘김" in text


def _rgb(pdf: bytes, index: int, dpi: int):
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        return document[index].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def test_office_copies_show_their_own_colour_in_the_bleed_and_nothing_beyond(sheets):
    """A cut that misses a trim by up to 2 mm shows the page's own colour: the navy
    band of each front runs on past the left, right and top trims, as far as the cell's
    bleed and no further (the page's own 3 mm bleed, scaled, would reach 2.6 mm)."""
    plan, pdf = sheets["office"]
    dpi = 300
    image = _rgb(pdf, 0, dpi)
    height = plan.sheet_mm[1]

    def at(x, y):
        return image.getpixel((round(x / 25.4 * dpi), round((height - y) / 25.4 * dpi)))

    def navy(pixel):
        return pixel[2] > 80 and pixel[0] < 40 and pixel[1] < 90

    for placement in plan.sides[0].placements:
        trim, bleed = placement.trim, plan.bleed_mm
        band = trim.top - 5  # inside the navy band at the top of the front
        inside = at(trim.x + 1, band)
        assert navy(inside), inside
        for x in (trim.x - bleed + 0.3, trim.right + bleed - 0.3):
            assert math.dist(at(x, band), inside) < 12, (trim, x, at(x, band))
        assert math.dist(at(trim.x + 10, trim.top + bleed - 0.3), inside) < 12
        assert at(trim.x + 10, trim.top + bleed + 0.35) == (255, 255, 255), trim
        outer = [x for x in (trim.x - bleed - 0.35, trim.right + bleed + 0.35)
                 if not any(other.trim.inset(-bleed).contains(Rect(x, band, 0, 0))
                            for other in plan.sides[0].placements)]
        for x in outer:
            assert at(x, band) == (255, 255, 255), (trim, x)


def test_a_page_bleed_narrower_than_the_cell_is_refused(sheets, print_pdfs, renderer,
                                                        default_content):
    """The plan asks for 2 mm round every copy; a print file with only 1 mm of bleed
    (86.7 %: 0.87 mm on the sheet) is refused rather than printed with white edges, and
    the office plan for such a page gives the copies what the page has."""
    plan, _ = sheets["office"]
    reader = pypdf.PdfReader(io.BytesIO(print_pdfs["pocket"]))
    writer = pypdf.PdfWriter(clone_from=reader)
    for page in writer.pages:
        trim = [float(v) for v in page["/TrimBox"]]
        one_mm = 1 / MM_PER_PT
        page[pypdf.generic.NameObject("/BleedBox")] = pypdf.generic.ArrayObject(
            pypdf.generic.FloatObject(v) for v in (trim[0] - one_mm, trim[1] - one_mm,
                                                   trim[2] + one_mm, trim[3] + one_mm))
    buffer = io.BytesIO()
    writer.write(buffer)
    narrow = buffer.getvalue()
    furniture = renderer.render_sheet(plan, "포켓용 리플릿", default_content.sha256)
    with pytest.raises(ImpositionError, match="도련 1.0 mm"):
        impose(plan, narrow, furniture)
    fitted = plan_office(POCKET, PRODUCTION.office_sheet, PIECE, page_bleed=1.0)
    assert fitted.bleed_mm == pytest.approx(0.86) and fitted.scale == plan.scale
    assert impose(fitted, narrow, furniture).startswith(b"%PDF-1.6")


def test_press_slug_names_job_sheet_side_n_up_quantity_and_sheets(sheets):
    plan, pdf = sheets["work-and-turn"]
    text = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()
    for words in ("pocket", "국전지 939×636 mm", "아트지 150g", "4/4도", "앞뒤 (돌려찍기)",
                  f"{plan.n_up}면 돌려찍기", "10,000부", f"{plan.sheets:,}장(여분 포함)"):
        assert words in text, words


def test_colour_bar_has_each_ink_alone(sheets, rasters):
    plan, _ = sheets["work-and-turn"]
    image = rasters["work-and-turn"][0]
    solids = []
    for rect, _ in plan.sides[0].strip[:4]:
        centre = _px(image, plan.sheet_mm, (rect.x + rect.w / 2, rect.y + rect.h / 2))
        solids.append(image.getpixel(centre))
    for ink, pixel in enumerate(solids):
        assert pixel[ink] > 240 and all(v < 15 for i, v in enumerate(pixel) if i != ink), pixel


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise", "office"])
def test_imposed_sheet_is_pdf_x4_of_its_own(sheets, method):
    """OutputIntent, the PDF/X-4 claim, boxes = the sheet as declared, marks in
    ``Separation /All`` and not one 400 % DeviceCMYK object."""
    plan, pdf = sheets[method]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-1.6")
    [intent] = reader.trailer["/Root"]["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFX" and "/DestOutputProfile" in intent
    assert b"GTS_PDFXVersion" in reader.trailer["/Root"]["/Metadata"].get_data()
    sheet_pt = [0, 0, plan.sheet_mm[0] / MM_PER_PT, plan.sheet_mm[1] / MM_PER_PT]
    for page in reader.pages:
        for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
            assert [float(v) for v in page[box]] == pytest.approx(sheet_pt, abs=0.01), box
        space = page["/Resources"]["/ColorSpace"]["/LeafletsAll"]
        assert (space[0], space[1], space[2]) == ("/Separation", "/All", "/DeviceCMYK")
        content = page.get_contents().get_data().decode("latin-1")
        assert "/LeafletsAll CS 1 SCN" in content
        assert not re.search(r"(?<![\d.])1 1 1 1 (k|K|sc|scn|SC|SCN)\b", content)


def _ink_near_edges(image, sheet_mm, strip):
    """Pixels with ink within 3 mm of an edge, the control strip blanked first."""
    edged = image.copy()
    left, top = _px(image, sheet_mm, (strip.x, strip.top))
    right, bottom = _px(image, sheet_mm, (strip.right, strip.y))
    edged.paste((0, 0, 0, 0), (left, top - 1, right + 1, bottom + 2))
    inner = (_px(image, sheet_mm, (3, sheet_mm[1] - 3)), _px(image, sheet_mm, (sheet_mm[0] - 3, 3)))
    edged.paste((0, 0, 0, 0), (*inner[0], inner[1][0] + 1, inner[1][1] + 1))
    return edged.getbbox()


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise"])
def test_rendered_sheet_has_only_the_strip_near_its_edges_and_the_strip_spans_it(
        sheets, rasters, method):
    plan, _ = sheets[method]
    for side, image in zip(plan.sides, rasters[method], strict=True):
        assert _ink_near_edges(image, plan.sheet_mm, side.colour_bar) is None, side.label
        row = _px(image, plan.sheet_mm, (0, side.colour_bar.y + side.colour_bar.h / 2))[1]
        inked = [x for x in range(image.width) if any(image.getpixel((x, row)))]
        assert (inked[0], inked[-1]) == (0, image.width - 1)
        assert len(inked) == image.width  # no gap along the whole tail


@pytest.mark.parametrize("method", ["work-and-turn", "sheetwise"])
def test_rendered_crop_marks_reach_5_mm_at_every_cell_corner(sheets, rasters, method):
    """Measured on the raster: along each planned mark, registration colour over at
    least 4.8 mm (5 mm drawn, 100 dpi), on both trim lines of every corner."""
    plan, _ = sheets[method]
    for side, image in zip(plan.sides, rasters[method], strict=True):
        mask = _registration_mask(image).filter(ImageFilter.MaxFilter(3))
        lines = {}
        for (x1, y1), (x2, y2) in side.marks:
            steps = [(x1 + (x2 - x1) * t / 50, y1 + (y2 - y1) * t / 50) for t in range(51)]
            hit = [mask.getpixel(_px(image, plan.sheet_mm, p)) for p in steps]
            assert sum(1 for v in hit if v) / len(hit) >= 0.96, ((x1, y1), (x2, y2))
            vertical = x1 == x2
            lines.setdefault((vertical, round(x1 if vertical else y1, 3)), []).append(
                abs(x2 - x1) + abs(y2 - y1))
        for placement in side.placements:
            t = placement.trim
            for x in (t.x, t.right):
                assert min(lines[(True, round(x, 3))]) >= 5.0 - 1e-6
            for y in (t.y, t.top):
                assert min(lines[(False, round(y, 3))]) >= 5.0 - 1e-6
