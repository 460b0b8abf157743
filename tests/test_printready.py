"""Print-ready files: boxes, bleed, marks in registration colour, slug, inks."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp

from leaflets.pdfscan import scan
from leaflets.preflight import CHECKS, preflight
from leaflets.printready import PrintSetup
from leaflets.products import PRODUCTS
from leaflets.render import build_date, rasterize
from tests.conftest import cmyk_pages, content_with, read_pages

MM = 72 / 25.4
DPI = 200


def _boxes(pdf):
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    return {key: tuple(float(v) for v in page[key]) for key in ("/MediaBox", "/BleedBox",
                                                                  "/TrimBox")}


@pytest.mark.parametrize("product", PRODUCTS)
def test_own_print_files_pass_every_preflight_check(print_pdfs, default_content, product):
    report = preflight(print_pdfs[product], product, url=default_content.service.url)
    assert report.passed, report.findings
    assert {finding.check for finding in report.findings} == set(CHECKS)


@pytest.mark.parametrize("product, trim", [("poster-a4", (210, 297)), ("pocket", (105, 148))])
def test_trim_bleed_and_media_boxes(print_pdfs, product, trim):
    boxes = _boxes(print_pdfs[product])
    assert boxes["/TrimBox"] == pytest.approx((0, 0, trim[0] * MM, trim[1] * MM), abs=0.01)
    bleed = 3 * MM
    assert boxes["/BleedBox"] == pytest.approx(
        (-bleed, -bleed, trim[0] * MM + bleed, trim[1] * MM + bleed), abs=0.01)
    media = boxes["/MediaBox"]
    assert media[0] <= -bleed - 10 * MM and media[2] >= trim[0] * MM + bleed + 10 * MM


def test_bleed_is_a_setting_in_the_data(renderer):
    content = content_with(lambda doc: doc["pocket"].__setitem__("bleed_mm", 5))
    pdf = renderer.render(content, "pocket", "print").pdf
    left = _boxes(pdf)["/BleedBox"][0]
    assert left == pytest.approx(-5 * MM, abs=0.01)
    assert preflight(pdf, "pocket", bleed_mm=5, url=content.service.url).passed


def _darkest(image, x, y, radius=2):
    """The pixel with the most ink around (x, y)."""
    pixels = [image.getpixel((i, j)) for i in range(x - radius, x + radius + 1)
              for j in range(y - radius, y + radius + 1)]
    return max(pixels, key=sum)


@pytest.mark.parametrize("product", PRODUCTS)
def test_marks_are_registration_colour_outside_the_bleed(print_pdfs, default_content, product,
                                                          tmp_path):
    pdf = print_pdfs[product]
    setup = PrintSetup(default_content.trim_mm(product), 3.0)
    pages = cmyk_pages(pdf, DPI, tmp_path)
    px = DPI / 25.4

    def at(x_mm, y_mm):  # trim coordinates -> raster pixels
        return round((x_mm + setup.margin_mm) * px), round((y_mm + setup.margin_mm) * px)

    for image in pages:
        for x1, y1, x2, y2 in setup.crop_marks():
            assert _darkest(image, *at((x1 + x2) / 2, (y1 + y2) / 2)) == (255, 255, 255, 255)
        for x, y in setup.targets():
            assert _darkest(image, *at(x, y)) == (255, 255, 255, 255)
        # Nothing in registration colour inside the BleedBox.
        width, height = setup.trim_mm
        left, top = at(-3, -3)
        right, bottom = at(width + 3, height + 3)
        inside = image.crop((left, top, right, bottom))
        registration = [c for _, c in inside.getcolors(1 << 24) if min(c) > 200]
        assert registration == []


@pytest.mark.parametrize("product", PRODUCTS)
def test_band_background_runs_into_the_bleed(print_pdfs, default_content, product, tmp_path):
    setup = PrintSetup(default_content.trim_mm(product), 3.0)
    image = cmyk_pages(print_pdfs[product], DPI, tmp_path)[0]
    px = DPI / 25.4

    def pixel(x_mm, y_mm):
        return image.getpixel((round((x_mm + setup.margin_mm) * px),
                               round((y_mm + setup.margin_mm) * px)))

    navy = (255, 184, 0, 76)  # theme --navy: 100 72 0 30
    for x, y in [(-1.5, 8), (setup.trim_mm[0] + 1.5, 8), (20, -1.5)]:
        assert pixel(x, y) == pytest.approx(navy, abs=2)
    assert pixel(-4.5, 8) == (0, 0, 0, 0)  # beyond the bleed: paper


def test_slug_names_product_side_trim_bleed_date_and_content(print_pdfs, default_content):
    front, back = read_pages(print_pdfs["pocket"])
    for page, side in ((front, "앞면"), (back, "뒷면")):
        slug = next(line for line in page.lines if line.startswith("pocket"))
        assert f"pocket {side}" in slug
        assert "재단 105×148 mm" in slug and "도련 3 mm" in slug
        assert build_date() in slug and default_content.sha256[:8] in slug


def test_slug_date_and_content_hash_are_the_real_ones(renderer, monkeypatch):
    """Expected values worked out apart from the code: 1764000000 s after the epoch is
    2025-11-24 16:00 UTC (`date -u -d @1764000000`), and the content hash is the SHA-256
    of the file's bytes."""
    import hashlib

    from leaflets.content import load_content
    from leaflets.project import DEFAULT_DATA

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    content = load_content(DEFAULT_DATA)
    pdf = renderer.render(content, "pocket", "print").pdf
    digest = hashlib.sha256(DEFAULT_DATA.read_bytes()).hexdigest()[:8]
    for page in read_pages(pdf):
        slug = next(line for line in page.lines if line.startswith("pocket"))
        assert "2025-11-24" in slug and digest in slug, slug


