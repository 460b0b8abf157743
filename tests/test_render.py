"""What a reader or a vendor sees on the rendered pages."""

from __future__ import annotations

import io

import pypdf
import pytest
import zxingcpp
from fontTools.ttLib import TTFont

from leaflets.errors import ContentOverflowError
from leaflets.products import PRODUCTS
from leaflets.render import rasterize
from tests.conftest import content_with, read_pages


def _fee_line(fee):
    def won(amount):
        return "무 료" if amount == 0 else f"{amount:,}원"
    return f"{fee.document} {won(fee.counter)} {won(fee.kiosk)} {won(fee.online)}"


def test_poster_shows_every_fee_row_step_and_note(default_pdfs, default_content):
    [page] = read_pages(default_pdfs["poster-a4"])
    lines = page.lines
    for fee in default_content.fees:
        assert _fee_line(fee) in lines
    assert "구 분 민원창구 무인발급기 민원24(인터넷)" in lines
    flat = " ".join(lines)
    for step in default_content.howto.steps:
        assert step in flat
    assert "※ 공인인증서 - 가까운 은행이나 우체국에서 발급 받으세요" in lines
    assert "민원24는 편리하고 비용이 저렴합니다" in lines
    assert "휴대폰으로 QR코드를 찍으면 바로 연결됩니다" in lines


def test_pocket_front_has_the_howto_and_back_the_fees(default_pdfs, default_content):
    front, back = read_pages(default_pdfs["pocket"])
    assert "민원24 이용 방법 어렵지 않아요 !" in front.lines
    for step in default_content.pocket.howto.steps:  # the leaflet's own (붙임 2-나)
        step = step.replace("**", "")
        assert any(step in line for line in front.lines), step
    assert "※ 공인인증서 - 가까운 은행이나 우체국에서 발급 받으세요" in front.lines
    assert "발급 수수료" not in front.text
    for fee in default_content.fees:
        assert _fee_line(fee) in back.lines
    assert "민원24는 편리하고 경제적입니다" in back.lines


def test_pages_have_the_trim_size_from_the_data(default_pdfs):
    [poster] = read_pages(default_pdfs["poster-a4"])
    assert (round(poster.width_mm), round(poster.height_mm)) == (210, 297)
    pocket = read_pages(default_pdfs["pocket"])
    assert [(round(p.width_mm), round(p.height_mm)) for p in pocket] == [(105, 148)] * 2


def test_trim_size_is_data_not_code(renderer):
    content = content_with(lambda doc: doc["pocket"].__setitem__("trim_mm", [100, 210]))
    pages = read_pages(renderer.render(content, "pocket").pdf)
    assert [(round(p.width_mm), round(p.height_mm)) for p in pages] == [(100, 210)] * 2


def test_changing_a_fee_changes_the_printed_figure(renderer):
    content = content_with(lambda doc: doc["fees"][0].__setitem__("counter", 650))
    for name in PRODUCTS:
        text = "\n".join(p.text for p in read_pages(renderer.render(content, name).pdf))
        assert "주민등록 등초본 650원 200원 무 료" in text
        assert "주민등록 등초본 400원" not in text


@pytest.mark.parametrize("product, min_pt", [("poster-a4", 14.0), ("pocket", 8.0)])
def test_type_is_large_enough_to_read(default_pdfs, product, min_pt):
    sizes = [c.size_pt for page in read_pages(default_pdfs[product]) for c in page.chars]
    assert min(sizes) >= min_pt - 0.01


@pytest.mark.parametrize("product", PRODUCTS)
def test_all_text_stays_5mm_inside_the_trim(default_pdfs, product):
    for page in read_pages(default_pdfs[product]):
        for char in page.chars:
            left, top, right, bottom = char.box_mm
            assert left >= 5 and top >= 5, char
            assert right <= page.width_mm - 5 and bottom <= page.height_mm - 5, char


@pytest.mark.parametrize("product, page_index", [("poster-a4", 0), ("pocket", 0)])
def test_qr_code_decodes_to_the_service_url(default_pdfs, default_content, product, page_index):
    dpi = 150
    image = list(rasterize(default_pdfs[product], dpi))[page_index]
    [code] = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == default_content.service.url
    assert code.ec_level in ("M", "Q", "H")
    corners = code.position  # outer corners of the symbol, quiet zone excluded
    left, top = corners.top_left.x, corners.top_left.y
    right, bottom = corners.bottom_right.x, corners.bottom_right.y
    modules = _qr_modules(code.text)
    module_px = (right - left) / modules
    module_mm = module_px * 25.4 / dpi
    assert module_mm >= 0.4
    assert module_mm * (modules + 8) >= 18
    assert module_mm * (modules + 8) == pytest.approx(PRODUCTS[product].qr_width_mm, rel=0.03)
    # The quiet zone, 4 modules around the symbol, is blank paper.
    gray = image.convert("L")
    quiet = 4 * module_px
    ring = [
        gray.getpixel((x, y))
        for x in range(round(left - quiet + 2), round(right + quiet - 2))
        for y in range(round(top - quiet + 2), round(bottom + quiet - 2))
        if not (left - 2 <= x <= right + 2 and top - 2 <= y <= bottom + 2)
    ]
    assert len(ring) > 3 * quiet * (right - left)  # the ring really was sampled
    assert min(ring) > 200


