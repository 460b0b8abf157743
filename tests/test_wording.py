"""The pieces say what the plan says: 붙임 2-가 on the poster, 붙임 2-나 on the pocket
leaflet, word for word, with the plan's bold; and the 구 edition reads as finished
(no empty band, badges on one line, no type under the product's minimum)."""

from __future__ import annotations

import ctypes
import io
import re

import pypdfium2
import pypdfium2.raw as pdfium
import pytest

from leaflets.cli import main
from leaflets.products import PRODUCTS
from leaflets.render import rasterize
from tests.conftest import content_with, read_pages

# Copied by hand from the plan (붙임 2-가, 붙임 2-나), not from the output. The bracket
# ornaments 【 】 《 》 and the ○ bullet are left out: the design draws them (bands,
# headings). The plan's ▶ between steps is the design's arrow; each step is a piece.
PLAN = {
    ("poster-a4", 1): (  # 붙임 2-가
        "언제 어디서나 이용 가능한 민원24는 편리하고 비용이 저렴합니다",
        "주민등록 등초본, 가족관계증명서, 건축물대장 등이 필요하실 때 원하시는 곳에서 "
        "언제든지 무료(또는 저렴)하게 발급 받으세요",
        "발급 수수료 비교",
        "구 분 민원창구 무인발급기 민원24(인터넷)",
        "주민등록 등초본 400원 200원 무 료",
        "가족관계증명서 1,000원 500원 무 료",
        "건축물대장 500원 500원 무 료",
        "자동차등록원부 300원 300원 무 료",
        "토지(임야)대장 500원 500원 300원",
        "민원24 이용 방법",
        "인터넷에서 『민원24』를 친후",
        "회원가입",
        "공인인증서로 신분확인",
        "민원 신청후 프린터로 출력",
        "※ 공인인증서 - 가까운 은행이나 우체국에서 발급 받으세요",
    ),
    ("pocket", 1): (  # 붙임 2-나 (앞면)
        "민원24 이용 방법 어렵지 않아요 !",
        "인터넷에서 『민원24』를 친후",
        "회원가입",
        "공인인증서 신분확인",
        "민원 신청 및 민원서류 출력",
        "※ 공인인증서 - 가까운 은행이나 우체국에서 발급 받으세요",
    ),
    ("pocket", 2): (  # 붙임 2-나 (뒷면)
        "언제 어디서나 이용 가능한 민원24는 편리하고 경제적입니다",
        "주민등록 등초본, 가족관계증명서, 건축물대장 등이 필요하실 때 원하시는 곳에서 "
        "언제든지 무료(또는 저렴)하게 발급 받으세요",
        "발급 수수료 비교",
        "구 분 민원창구 무인발급기 민원24(인터넷)",
        "주민등록 등초본 400원 200원 무 료",
        "가족관계증명서 1,000원 500원 무 료",
        "건축물대장 500원 500원 무 료",
        "자동차등록원부 300원 300원 무 료",
        "토지(임야)대장 500원 500원 300원",
    ),
}
# 붙임 2-나 sets these in bold on the front (every occurrence) ...
PLAN_BOLD = ("민원24", "회원가입", "공인인증서", "은행", "우체국")
# ... and these not: the test must tell bold from regular.
PLAN_REGULAR = ("신분확인", "민원 신청 및 민원서류 출력", "가까운", "발급 받으세요")
MAX_BLANK_BAND_MM = 15
BLANK_LEVEL = 245  # a row of pixels this light or lighter (0-255 grey) is paper


def _flat(text: str) -> str:
    """Whitespace and line breaks as single spaces."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize(("name", "page"), list(PLAN))
def test_each_piece_prints_the_plans_wording(default_pdfs, name, page):
    text = _flat(read_pages(default_pdfs[name])[page - 1].text)
    for piece in PLAN[name, page]:
        assert piece in text, (name, page, piece, text)
    assert "**" not in text


def test_the_leaflet_front_does_not_print_the_posters_steps(default_pdfs):
    front = _flat(read_pages(default_pdfs["pocket"])[0].text)
    for step in ("공인인증서로 신분확인", "민원 신청후 프린터로 출력"):
        assert step not in front


def _weighted_chars(pdf: bytes, page_index: int) -> tuple[str, list[bool]]:
    """The page's characters in order (whitespace dropped) and whether each is set in a
    bold font: weight >= 600, or a font name saying Bold."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    textpage = document[page_index].get_textpage()
    text, bold = [], []
    buffer = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    for index in range(textpage.count_chars()):
        char = chr(pdfium.FPDFText_GetUnicode(textpage.raw, index))
        if not char.strip():
            continue
        weight = pdfium.FPDFText_GetFontWeight(textpage.raw, index)
        length = pdfium.FPDFText_GetFontInfo(textpage.raw, index, buffer, len(buffer),
                                             ctypes.byref(flags))
        font = buffer.raw[:max(length - 1, 0)].decode("latin-1")
        text.append(char)
        bold.append(weight >= 600 or "Bold" in font)
    document.close()
    return "".join(text), bold


