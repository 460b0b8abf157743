"""The preflight catches what a vendor would reject, each for the right reason.

Every broken file is made here from a small print-ready page (K text, a K-only
QR code, CMYK profile, 3 mm bleed) that passes every check; each case breaks
exactly one thing and must fail exactly the matching check.
"""

from __future__ import annotations

import io

import pypdf
import pytest
import weasyprint
from PIL import Image
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, NumberObject

from leaflets.cli import main
from leaflets.fetcher import ProjectFetcher
from leaflets.preflight import CHECKS, PreflightError, format_report, preflight
from leaflets.printready import finisher
from leaflets.project import FONTS, ROOT
from leaflets.qr import make_qr

URL = "http://www.minwon.go.kr"
BASE_CSS = """
@font-face { font-family: S; src: url(fonts/NanumSquareR.ttf) }
@page { size: 105mm 148mm; margin: 0; bleed: 3mm }
body { margin: 0; font-family: S; color: device-cmyk(0 0 0 1); font-size: 10pt }
.at { position: absolute }
"""


@pytest.fixture
def corpus(renderer, tmp_path):
    """make(html=..., css=..., url=..., profile=True, bleed_mm=3) -> print PDF bytes."""
    fetcher = ProjectFetcher([FONTS, tmp_path])

    def make(html="", css="", url=URL, profile=True, bleed_mm=3.0):
        qr = make_qr(url, 30, "device-cmyk(0 0 0 1)")
        page = (f"<html lang='ko'><style>{BASE_CSS}{css}"
                f"</style><body><p class='at' style='left: 10mm; top: 10mm'>민원24 안내</p>"
                f"<div class='at' style='left: 10mm; top: 90mm'>{qr.svg}</div>{html}"
                f"</body></html>")
        document = weasyprint.HTML(string=page, base_url=f"{ROOT}/", url_fetcher=fetcher)
        return document.render(font_config=renderer.fonts).write_pdf(
            pdf_variant="pdf/x-4", finisher=finisher(bleed_mm, output_intent=profile))

    return make