def _qr_modules(text):
    import qrcode
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text.encode())
    code.make(fit=True)
    return code.version * 4 + 17


@pytest.mark.parametrize("product", PRODUCTS)
def test_qr_code_is_vector_and_no_page_has_images(default_pdfs, product):
    reader = pypdf.PdfReader(io.BytesIO(default_pdfs[product]))
    for page in reader.pages:
        for xobject in page["/Resources"].get("/XObject", {}).values():
            assert xobject.get_object()["/Subtype"] != "/Image"


@pytest.mark.parametrize("product", PRODUCTS)
def test_only_the_project_fonts_are_embedded_subset(default_pdfs, product):
    reader = pypdf.PdfReader(io.BytesIO(default_pdfs[product]))
    families = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            prefix, _, _ = font["/BaseFont"].lstrip("/").partition("+")
            assert len(prefix) == 6 and prefix.isupper()  # subset tag
            for descendant in font["/DescendantFonts"]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                data = descriptor["/FontFile2"].get_object().get_data()
                assert len(data) < 200_000  # the full files are ~0.7 MB each
                families.add(TTFont(io.BytesIO(data))["name"].getDebugName(1))
    assert families <= {"NanumSquare", "NanumSquare Bold"}
    assert families


def test_typed_html_prints_as_text(renderer, keep_on_failure):
    script = "<script>alert(1)</script>"
    image = '<img src="http://example.com/x.png">'

    def edit(doc):
        doc["pocket"]["howto"]["note"] = script
        doc["pocket"]["lead"] = image

    content = content_with(edit)
    pdf = renderer.render(content, "pocket").pdf
    keep_on_failure("pocket", pdf)
    front, back = read_pages(pdf)
    assert "※ " + script in front.lines
    assert image in " ".join(back.lines)
    assert renderer.fetcher.refused == []


@pytest.mark.parametrize("product, page, edit", [
    ("poster-a4", 1, lambda doc: doc["poster-a4"].__setitem__("headline", "가나다 " * 100)),
    ("pocket", 2, lambda doc: doc.__setitem__("fees", [
        {"document": f"아주 긴 이름의 증명서 제{n}호 발급", "counter": 1000, "kiosk": 1000,
         "online": 0} for n in range(8)])),
    ("pocket", 1, lambda doc: doc["pocket"]["howto"].__setitem__("steps", ["가" * 40] * 2)),
])
def test_content_that_does_not_fit_fails_naming_product_and_page(renderer, product, page, edit):
    content = content_with(edit)
    with pytest.raises(ContentOverflowError) as raised:
        renderer.render(content, product)
    assert raised.value.product == product
    assert raised.value.page == page
    assert f"'{PRODUCTS[product].title}' {page}쪽" in str(raised.value)  # as staff name it


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_png_proofs_read_back_pixel_for_pixel_with_their_dpi(mode):
    from PIL import Image, ImageChops

    from leaflets.render import png_bytes

    image = Image.new("RGB", (37, 23), (255, 255, 255))
    for x in range(37):
        image.putpixel((x, x % 23), (x * 7 % 256, 200 - x, 90))
    image = image.convert(mode)
    with Image.open(io.BytesIO(png_bytes(image, 150))) as back:
        back.load()
        assert back.format == "PNG" and back.size == image.size
        assert round(back.info["dpi"][0]) == 150
        expected = image if mode != "L" else image.convert("RGB")
        assert back.mode == expected.mode
        assert ImageChops.difference(back, expected).getbbox() is None


@pytest.mark.parametrize("name", ["poster-a4", "pocket"])
@pytest.mark.parametrize("mode", ["screen", "print"])
def test_the_reused_stylesheet_lays_out_as_the_page_own_style(renderer, default_content,
                                                              name, mode):
    """Stylesheets are parsed once and passed to WeasyPrint apart from the page: the
    result must be the page WeasyPrint makes from the <style> inside it."""
    import weasyprint
    from PIL import ImageChops

    from leaflets.products import PRODUCTS
    from leaflets.project import ROOT
    from leaflets.render import rasterize

    html = renderer.html(default_content, PRODUCTS[name], mode)
    inline = weasyprint.HTML(string=html, base_url=f"{ROOT}/", url_fetcher=renderer.fetcher
                             ).render(font_config=renderer.fonts).write_pdf()
    reused = renderer._layout(html).write_pdf()
    for a, b in zip(rasterize(inline, 100), rasterize(reused, 100), strict=True):
        assert ImageChops.difference(a, b).getbbox() is None, (name, mode)
