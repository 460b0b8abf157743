"""The 결재 attachment: outlined proofs and the one-PDF report of ``leaflets diff``."""

from __future__ import annotations

import pytest
from PIL import ImageChops

from leaflets.diff import DIFF_DPI, OUTLINE, page_diffs
from leaflets.render import rasterize
from tests.conftest import content_with, set_at


@pytest.fixture(scope="module")
def fee_change(renderer, default_content):
    """The default content and one with 주민등록 등초본's counter fee 400 → 500원."""
    new = content_with(set_at(["fees", 0, "counter"], 500))
    return default_content, new, page_diffs(default_content, new, renderer)


def _red(image):
    """A mask of the pixels painted in the outline colour."""
    return ImageChops.difference(image, _solid(image, OUTLINE)).convert("L").point(
        lambda v: 255 if v < 24 else 0)


def _solid(image, colour):
    from PIL import Image

    return Image.new("RGB", image.size, colour)


def test_the_outline_goes_around_the_changed_figure_not_over_it(fee_change, renderer):
    old, new, diffs = fee_change
    assert [(d.product, d.page) for d in diffs] == [("poster-a4", 1), ("pocket", 2)]
    for diff in diffs:
        before = list(rasterize(renderer.render(old, diff.product).pdf, DIFF_DPI))[diff.page - 1]
        after = list(rasterize(renderer.render(new, diff.product).pdf, DIFF_DPI))[diff.page - 1]
        before, after = before.convert("RGB"), after.convert("RGB")
        changed = ImageChops.difference(before, after).convert("L").point(
            lambda v: 255 if v else 0)
        (region,) = diff.regions
        left, top, right, bottom = changed.getbbox()
        for shown, render in ((diff.after, after), (diff.before, before)):
            # Every pixel that differs between the two renders is shown as rendered.
            touched = ImageChops.difference(shown, render).convert("L").point(
                lambda v: 255 if v else 0)
            assert ImageChops.multiply(touched, changed).getbbox() is None
            # ... and the outline is there, on all four sides, clear of the change.
            red = _red(shown)
            frame = red.getbbox()
            assert frame is not None and red.crop((left, top, right, bottom)).getbbox() is None
            assert frame[0] < left and frame[1] < top and frame[2] > right and frame[3] > bottom
            assert frame[2] - frame[0] < 30 * DIFF_DPI / 25.4  # around a word, not the page
            # The neighbouring "00원" is not crossed either: no red on the render's ink.
            ink = render.convert("L").point(lambda v: 255 if v < 160 else 0)
            assert ImageChops.multiply(red, ink).getbbox() is None
            for side in ((frame[0], top, left, bottom), (left, frame[1], right, top),
                         (right, top, frame[2], bottom), (left, bottom, right, frame[3])):
                assert red.crop(side).getbbox() is not None, side


def _markup_and_fee(doc):
    doc["fees"][0]["counter"] = 500
    doc["desk"]["title"] = "<i>전용창구</i> & 안내"


def test_the_report_holds_the_changes_both_proofs_and_the_budget(tmp_path, data_file, capsys):
    import pypdfium2
    import pypdfium2.raw as pdfium

    from leaflets.budget import Pricer, report_notes, report_rows
    from leaflets.cli import main
    from leaflets.content import load_content
    from leaflets.production import load_production
    from leaflets.project import DEFAULT_DATA, DEFAULT_PRODUCTION
    from tests.conftest import read_pages

    new = data_file(_markup_and_fee)
    report = tmp_path / "결재자료.pdf"
    report.write_bytes(b"an older report")
    assert main(["diff", str(DEFAULT_DATA), str(new), "--report", str(report),
                 "--ledger", str(tmp_path / "orders.sqlite")]) == 1
    assert "결재 자료 PDF를 만들었습니다" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["minwon24.toml", "결재자료.pdf"]
    pdf = report.read_bytes()
    pages = read_pages(pdf)
    text = "\n".join(page.text for page in pages)
    lines = [line for page in pages for line in page.lines]
    # The change table: field in plain Korean, before, after; data shown as typed.
    assert any("수수료 · 주민등록 등초본 · 민원창구" in line and "400원" in line
               and "500원" in line for line in lines)
    assert any("전용창구 제목" in line and "<i>전용창구</i> & 안내" in line for line in lines)
    # Both proofs of every changed page, painted, with the change outlined around.
    for title in ("A4 포스터 (붙임 2-가) 1쪽", "포켓용 리플릿 (붙임 2-나) 2쪽"):
        assert title in text
    document = pypdfium2.PdfDocument(pdf)
    images = [obj.get_bitmap().to_pil().convert("RGB") for page in document
              for obj in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE])]
    assert len(images) == 4  # before and after of 2 pages
    for before, after in zip(images[::2], images[1::2], strict=True):
        assert before.size == after.size and before.size[0] > 400
        assert ImageChops.difference(before, after).getbbox() is not None
        for image in (before, after):
            assert _red(image).getbbox() is not None  # the outline
            assert image.convert("L").getextrema()[0] < 60  # ink, not a blank picture
    shown = list(rasterize(pdf, 150))
    assert sum(_red(page.convert("RGB")).getbbox() is not None for page in shown) >= 2
    # The budget in the words and 천원 figures of `leaflets budget`.
    check = Pricer(load_production(DEFAULT_PRODUCTION), load_content(new)).check()
    flat = text.replace("\n", " ")
    for label, values, total in report_rows(check):
        assert label in flat
        for value in [*values, total]:
            assert value in flat, (label, value)
    for line in report_notes(check, []):
        assert line.strip().lstrip("·- ") in flat.replace("  ", " ")


@pytest.mark.parametrize(("where", "problem"), [
    ("없는폴더/결재.pdf", "폴더"),
    ("결재.txt", ".pdf"),
    ("폴더.pdf", "폴더입니다"),
])
def test_a_bad_report_path_is_exit_2_and_writes_nothing(tmp_path, data_file, capsys,
                                                        where, problem):
    from leaflets.cli import main
    from leaflets.project import DEFAULT_DATA

    new = data_file(_markup_and_fee)
    (tmp_path / "폴더.pdf").mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    target = tmp_path / where
    assert main(["diff", str(DEFAULT_DATA), str(new), "--report", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and problem in err and "아무 파일도 바꾸지 않았습니다" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not (tmp_path.parent / "diff").exists() and not __import__("pathlib").Path(
        "diff").exists()


def test_diff_help_explains_the_report_in_korean(capsys):
    from leaflets.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["diff", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "--report" in out and "결재에 붙일 A4 PDF" in out and "인쇄 예산" in out
