"""Korean line breaking: lines break only at spaces (어절), never inside a word."""

from __future__ import annotations

import tomllib

import pytest
import weasyprint
from fontTools.ttLib import TTFont
from markupsafe import escape

from leaflets.korean import FONT_FILES, keep_words, mapped_codepoints
from leaflets.products import PRODUCTS
from leaflets.project import FONTS
from tests.conftest import content_with, edited, read_pages

LEAD = ("주민등록 등초본, 가족관계증명서, 건축물대장 등이 필요하실 때 원하시는 곳에서 "
        "언제든지 무료(또는 저렴)하게 발급 받으세요")
# Marks and numbers the templates add around the data.
TEMPLATE_TOKENS = {"※", "▶", "▼", "·", "1", "2", "3", "4", "5", "6"}


def _stress(doc):
    """Long texts in a narrow pocket so that nearly every paragraph wraps."""
    doc["pocket"]["trim_mm"] = [90, 200]
    doc["pocket"]["lead"] = LEAD + " " + LEAD
    doc["poster-a4"]["lead"] = LEAD
    # The leaflet's own steps (the poster keeps the plan's, its page has no room to spare)
    doc["pocket"]["howto"]["steps"] = ["인터넷 주소창에서 『민원24』를 찾아 들어간 후",
                                       "회원가입(무료, 본인확인 필요)", "공인인증서로 신분확인",
                                       "민원 신청후 프린터로 출력"]
    doc["qr"]["caption"] = "휴대폰 카메라로 QR코드를 찍으면 민원24(인터넷)로 바로 연결됩니다"


def _vocabulary(text: str) -> set[str]:
    words = set(TEMPLATE_TOKENS)
    doc = tomllib.loads(text)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            words.update(node.split())
        elif isinstance(node, int):
            words.add(f"{node:,}원")
    return words


@pytest.mark.parametrize("product", PRODUCTS)
def test_no_line_breaks_inside_a_word(renderer, keep_on_failure, product):
    text = edited(_stress)
    vocabulary = _vocabulary(text)
    pdf = renderer.render(content_with(_stress), product).pdf
    keep_on_failure(product, pdf)
    lines = [line for page in read_pages(pdf) for line in page.lines]
    assert len(lines) > 15
    broken = [(line, word) for line in lines for word in line.split() if word not in vocabulary]
    assert broken == []
    # The stress texts really wrapped: several lead lines, each ending on a whole word.
    lead_lines = [line for line in lines if line.split()[0] in LEAD.split()]
    assert len(lead_lines) >= 2
    assert any("무료(또는" in line.split() for line in lines)


def test_without_word_spans_weasyprint_breaks_inside_words(renderer):
    """The control: plain text wraps between syllables, which the test above would catch."""
    html = (f'<p style="width: 40mm; font-family: \'Leaflets Sans\'">{escape(LEAD)}</p>'
            '<style>@font-face { font-family: "Leaflets Sans"; src: url(fonts/NanumSquareR.ttf) }'
            '</style>')
    pdf = weasyprint.HTML(string=html, base_url=str(renderer.fetcher.roots[0].parent) + "/",
                          url_fetcher=renderer.fetcher).write_pdf(font_config=renderer.fonts)
    words = set(LEAD.split())
    lines = read_pages(pdf)[0].lines
    assert any(word not in words for line in lines for word in line.split())


@pytest.mark.parametrize("text, html", [
    ("민원 신청", '<span class="w">민원</span> <span class="w">신청</span>'),
    ("  두  칸   띄움 ", '<span class="w">두</span> <span class="w">칸</span> '
                       '<span class="w">띄움</span>'),
    ("줄\n바꿈", '<span class="w">줄</span><br><span class="w">바꿈</span>'),
    ("<b>굵게</b>", '<span class="w">&lt;b&gt;굵게&lt;/b&gt;</span>'),
    ("민원24는", '<span class="w"><span class="mark">민원24</span>는</span>'),
])
def test_keep_words_markup(text, html):
    assert str(keep_words(text, mark="민원24" if "민원24" in text else None)) == html


@pytest.mark.parametrize("name", FONT_FILES)
def test_coverage_read_from_the_cmap_matches_fonttools(name):
    font = TTFont(FONTS / name)
    expected = {c for c, glyph in font.getBestCmap().items() if glyph != ".notdef"}
    assert mapped_codepoints(TTFont(FONTS / name, lazy=True).reader["cmap"]) == expected
    assert ord("가") in expected and ord("힣") in expected
