"""dist/media/: 문자, e-메일, 홈페이지 배너 and 소식지 from the same content file."""

from __future__ import annotations

import email
import email.policy
import html.parser
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from leaflets.errors import DataError
from leaflets.media import media_files
from leaflets.media.banner import _font, plan_banner
from leaflets.media.plan import LMS_BYTES, SMS_BYTES, plan_facts
from leaflets.media.sms import write_lms, write_sms
from leaflets.production import MediaSettings, load_production
from leaflets.project import DEFAULT_PRODUCTION, ROOT
from tests.conftest import content_with, edited

SETTINGS = MediaSettings()


def files_of(content, settings=SETTINGS) -> dict[str, bytes]:
    return {path.split("/", 1)[1]: data for path, (_, data) in media_files(content, settings)}


def cp949(data: bytes) -> int:
    return len(data.decode("utf-8").encode("cp949"))


def with_publisher(content, publisher):
    return replace(content, service=replace(content.service, publisher=publisher))


def parsed_mail(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def decode_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_sms_and_lms_fit_their_byte_limits_and_carry_the_fees(default_content):
    files = files_of(default_content)
    assert cp949(files["sms.txt"]) <= SMS_BYTES
    lms = files["lms.txt"].decode()
    assert cp949(files["lms.txt"]) <= LMS_BYTES
    for fee in default_content.fees:
        assert fee.document in lms
        assert f"{fee.counter:,}원" in lms
    for step in default_content.poster.howto.steps:
        assert step.replace("**", "") in lms
    sms = files["sms.txt"].decode()
    # The address as phones link it (no "http://"), the free fee as text writes it.
    assert "**" not in lms and sms.endswith(" www.minwon.go.kr") and "://" not in sms
    assert "무료(창구" in sms and "무 료" not in sms


@pytest.mark.parametrize("extra, fits", [(0, True), (1, False)])
def test_sms_at_the_edge_90_and_91_bytes(default_content, extra, fits):
    facts = plan_facts(default_content)
    size = len(write_sms(facts, "minwon24.toml").encode("cp949"))
    # ASCII letters are one byte each: pad the publisher to exactly 90 (+ extra) bytes
    padded = with_publisher(default_content,
                            default_content.service.publisher + "x" * (SMS_BYTES - size + extra))
    if fits:
        assert len(write_sms(plan_facts(padded), "minwon24.toml").encode("cp949")) == SMS_BYTES
    else:
        with pytest.raises(DataError, match="91바이트로 90바이트를 1바이트 넘습니다"):
            write_sms(plan_facts(padded), "minwon24.toml")


@pytest.mark.parametrize("extra, fits", [(0, True), (1, False)])
def test_lms_at_the_edge_2000_and_2001_bytes(default_content, extra, fits):
    size = len(write_lms(plan_facts(default_content), "minwon24.toml").encode("cp949"))
    howto = default_content.poster.howto
    padded = replace(default_content, poster=replace(default_content.poster, howto=replace(
        howto, note=howto.note + "x" * (LMS_BYTES - size + extra))))
    if fits:
        assert len(write_lms(plan_facts(padded), "minwon24.toml").encode("cp949")) == LMS_BYTES
    else:
        with pytest.raises(DataError, match="2,001바이트로 2,000바이트를") as error:
            write_lms(plan_facts(padded), "minwon24.toml")
        assert "howto.note" in str(error.value)  # the longest field is named to shorten


def run_build(tmp_path, data_text: str, *extra):
    data = tmp_path / "minwon24.toml"
    data.write_text(data_text, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "leaflets", "build", "--data", str(data),
                           "--out", str(tmp_path / "dist"), *extra],
                          capture_output=True, text=True, cwd=ROOT)


def test_a_long_sms_stops_the_build_naming_bytes_and_what_to_shorten(tmp_path):
    def longer(doc):
        doc["service"]["publisher"] = "서울특별시 성동구청 민원여권과 민원24 홍보팀"

    result = run_build(tmp_path, edited(longer))
    assert result.returncode == 2, result.stderr
    assert "문자(SMS)" in result.stderr and "바이트로 90바이트를" in result.stderr
    assert "service.publisher" in result.stderr
    assert not (tmp_path / "dist").exists()


def test_a_character_outside_cp949_is_refused_by_name(tmp_path):
    def dash(doc):  # the fonts have an en dash; CP949 does not
        doc["service"]["publisher"] = "성동구청 – 민원여권과"

    result = run_build(tmp_path, edited(dash))
    assert result.returncode == 2, result.stderr
    assert "'–'" in result.stderr and "EN DASH" in result.stderr
    assert not (tmp_path / "dist").exists()


class _HtmlFacts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.widths = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        for key in ("src", "href", "background"):
            if key in attrs:
                self.links.append(attrs[key])
        if tag == "table" and "width" in attrs:
            self.widths.append(attrs["width"])


