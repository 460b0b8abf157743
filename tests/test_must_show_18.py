"""Issue 18: one fee changed in the content file reaches every medium that
`leaflets build --media-only` writes, each checked the way its reader meets it
(bytes a phone gateway counts, the e-mail through Python's parser, banner pixels
and their QR code through zxing-cpp, the print media's text); and the e-mail's HTML
at a 600 px wide window in Chromium."""

from __future__ import annotations

import email
import email.policy
import io
import json
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from leaflets.content import load_content
from leaflets.media.banner import BACKGROUND, _font, plan_banner
from leaflets.media.plan import LMS_BYTES, SMS_BYTES, plan_facts
from leaflets.media.printed import print_products
from leaflets.preflight import format_report, preflight
from leaflets.production import MediaSettings
from leaflets.project import ROOT
from tests.conftest import DEFAULT_TEXT, edited, read_pages

FEE = "1,700원"  # 가족관계증명서 at the counter, 1,000원 in the shipped file
URL = "http://www.minwon.go.kr"


def _dearer(doc):
    row = doc["fees"][1]
    assert row["document"] == "가족관계증명서" and row["counter"] == 1000
    row["counter"] = 1700


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """{path under media/: bytes} of `build --media-only` after one fee was changed."""
    assert "1,700" not in DEFAULT_TEXT and "1700" not in DEFAULT_TEXT
    folder = tmp_path_factory.mktemp("fee")
    data = folder / "minwon24.toml"
    data.write_text(edited(_dearer), encoding="utf-8")
    out = folder / "dist"
    result = subprocess.run([sys.executable, "-m", "leaflets", "build", "--media-only",
                             "--data", str(data), "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {entry["path"].removeprefix("media/"): (out / entry["path"]).read_bytes()
             for entry in manifest["artifacts"] if entry["path"].startswith("media/")}
    return files, load_content(data), manifest


def _decode(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def test_one_fee_changed_in_the_content_file_reaches_every_medium(media):
    files, content, _ = media

    # 문자: the bytes a CP949 gateway counts, within 90 and 2,000.
    for name, limit in (("sms.txt", SMS_BYTES), ("lms.txt", LMS_BYTES)):
        text = files[name].decode("utf-8")
        assert FEE in text, name
        assert len(text.encode("cp949")) <= limit, name

    # e-메일: both parts through Python's parser; the inline QR read by zxing-cpp.
    message = email.message_from_bytes(files["minwon24.eml"], policy=email.policy.default)
    for kind in ("plain", "html"):
        assert "가족관계증명서" in message.get_body((kind,)).get_content()
        assert FEE in message.get_body((kind,)).get_content(), kind
    (qr,) = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert _decode(Image.open(io.BytesIO(qr.get_content()))) == [URL]

    # 배너: exact sizes; the fee line's pixels are the new fee drawn, not the old one.
    facts = plan_facts(content)
    for size in ((300, 250), (1200, 630)):
        image = Image.open(io.BytesIO(files[f"banner-{size[0]}x{size[1]}.png"])).convert("RGB")
        assert image.size == size
        fee_lines = [line for line in plan_banner(facts, size).lines if line.role == "fee"]
        assert FEE in " ".join(line.text for line in fee_lines)  # the line may wrap
        for line in fee_lines:
            font = _font(line.bold, line.size_px)
            box = (line.x, line.y, line.x + int(font.getlength(line.text)) + 1,
                   line.y + line.size_px * 13 // 10)

            def drawn(text, font=font, line=line, box=box, size=size):
                canvas = Image.new("RGB", size, BACKGROUND)
                ImageDraw.Draw(canvas).text((line.x, line.y), text, font=font,
                                            fill=line.colour)
                return canvas.crop(box).tobytes()

            assert image.crop(box).tobytes() == drawn(line.text), (size, line.text)
            if FEE in line.text:
                assert image.crop(box).tobytes() != drawn(line.text.replace(FEE, "1,000원"))
        assert _decode(image) == ([URL] if size == (1200, 630) else [])
    assert FEE in files["banner-alt.txt"].decode("utf-8")

    # 소식지: the article's text and HTML, and the print block's PDF text.
    for name in ("newsletter.txt", "newsletter.html"):
        assert FEE in files[name].decode("utf-8"), name
    for name in ("print/newsletter.pdf", "print/xbanner.pdf"):
        text = read_pages(files[name])[0].text
        assert FEE in text and "가족관계증명서" in text, name


def test_the_xbanner_as_written_passes_the_vendors_preflight(media):
    files, _, manifest = media
    (entry,) = [e for e in manifest["artifacts"] if e["path"] == "media/print/xbanner.pdf"]
    assert entry["preflight"] == "passed"
    product = print_products(MediaSettings())["xbanner"]  # its own limits: 60 pt, 100 ppi
    assert product.min_text_pt >= 60
    report = preflight(files["print/xbanner.pdf"], "xbanner", bleed_mm=entry["bleed_mm"],
                       safe_mm=product.safe_mm, url=URL, min_ppi=product.min_image_ppi,
                       min_text_pt=product.min_text_pt)
    assert report.passed, format_report(report)


def test_the_email_html_at_exactly_600_px_has_no_horizontal_scroll(media, browser, tmp_path):
    files, _, _ = media
    message = email.message_from_bytes(files["minwon24.eml"], policy=email.policy.default)
    page = tmp_path / "mail.html"
    page.write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 600, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.get(page.as_uri())
    inner, scroll, body = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth,"
        " document.body.scrollWidth]")
    assert inner == 600
    assert scroll <= 600 and body <= 600
    assert FEE in browser.find_element("tag name", "body").text