def _occurrences(text: str, word: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(word), text)]


def test_the_plans_bold_is_set_in_a_bold_font_on_the_leaflet_front(default_pdfs):
    text, bold = _weighted_chars(default_pdfs["pocket"], 0)
    for word in PLAN_BOLD:
        starts = _occurrences(text, word)
        assert starts, word
        for start in starts:
            assert all(bold[start:start + len(word)]), (word, start)
    for phrase in PLAN_REGULAR:
        word = phrase.replace(" ", "")
        starts = _occurrences(text, word)
        assert starts, phrase
        for start in starts:
            assert not any(bold[start:start + len(word)]), (phrase, start)


def test_typed_markup_in_a_text_field_prints_as_text(renderer, keep_on_failure):
    def edit(doc):
        doc["pocket"]["howto"]["note"] = "<script>alert(1)</script> 안내 **<b>x</b>**"

    pdf = renderer.render(content_with(edit), "pocket").pdf
    keep_on_failure("pocket", pdf)
    text = _flat(read_pages(pdf)[0].text)
    assert "<script>alert(1)</script> 안내 <b>x</b>" in text, text
    assert "**" not in text
    chars, bold = _weighted_chars(pdf, 0)
    (start,) = _occurrences(chars, "<b>x</b>")
    assert all(bold[start:start + len("<b>x</b>")])  # the ** pair, and only it, is markup
    (start,) = _occurrences(chars, "<script>")
    assert not any(bold[start:start + len("<script>")])


@pytest.mark.parametrize(("field", "where"), [
    ("pocket.howto.note", lambda doc: doc["pocket"]["howto"]),
    ("poster-a4.lead", lambda doc: doc["poster-a4"]),
])
def test_an_unpaired_bold_marker_is_an_error_naming_the_field(data_file, capsys, field,
                                                              where):
    key = field.rsplit(".", 1)[1]
    path = data_file(lambda doc: where(doc).__setitem__(key, "**공인인증서 - 은행에서"))
    assert main(["check", "--data", str(path)]) == 2  # the exit code of wrong input
    err = capsys.readouterr().err
    assert field in err and "**" in err, err


def _largest_blank_band_mm(image, dpi: int) -> float:
    """The tallest run of pixel rows that are all near-white, in mm."""
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()
    longest = run = 0
    for y in range(height):
        if all(pixels[x, y] >= BLANK_LEVEL for x in range(width)):
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest * 25.4 / dpi


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_the_districts_edition_has_no_blank_band_over_15_mm(default_pdfs, name):
    # The screen PDF's page is the trim (no bleed), so the whole raster is inside it.
    for number, image in enumerate(rasterize(default_pdfs[name], 100), start=1):
        band = _largest_blank_band_mm(image, 100)
        assert band <= MAX_BLANK_BAND_MM, (name, number, round(band, 1))


def test_the_blank_band_measure_sees_a_blank_band():
    from PIL import Image

    image = Image.new("RGB", (100, 300), "white")
    image.paste((20, 40, 90), (0, 0, 100, 100))
    image.paste((20, 40, 90), (0, 200, 100, 300))
    image.putpixel((50, 150), (0, 0, 0))  # one dark pixel splits the white rows
    assert _largest_blank_band_mm(image, 100) == pytest.approx(50 * 25.4 / 100)


def test_poster_step_badges_sit_on_one_line(default_pdfs, default_content):
    page = read_pages(default_pdfs["poster-a4"])[0]
    text = "".join(char.text for char in page.chars)
    assert len(text) == len(page.chars)
    centres = []
    for number, step in enumerate(default_content.poster.howto.steps, start=1):
        # The badge's digit comes just before its step's first word.
        first = re.sub(r"\*\*|\s", "", step)[:4]
        (at,) = _occurrences(text, f"{number}{first}")
        box = page.chars[at].box_mm
        centres.append((box[1] + box[3]) / 2)
    assert max(centres) - min(centres) <= 0.5, centres


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_no_type_under_the_products_minimum(default_pdfs, name):
    minimum = PRODUCTS[name].min_text_pt
    for number, page in enumerate(read_pages(default_pdfs[name]), start=1):
        smallest = min(char.size_pt for char in page.chars)
        assert smallest >= minimum - 0.01, (name, number, smallest, minimum)