def test_email_parts_inline_qr_and_html_for_mail_clients(default_content):
    message = parsed_mail(files_of(default_content)["minwon24.eml"])
    assert message.get_content_type() == "multipart/alternative"
    assert "민원24" in message["Subject"] and b"=?utf-8?" in bytes(message)
    plain = message.get_body(("plain",))
    page = message.get_body(("html",))
    assert plain.get_content_charset() == page.get_content_charset() == "utf-8"
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert decode_qr(images[0].get_content()) == [default_content.service.url]
    facts = _HtmlFacts()
    facts.feed(page.get_content())
    tags = [tag for tag, _ in facts.tags]
    assert "script" not in tags and "style" not in tags and "link" not in tags
    assert f"cid:{cid}" in facts.links
    external = {link for link in facts.links if link.startswith(("http:", "https:", "//"))}
    assert external == {default_content.service.url}
    assert "600" in facts.widths
    styled = [attrs for tag, attrs in facts.tags if tag in ("td", "th", "table", "img")]
    assert styled and all("style" in attrs for attrs in styled if "role" not in attrs
                          or attrs.get("width") == "600")


def test_email_html_has_no_horizontal_scroll_at_600_px_in_chromium(default_content, browser,
                                                                   tmp_path):
    page = parsed_mail(files_of(default_content)["minwon24.eml"]).get_body(("html",))
    path = tmp_path / "mail.html"
    path.write_text(page.get_content(), encoding="utf-8")
    browser.set_window_size(600, 900)
    browser.get(path.as_uri())
    inner, scroll = browser.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]")
    assert inner <= 600 and scroll <= inner


@pytest.mark.parametrize("size, scannable", [((300, 250), False), ((1200, 630), True),
                                             ((728, 90), False), ((160, 600), False),
                                             ((600, 400), True)])
def test_banners_exact_size_text_at_least_14_px_and_qr_where_scannable(default_content, size,
                                                                       scannable):
    png = files_of(default_content, MediaSettings(banner_sizes=(size,)))[
        f"banner-{size[0]}x{size[1]}.png"]
    image = Image.open(io.BytesIO(png))
    assert image.size == size
    plan = plan_banner(plan_facts(default_content), size)
    assert min(line.size_px for line in plan.lines) >= 14
    assert {"title", "fee"} <= {line.role for line in plan.lines}
    rgb = image.convert("RGB")
    for line in plan.lines:  # every planned line is drawn, inside the banner
        right = line.x + _font(line.bold, line.size_px).getlength(line.text)
        assert right <= size[0] and line.y + line.size_px <= size[1]
        box = rgb.crop((line.x, line.y, int(right), line.y + line.size_px * 13 // 10))
        assert line.colour in {colour for _, colour in box.getcolors(1 << 16)}
    if scannable:
        assert plan.qr is not None and plan.qr[2] >= 150
        assert decode_qr(png) == [default_content.service.url]
    else:  # a QR too small to read from a screen is left out
        assert plan.qr is None and decode_qr(png) == []


def test_the_homepage_slot_is_a_setting_in_production_toml(tmp_path):
    text = DEFAULT_PRODUCTION.read_text(encoding="utf-8").replace(
        "# homepage_slot = [가로, 세로]", "homepage_slot = [250, 300]")
    path = tmp_path / "production.toml"
    path.write_text(text, encoding="utf-8")
    assert load_production(path).media.homepage_slot == (250, 300)
    path.write_text(text.replace("[250, 300]", "[250, 30]"), encoding="utf-8")
    with pytest.raises(DataError, match="media.homepage_slot"):
        load_production(path)


def test_newsletter_article_has_title_lead_table_steps_and_address(default_content):
    files = files_of(default_content)
    for name in ("newsletter.txt", "newsletter.html"):
        text = files[name].decode()
        assert "민원24는 편리하고 비용이 저렴합니다" in text
        assert default_content.poster.lead in text
        assert all(fee.document in text for fee in default_content.fees)
        assert default_content.poster.howto.steps[1].replace("**", "") in text
        assert default_content.service.url in text
    assert files["newsletter.html"].count(b"<tr>") == len(default_content.fees) + 1


def test_data_that_looks_like_template_code_is_printed_as_typed(default_content):
    files = files_of(with_publisher(default_content, "{{ 7*7 }}<b>"))
    assert "{{ 7*7 }}" in files["lms.txt"].decode()
    assert "&lt;b&gt;" in files["newsletter.html"].decode()
    assert "<b>" not in files["newsletter.html"].decode()


def test_a_fee_change_reaches_every_medium():
    def dearer(doc):
        doc["fees"][1]["counter"] = 1700

    old, new = (files_of(content) for content in (content_with(lambda doc: None),
                                                  content_with(dearer)))
    for name in ("sms.txt", "lms.txt", "banner-alt.txt", "newsletter.txt", "newsletter.html"):
        assert "1,700원" in new[name].decode() and "1,700원" not in old[name].decode(), name
    message = parsed_mail(new["minwon24.eml"])
    for kind in ("plain", "html"):
        assert "1,700원" in message.get_body((kind,)).get_content()
    for size in SETTINGS.banner_sizes:
        name = f"banner-{size[0]}x{size[1]}.png"
        plan = plan_banner(plan_facts(content_with(dearer)), size)
        assert any("1,700원" in line.text for line in plan.lines if line.role == "fee")
        assert new[name] != old[name]


def test_build_writes_dist_media_with_manifest_kinds(tmp_path):
    result = run_build(tmp_path, edited(lambda doc: None))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "dist" / "manifest.json").read_text(encoding="utf-8"))
    media = {entry["path"]: entry["kind"] for entry in manifest["artifacts"]
             if entry["path"].startswith("media/")}
    assert set(media.values()) == {"sms", "lms", "email", "banner", "newsletter",
                                   "print-media"}
    for path in media:
        assert Path(tmp_path / "dist" / path).is_file()
