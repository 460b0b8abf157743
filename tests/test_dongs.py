"""동 editions: the 17 동, their block, and whatever a 동 might type or upload."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import weasyprint
from PIL import Image, ImageChops

from leaflets.build import build
from leaflets.cli import main
from leaflets.dongs import Dong, load_dongs
from leaflets.preflight import preflight
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, ROOT
from leaflets.render import PX_PER_MM, _find_class
from tests.conftest import read_pages

SEONGDONG = ["왕십리도선동", "왕십리제2동", "마장동", "사근동", "행당제1동", "행당제2동", "응봉동",
             "금호1가동", "금호2·3가동", "금호4가동", "옥수동", "성수1가제1동", "성수1가제2동",
             "성수2가제1동", "성수2가제3동", "송정동", "용답동"]


def test_dongs_file_lists_the_17_dong_and_invents_nothing():
    dongs = load_dongs(DEFAULT_DONGS)
    assert [dong.name for dong in dongs.dongs] == SEONGDONG
    for dong in dongs.dongs:  # no address, phone or hours made up
        assert (dong.address, dong.phone, dong.desk, dong.hours, dong.contact, dong.message,
                dong.image) == ("", "", "", "", "", "", None)


@pytest.fixture(scope="module")
def all_dongs(tmp_path_factory):
    out = tmp_path_factory.mktemp("all") / "dist"
    result = build(DEFAULT_DATA, out, all_dongs=True, jobs=2)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, result, manifest


def test_all_dongs_builds_17_complete_editions(all_dongs):
    out, _, manifest = all_dongs
    by_dong = {}
    for entry in manifest["artifacts"]:
        if "dong" in entry:
            by_dong.setdefault(entry["dong"], []).append(entry)
            assert entry["path"].startswith(f"dongs/{entry['dong']}/")
            assert (out / entry["path"]).is_file()
    assert sorted(by_dong) == sorted(SEONGDONG)
    for entries in by_dong.values():
        kinds = sorted((e["product"], e["kind"]) for e in entries)
        assert kinds == sorted([
            ("poster-a4", "proof-pdf"), ("poster-a4", "proof-png"), ("poster-a4", "print"),
            ("poster-a4", "office"), ("pocket", "proof-pdf"), ("pocket", "proof-png"),
            ("pocket", "proof-png"), ("pocket", "print"), ("pocket", "office"),
            # the media that name the 동 (issue 18): 문자, e-메일, 소식지 texts and block
            ("media", "sms"), ("media", "lms"), ("media", "email"), ("media", "newsletter"),
            ("media", "newsletter"), ("newsletter", "print-media")])
        assert all(e["preflight"] == "passed" for e in entries if e["kind"] == "print")
    # The build checks 동 files by parts and writes "passed"; a sample of them must also
    # pass when checked whole by the command a vendor would run (all 34 would take long).
    chosen = ("왕십리도선동", "금호2·3가동", "용답동")
    sample = [str(out / e["path"]) for e in manifest["artifacts"]
              if e["kind"] == "print" and e.get("dong") in chosen]
    assert len(sample) == 6
    assert main(["preflight", *sample]) == 0


def _slot_rect_px(renderer, content, name, dpi):
    """The reserved 동 slot of ``name`` in pixels of a PNG proof at ``dpi``."""
    product = PRODUCTS[name]
    html = renderer.html(content, product, "screen")
    document = weasyprint.HTML(string=html, base_url=f"{ROOT}/",
                               url_fetcher=renderer.fetcher).render(font_config=renderer.fonts)
    (slot,) = _find_class(document.pages[product.dong_page - 1]._page_box, "dong-slot")
    scale = dpi / 25.4 / PX_PER_MM
    return (slot.content_box_x() * scale, slot.content_box_y() * scale,
            (slot.content_box_x() + slot.width) * scale,
            (slot.content_box_y() + slot.height) * scale)


@pytest.mark.parametrize("name, expected_mm", [
    # Worked out by hand from the templates' CSS, not from a layout: the pocket's slot is
    # absolute, 7 mm from each side of the 105 mm trim and 12.5 mm above the bottom of
    # the 148 mm trim, 19.5 mm high -> x 7..98, y 116..135.5. The poster's sits in the
    # flow (its top depends on the text above), 16 mm from each side of 210 mm, 35 mm high.
    ("pocket", (7, 116, 98, 135.5, 19.5)),
    ("poster-a4", (16, None, 194, None, 35)),
])
def test_the_slot_the_comparison_uses_is_where_the_template_puts_it(
        renderer, default_content, name, expected_mm):
    """Guards ``_slot_rect_px`` (read from the layout) with independent figures."""
    px = 150 / 25.4
    left, top, right, bottom = _slot_rect_px(renderer, default_content, name, 150)
    assert left == pytest.approx(expected_mm[0] * px, abs=1)
    assert right == pytest.approx(expected_mm[2] * px, abs=1)
    assert bottom - top == pytest.approx(expected_mm[4] * px, abs=1)
    if expected_mm[1] is not None:
        assert top == pytest.approx(expected_mm[1] * px, abs=1)
        assert bottom == pytest.approx(expected_mm[3] * px, abs=1)


@pytest.mark.parametrize("name, page", [("poster-a4", 1), ("pocket", 1), ("pocket", 2)])
def test_common_part_is_identical_to_the_gu_edition(all_dongs, renderer, default_content,
                                                    name, page):
    out, _, _ = all_dongs
    with Image.open(out / f"{name}-p{page}.png") as gu:
        gu = gu.convert("RGB")
    slot = _slot_rect_px(renderer, default_content, name, 150)
    for dong in SEONGDONG:
        with Image.open(out / "dongs" / dong / f"{name}-p{page}.png") as edition:
            difference = ImageChops.difference(gu, edition.convert("RGB")).getbbox()
        if page != PRODUCTS[name].dong_page:
            assert difference is None, (dong, name, page)
            continue
        assert difference is not None, f"{dong}: no 동 block on {name}"
        left, top, right, bottom = difference
        # getbbox's right and bottom are exclusive; one pixel of anti-aliasing either way
        assert (left >= slot[0] - 1 and top >= slot[1] - 1 and right <= slot[2] + 2
                and bottom <= slot[3] + 2), (dong, difference, slot)


def test_each_edition_names_its_own_dong_in_its_block_and_no_other(all_dongs):
    out, _, _ = all_dongs
    for dong in SEONGDONG:
        texts = []
        for pdf in sorted((out / "dongs" / dong).rglob("*.pdf")):
            texts.extend(page.text for page in read_pages(pdf.read_bytes()))
        text = "\n".join(texts)
        assert f"{dong} 주민센터" in text
        for other in SEONGDONG:
            if other != dong:
                assert other not in text, f"{other} leaked into {dong}"


def _dongs_file(tmp_path, body, name="dongs.toml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _png(path, size, colour=(30, 90, 200), mode="RGB"):
    Image.new(mode, size, colour).save(path, "PNG")
    return path


def test_typed_html_prints_as_text_and_fetches_nothing(renderer, default_content, tmp_path):
    hostile = '<script>alert(1)</script> <img src="file:///etc/passwd">'
    dong = Dong(name="옥수동", message=hostile)
    for mode in ("screen", "print"):
        result = renderer.render(default_content, "pocket", mode, dong)
        assert renderer.fetcher.refused == []
        back = read_pages(result.pdf)[1].text.replace("\n", " ")
        assert "<script>alert(1)</script>" in back and 'src="file:///etc/passwd">' in back
        page = pypdf.PdfReader(io.BytesIO(result.pdf)).pages[1]
        assert "/XObject" not in page["/Resources"] or not any(
            x.get_object().get("/Subtype") == "/Image"
            for x in page["/Resources"]["/XObject"].values())


def test_missing_optional_fields_close_up(renderer, default_content):
    bare = read_pages(renderer.render(default_content, "pocket", "screen",
                                      Dong(name="송정동")).pdf)[1].text
    assert "송정동 주민센터" in bare
    for label in ("전화", "담당", "·  ·"):
        assert label not in bare
    full = Dong(name="송정동", desk="1층 민원실", hours="평일 09:00~18:00", contact="주무관 김민원",
                address="성동구 (예시 주소)", phone="02-0000-0000", message="가입을 도와 드립니다")
    text = read_pages(renderer.render(default_content, "pocket", "screen", full).pdf)[1].text
    for words in ("1층 민원실 · 평일 09:00~18:00 · 담당 주무관 김민원",
                  "성동구 (예시 주소) · 전화 02-0000-0000", "가입을 도와 드립니다"):
        assert words in text.replace("\n", " ")


BAD_FIELDS = [
    ("too-long", 'message = "' + "가" * 51 + '"', "dongs[1] (옥수동).message", "50자 이하"),
    ("three-lines", 'message = "가\\n나\\n다"', "dongs[1] (옥수동).message", "두 줄"),
    ("missing-glyph", 'message = "안녕 😀"', "dongs[1] (옥수동).message", "😀"),
    ("bad-phone", 'phone = "<b>02</b>"', "dongs[1] (옥수동).phone", "<b>02</b>"),
    ("control-char", 'centre = "옥수\\u0007동"', "dongs[1] (옥수동).centre", "제어 문자"),
    ("not-a-dong", 'name = "<script>"', "dongs[1].name", "<script>"),
    ("misspelt-dong", 'name = "행당1동"', "dongs[1].name", "혹시 '행당제1동'을(를) 말씀하셨나요?"),
    ("unknown-dong", 'name = "서울동"', "dongs[1].name", "성동구의 행정동이 아닙니다"),
    ("unknown-field", 'logo_url = "http://x"', "dongs[1] (옥수동).logo_url", "알 수 없는"),
    ("url-image", 'image = "http://example.com/logo.png"', "image", "URL"),
    ("file-url-image", 'image = "file:///etc/passwd"', "image", "URL"),
    ("absolute-image", 'image = "/etc/passwd"', "image", "절대 경로"),
    ("dotdot-image", 'image = "../secret.png"', "image", ".."),
    ("missing-image", 'image = "images/없음.png"', "image", "없습니다"),
]


@pytest.mark.parametrize("line, field, words", [c[1:] for c in BAD_FIELDS],
                         ids=[c[0] for c in BAD_FIELDS])
def test_bad_dong_input_is_exit_2_and_writes_nothing(tmp_path, capsys, line, field, words):
    body = '[[dongs]]\nname = "옥수동"\n' + line + "\n" if not line.startswith("name") \
        else "[[dongs]]\n" + line + "\n"
    dongs = _dongs_file(tmp_path, body)
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--dongs", str(dongs), "--all-dongs"]) == 2
    err = capsys.readouterr().err
    assert str(dongs) in err and field in err and words in err, err
    assert not out.exists()


def test_a_dong_outside_the_17_is_allowed_only_when_listed(tmp_path, capsys):
    dongs = _dongs_file(tmp_path, 'extra_names = ["새싹동"]\n[[dongs]]\nname = "새싹동"\n')
    assert main(["check", "--dongs", str(dongs)]) == 0
    assert "동 1곳" in capsys.readouterr().out


def _image_case(tmp_path, kind):
    folder = tmp_path / "images"
    folder.mkdir()
    if kind == "fake-png":
        (folder / "logo.png").write_text("<svg onload=alert(1)>", encoding="utf-8")
    elif kind == "gif":
        Image.new("RGB", (400, 400)).save(folder / "logo.png", "GIF")
    elif kind == "bomb":
        Image.new("1", (8000, 8000)).save(folder / "logo.png", "PNG")  # 64 Mpx, a few KB
    elif kind == "huge-file":
        (folder / "logo.png").write_bytes(os.urandom(6 * 1024 * 1024))
    elif kind == "truncated":
        _png(folder / "full.png", (600, 600))
        data = (folder / "full.png").read_bytes()
        (folder / "logo.png").write_bytes(data[: len(data) // 2])
    return _dongs_file(tmp_path, '[[dongs]]\nname = "옥수동"\nimage = "images/logo.png"\n')


@pytest.mark.parametrize("kind, words", [
    ("fake-png", "읽을 수 없습니다"),
    ("gif", "실제 형식: GIF"),
    ("bomb", "너무 큽니다"),
    ("huge-file", "너무 큽니다"),
    ("truncated", "읽을 수 없습니다"),
])
def test_bad_images_are_refused_by_content_not_name(tmp_path, capsys, kind, words):
    dongs = _image_case(tmp_path, kind)
    assert main(["check", "--dongs", str(dongs)]) == 2
    err = capsys.readouterr().err
    assert "옥수동" in err and "image" in err and words in err, err


def test_an_image_symlinked_out_of_the_folder_is_refused(tmp_path, capsys):
    inside = tmp_path / "dongs"
    inside.mkdir()
    _png(tmp_path / "outside.png", (400, 400))
    (inside / "logo.png").symlink_to(tmp_path / "outside.png")
    dongs = _dongs_file(inside, '[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n')
    assert main(["check", "--dongs", str(dongs)]) == 2
    assert "폴더 밖" in capsys.readouterr().err


def test_a_good_image_is_cmyk_in_print_and_passes_preflight(renderer, default_content, tmp_path):
    _png(tmp_path / "logo.png", (400, 400), (200, 40, 40))
    dongs = load_dongs(_dongs_file(tmp_path, '[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n'))
    dong = dongs.get("옥수동")
    printed = renderer.render(default_content, "poster-a4", "print", dong)
    report = preflight(printed.pdf, "poster", url=default_content.service.url)
    assert report.passed, report
    page = pypdf.PdfReader(io.BytesIO(printed.pdf)).pages[0]
    images = [x.get_object() for x in page["/Resources"]["/XObject"].values()
              if x.get_object().get("/Subtype") == "/Image"]
    assert [image["/ColorSpace"] for image in images] == ["/DeviceCMYK"]
    screen = renderer.render(default_content, "poster-a4", "screen", dong)
    assert screen.warnings == ()
    document = pypdfium2.PdfDocument(screen.pdf)
    assert any(obj.type == 3 for obj in document[0].get_objects())  # an image object
    document.close()


def test_a_coarse_image_warns_on_proofs_and_stops_print(renderer, default_content, tmp_path,
                                                       capsys):
    _png(tmp_path / "logo.png", (120, 120))
    path = _dongs_file(tmp_path, '[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n')
    dong = load_dongs(path).get("옥수동")
    screen = renderer.render(default_content, "poster-a4", "screen", dong)
    assert len(screen.warnings) == 1 and "옥수동" in screen.warnings[0]
    assert "109 ppi" in screen.warnings[0]  # 120 px over 28 mm
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--dongs", str(path), "--dong", "옥수동"]) == 2
    err = capsys.readouterr().err
    assert "옥수동" in err and "ppi" in err and "300" in err
    assert not out.exists()


def test_a_block_that_does_not_fit_names_the_dong(tmp_path, capsys):
    body = ('[[dongs]]\nname = "성수2가제3동"\ndesk = "' + "창" * 25 + '"\nhours = "' + "시" * 25
            + '"\ncontact = "' + "담" * 15 + '"\naddress = "' + "주" * 40 + '"\nmessage = "'
            + "말" * 24 + "\\n" + "말" * 24 + '"\n')
    dongs = _dongs_file(tmp_path, body)
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--dongs", str(dongs), "--all-dongs"]) == 2
    err = capsys.readouterr().err
    assert "성수2가제3동" in err and "동 안내" in err
    assert not out.exists()


def test_unknown_memory_urls_are_refused(renderer):
    from leaflets.fetcher import RefusedURL

    with pytest.raises(RefusedURL):
        renderer.fetcher.fetch("leaflets-image:not-served.png")


def test_progress_is_plain_lines_when_piped(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--dong", "옥수동", "--dong", "송정동",
                 "--jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "동 홍보물 1/2: 옥수동 완료" in captured.err
    assert "동 홍보물 2/2: 송정동 완료" in captured.err
    assert "\r" not in captured.err
    assert sorted(p.name for p in (out / "dongs").iterdir()) == ["송정동", "옥수동"]


def test_the_gu_build_has_no_dong_folder(built_default):
    assert not (Path(built_default) / "dongs").exists()


@pytest.fixture(scope="module")
def built_default(tmp_path_factory):
    out = tmp_path_factory.mktemp("gu") / "dist"
    build(DEFAULT_DATA, out)
    return out


def test_all_dongs_names_every_dong_to_fix_in_one_run(tmp_path, capsys):
    body = ('[[dongs]]\nname = "행당1동"\n\n[[dongs]]\nname = "옥수동"\nmessage = "'
            + "가" * 51 + '"\n\n[[dongs]]\nname = "송정동"\nphone = "없음"\n')
    dongs = _dongs_file(tmp_path, body)
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--dongs", str(dongs), "--all-dongs"]) == 2
    err = capsys.readouterr().err
    assert "오류 3건" in err and "행당제1동" in err and "옥수동" in err and "송정동" in err, err
    assert not out.exists()


def test_a_plain_build_keeps_the_dong_editions_with_the_new_content(tmp_path, capsys):
    """A 동 edition made yesterday is made again, with today's fees, by a plain build;
    ``--clean`` removes it."""
    import shutil

    data = tmp_path / "minwon24.toml"
    shutil.copy(DEFAULT_DATA, data)
    out = tmp_path / "dist"
    args = ["--data", str(data), "--out", str(out), "--no-cache"]
    assert main(["build", *args, "--dong", "옥수동"]) == 0
    data.write_text(data.read_text(encoding="utf-8").replace("counter = 1000", "counter = 1200",
                                                              1), encoding="utf-8")
    assert main(["build", *args]) == 0
    assert "이미 있던 동 홍보물 1곳" in capsys.readouterr().out
    pdf = (out / "dongs" / "옥수동" / "print" / "poster-a4.pdf").read_bytes()
    assert "1,200원" in read_pages(pdf)[0].text
    assert main(["build", *args, "--clean"]) == 0
    assert not (out / "dongs").exists()