def _edit(pdf, change):
    """Apply ``change(writer)`` to a copy of ``pdf``."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header  # keep PDF 1.6: PDF/X-4 requires it
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _without_font_files(writer):
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object()["/DescendantFonts"]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                del descriptor[NameObject("/FontFile2")]


def _without_trimbox(writer):
    for page in writer.pages:
        del page[NameObject("/TrimBox")]


def _rgb_inside_a_form(writer):
    """Draw an RGB square through a Form XObject: the check must look inside forms."""
    form = DecodedStreamObject()
    form.set_data(b"1 0 0 rg 0 0 20 20 re f")
    form.update({NameObject("/Type"): NameObject("/XObject"),
                 NameObject("/Subtype"): NameObject("/Form"),
                 NameObject("/BBox"): ArrayObject([NumberObject(0)] * 2 + [NumberObject(20)] * 2)})
    page = writer.pages[0]
    resources = page["/Resources"]
    xobjects = resources.setdefault(NameObject("/XObject"), pypdf.generic.DictionaryObject())
    xobjects[NameObject("/Broken")] = writer._add_object(form)
    extra = DecodedStreamObject()
    extra.set_data(b"q 1 0 0 1 100 200 cm /Broken Do Q")
    contents = page.raw_get("/Contents")  # keep the reference: streams must stay indirect
    items = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) \
        else [contents]
    page[NameObject("/Contents")] = ArrayObject(items + [writer._add_object(extra)])


def _image(tmp_path, name, mode, colour, pixels):
    path = tmp_path / name
    Image.new(mode, (pixels, pixels), colour).save(path, dpi=(72, 72))
    return name


CASES = {
    # id: (html, css, make() keywords, pypdf edit, expected check, words in the reason)
    "rgb-text": ("<p class='at' style='left: 10mm; top: 30mm; font-size: 14pt; "
                 "color: rgb(200 30 30)'>빨간 글자</p>", "", {}, None, "rgb", "RGB"),
    "rgb-in-form-xobject": ("", "", {}, _rgb_inside_a_form, "rgb", "Form /Broken"),
    "unembedded-font": ("", "", {}, _without_font_files, "fonts", "포함되지 않았습니다"),
    "no-trimbox": ("", "", {}, _without_trimbox, "boxes", "TrimBox"),
    "bleed-too-narrow": ("", "", {"bleed_mm": 1.0}, None, "boxes", "도련이 3 mm보다 좁습니다"),
    "no-output-intent": ("", "", {"profile": False}, None, "pdfx", "출력 인텐트"),
    # 390 %: a 100/100/100/100 object would be the registration colour's business
    "390-percent-patch": ("<div class='at' style='left: 40mm; top: 30mm; width: 15mm; "
                          "height: 15mm; background: device-cmyk(1 1 1 0.9)'></div>", "", {},
                          None, "tac", "잉크 총량 390%"),
    "unreadable-qr": ("<div class='at' style='left: 15mm; top: 95mm; width: 20mm; "
                      "height: 20mm; background: device-cmyk(0 0 0 0)'></div>", "", {}, None,
                      "qr", "QR코드"),
    "wrong-qr": ("", "", {"url": "http://example.com/"}, None, "qr", "≠"),
    "text-in-safe-margin": ("<p class='at' style='left: 1mm; top: 40mm'>가장자리</p>", "", {},
                            None, "safe_margin", "3 mm 안쪽 여백"),
    "small-rich-black-text": ("<p class='at' style='left: 10mm; top: 40mm; font-size: 9pt; "
                              "color: device-cmyk(0.6 0.4 0.4 1)'>작은 글자</p>", "", {}, None,
                              "small_text", "9.0pt 글자가 잉크 4가지"),
    "large-rich-black-text": ("<p class='at' style='left: 10mm; top: 40mm; font-size: 20pt; "
                              "color: device-cmyk(0.6 0.4 0.4 1)'>큰 글자</p>", "", {}, None,
                              "small_text", "리치 블랙"),
    "small-two-ink-text": ("<p class='at' style='left: 10mm; top: 40mm; font-size: 8pt; "
                           "color: device-cmyk(0.88 0.35 0 0)'>파란 글자</p>", "", {}, None,
                           "small_text", "잉크 2가지"),
}


def test_the_clean_page_passes(corpus):
    report = preflight(corpus(), "clean", url=URL)
    assert report.passed, format_report(report)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_defect_fails_its_own_check(corpus, case, keep_on_failure):
    html, css, options, edit, expected, reason = CASES[case]
    pdf = corpus(html, css, **options)
    if edit is not None:
        pdf = _edit(pdf, edit)
    keep_on_failure(case, pdf)
    report = preflight(pdf, case, url=URL)
    assert report.failed_checks() == [expected], format_report(report)
    assert any(reason in f"{f.where} {f.detail}" for f in report.failures(expected)), \
        format_report(report)


@pytest.mark.parametrize("name, mode, colour, check, reason", [
    ("low.jpg", "CMYK", (0, 0, 0, 128), "images", "72 ppi"),
    ("rgb.png", "RGB", (200, 30, 30), "rgb", "RGB"),
])
def test_image_defects(corpus, tmp_path, name, mode, colour, check, reason):
    pixels = 57 if check == "images" else 600  # 20 mm wide: 72 ppi, or 762 ppi
    _image(tmp_path, name, mode, colour, pixels)
    html = f"<img class='at' style='left: 60mm; top: 30mm; width: 20mm' src='{tmp_path / name}'>"
    report = preflight(corpus(html), name, url=URL)
    assert report.failed_checks() == [check], format_report(report)
    assert any(reason in f.detail or reason in f.where for f in report.failures(check))


def test_a_high_resolution_cmyk_image_passes(corpus, tmp_path):
    _image(tmp_path, "good.jpg", "CMYK", (0, 0, 0, 128), 300)  # 20 mm: 381 ppi
    html = f"<img class='at' style='left: 60mm; top: 30mm; width: 20mm' src='{tmp_path}/good.jpg'>"
    assert preflight(corpus(html), "good", url=URL).passed


def test_cli_preflight_table_and_exit_codes(corpus, tmp_path, capsys):
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(corpus())
    bad.write_bytes(corpus(url="http://example.com/"))
    assert main(["preflight", str(good)]) == 0
    out = capsys.readouterr().out
    assert all(label in out for label in CHECKS.values())
    assert "합격" in out
    assert main(["preflight", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "불합격: QR코드 판독 · 주소 일치" in out and "실패" in out


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.6\n%%EOF"])
def test_unreadable_files_are_input_errors(tmp_path, capsys, content):
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(PreflightError):
        preflight(content, "broken.pdf")
    assert main(["preflight", str(path)]) == 2
    assert "broken.pdf" in capsys.readouterr().err


def test_an_operator_split_across_content_streams_is_still_read():
    """A page's content may be an array of streams split anywhere between tokens."""
    from leaflets.pdfscan import scan

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(100, 100)
    parts = []
    for data in (b"q 1 0 0 1 10", b" 10 cm 0 0.5 1 rg 0 0 10 10 re f Q"):
        stream = DecodedStreamObject()
        stream.set_data(data)
        parts.append(writer._add_object(stream))
    page[NameObject("/Contents")] = ArrayObject(parts)
    buffer = io.BytesIO()
    writer.write(buffer)
    found = scan(pypdf.PdfReader(io.BytesIO(buffer.getvalue())))
    assert [use.values for use in found.colours if use.what == "rg"] == [(0.0, 0.5, 1.0)]


def test_a_banner_image_is_measured_against_its_own_ppi(corpus, tmp_path):
    """150 ppi at the printed size: too coarse in the hand (300 ppi), sharp on a
    배너기 read from metres away (100 ppi at 1:1); 72 ppi fails both."""
    for name, pixels, default_ok in (("mid.jpg", 118, False), ("low.jpg", 57, False)):
        _image(tmp_path, name, "CMYK", (0, 0, 0, 128), pixels)  # 20 mm wide
        html = (f"<img class='at' style='left: 60mm; top: 30mm; width: 20mm' "
                f"src='{tmp_path / name}'>")
        pdf = corpus(html)
        assert preflight(pdf, name, url=URL).passed is default_ok
        banner = preflight(pdf, name, url=URL, min_ppi=100)
        assert banner.passed is (name == "mid.jpg"), format_report(banner)
        if not banner.passed:
            assert "이 제품은 100 ppi 이상" in banner.failures("images")[0].detail