@pytest.mark.parametrize("product", PRODUCTS)
def test_small_text_and_qr_are_k_only(print_pdfs, default_content, product, tmp_path):
    pdf = print_pdfs[product]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    trim = [float(v) for v in reader.pages[0]["/TrimBox"]]
    for run in scan(reader).texts:
        if run.size_pt < 12 and trim[0] <= run.x <= trim[2] and trim[1] <= run.y <= trim[3]:
            assert run.values in ((0, 0, 0, 1), (0, 0, 0, 0.7), (0, 0, 0, 0)), run
    dpi = 150
    cmyk = cmyk_pages(pdf, dpi, tmp_path)[0]
    rgb = next(rasterize(pdf, dpi))
    [code] = zxingcpp.read_barcodes(rgb)
    assert code.text == default_content.service.url
    corners = code.position
    box = (corners.top_left.x + 2, corners.top_left.y + 2,
           corners.bottom_right.x - 2, corners.bottom_right.y - 2)
    colours = {colour for _, colour in cmyk.crop(box).getcolors(1 << 24)}
    assert colours <= {(0, 0, 0, 0), (0, 0, 0, 255)}
    assert (0, 0, 0, 255) in colours


@pytest.mark.parametrize("product", PRODUCTS)
def test_screen_pdf_is_rgb_tagged_titled_korean_at_trim_size(default_pdfs, default_content,
                                                              product):
    reader = pypdf.PdfReader(io.BytesIO(default_pdfs[product]))
    found = scan(reader)
    assert not [use for use in found.colours if use.space.components == 4]
    assert {use.space.family for use in found.colours} <= {"/DeviceRGB"}
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "ko"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata.title == f"민원24 — {PRODUCTS[product].title}"
    trim = default_content.trim_mm(product)
    media = [float(v) for v in reader.pages[0].mediabox]
    assert media == pytest.approx([0, 0, trim[0] * MM, trim[1] * MM], abs=0.01)
