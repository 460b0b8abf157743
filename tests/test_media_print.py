"""The print media of issue 18: the 소식지·반상회보 block and the 배너기, made from the
same content file, print-ready and preflighted; ``build --media-only`` and ``check``."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pypdf
import pypdfium2
import pytest
import tomlkit
import zxingcpp

from leaflets.errors import DataError
from leaflets.media.printed import print_media_files
from leaflets.preflight import format_report, preflight
from leaflets.production import MediaSettings, load_production
from leaflets.project import DEFAULT_PRODUCTION, ROOT
from tests.conftest import content_with, edited, read_pages

MM_PER_PT = 25.4 / 72
URL = "http://www.minwon.go.kr"


def dearer(doc):
    doc["fees"][0]["counter"] = 1700  # 주민등록 등초본 at the counter: 400원 -> 1,700원


@pytest.fixture(scope="module")
def printed(renderer):
    """{name: (Artifact, pdf)} of the print media for content with one fee changed."""
    files = print_media_files(content_with(dearer), MediaSettings(), renderer)
    return {artifact.product: (artifact, pdf) for _, (artifact, pdf) in files}


def trim_box(pdf: bytes):
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    return [float(v) for v in page.trimbox], [float(v) for v in page.mediabox]


@pytest.mark.parametrize("name, trim_mm", [("newsletter", (105, 148.5)),
                                           ("xbanner", (600, 1800))])
def test_both_show_the_changed_fee_at_their_trim_and_pass_preflight(printed, name, trim_mm,
                                                                    keep_on_failure):
    artifact, pdf = printed[name]
    keep_on_failure(name, pdf)
    text = read_pages(pdf)[0].text
    assert "1,700원" in text and "주민등록 등초본" in text
    assert "가족관계증명서" in text and URL in text
    assert artifact.path == f"media/print/{name}.pdf" and artifact.preflight == "passed"
    trim, _ = trim_box(pdf)
    assert (round((trim[2] - trim[0]) * MM_PER_PT, 1),
            round((trim[3] - trim[1]) * MM_PER_PT, 1)) == trim_mm
    # The vendor's own run of the preflight on the file as written, with the product's
    # limits (print_media_files refuses a failing file; this reads the bytes again).
    limits = {"newsletter": {}, "xbanner": {"min_ppi": 100, "min_text_pt": 60}}[name]
    report = preflight(pdf, name, bleed_mm=artifact.bleed_mm, url=URL, **limits)
    assert report.passed, format_report(report)


def test_xbanner_type_is_60_pt_or_more_on_the_trim(printed):
    _, pdf = printed["xbanner"]
    trim, media = trim_box(pdf)
    page = read_pages(pdf)[0]
    left, top = trim[0] * MM_PER_PT, (media[3] - trim[3]) * MM_PER_PT
    on_trim = [c for c in page.chars
               if left <= c.box_mm[0] and c.box_mm[2] <= left + 600
               and top <= c.box_mm[1] and c.box_mm[3] <= top + 1800]
    assert len(on_trim) > 200  # the whole content, not just a title
    assert min(c.size_pt for c in on_trim) >= 59.9, sorted({round(c.size_pt) for c in on_trim})
    slug = [c for c in page.chars if c not in on_trim]
    assert slug and max(c.size_pt for c in slug) < 12  # the slug, outside the bleed


def test_xbanner_qr_is_60_mm_or_more_and_decodes(printed):
    _, pdf = printed["xbanner"]
    document = pypdfium2.PdfDocument(pdf)
    dpi = 30
    image = document[0].render(scale=dpi / 72).to_pil().convert("L")
    document.close()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in codes] == [URL]
    corners = codes[0].position
    width_mm = (corners.top_right.x - corners.top_left.x) / dpi * 25.4  # modules, no quiet zone
    assert width_mm >= 60


def test_preflight_holds_the_banner_to_its_own_smallest_type(printed):
    """A banner's 60 pt rule is the preflight's, not only the template's: the
    newsletter block (8 pt type) fails it."""
    artifact, pdf = printed["newsletter"]
    report = preflight(pdf, "newsletter", bleed_mm=artifact.bleed_mm, url=URL, min_text_pt=60)
    assert report.failed_checks() == ["small_text"]
    assert "이 제품은 60pt 이상" in report.failures("small_text")[0].detail


def run(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "leaflets", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_media_only_writes_media_and_keeps_the_rest(tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    poster = b"%PDF-1.6 a previous build's poster\n"
    (out / "poster-a4.pdf").write_bytes(poster)
    previous = {"generator": "leaflets", "data_sha256": "0" * 64, "artifacts": [
        {"product": "poster-a4", "kind": "proof-pdf", "path": "poster-a4.pdf"},
        {"product": "media", "kind": "sms", "path": "media/old.txt"}]}
    (out / "manifest.json").write_text(json.dumps(previous), encoding="utf-8")
    data = tmp_path / "minwon24.toml"
    data.write_text(edited(dearer), encoding="utf-8")
    result = run(tmp_path, "build", "--media-only", "--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "poster-a4.pdf").read_bytes() == poster
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files - {"poster-a4.pdf", "manifest.json"} == {
        "media/sms.txt", "media/lms.txt", "media/minwon24.eml", "media/banner-300x250.png",
        "media/banner-1200x630.png", "media/banner-alt.txt", "media/newsletter.txt",
        "media/newsletter.html", "media/print/newsletter.pdf", "media/print/xbanner.pdf"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    paths = [entry["path"] for entry in manifest["artifacts"]]
    assert "poster-a4.pdf" in paths and "media/old.txt" not in paths
    assert set(paths) == files - {"manifest.json"}
    assert "1,700원" in read_pages((out / "media/print/xbanner.pdf").read_bytes())[0].text


def test_check_exits_2_on_an_sms_over_90_bytes_and_writes_nothing(tmp_path):
    def longer(doc):
        doc["service"]["publisher"] = "서울특별시 성동구청 민원여권과 민원24 홍보팀"

    data = tmp_path / "minwon24.toml"
    data.write_text(edited(longer), encoding="utf-8")
    result = run(tmp_path, "check", "--data", str(data))
    assert result.returncode == 2, result.stderr
    assert "문자(SMS)" in result.stderr and "바이트로 90바이트를" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minwon24.toml"]


@pytest.mark.parametrize("value", [[600], [600, 5000], ["600", 1800], [100, 1800]])
def test_a_bad_xbanner_size_names_the_field(tmp_path, value):
    doc = tomlkit.parse(DEFAULT_PRODUCTION.read_text(encoding="utf-8"))
    doc["media"]["xbanner_mm"] = value
    path = tmp_path / "production.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_production(path)
    assert "media.xbanner_mm" in str(error.value)
    assert load_production(DEFAULT_PRODUCTION).media.xbanner_mm == (600, 1800)
