"""Imposed press sheets and office sheets are PDF/X-4 files of their own that a
vendor's preflight accepts."""

from __future__ import annotations

import io
import json
import re

import pypdf
import pytest
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
)

from leaflets.cli import main
from leaflets.preflight import format_report, preflight


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """``leaflets impose --out``: the press and office sheets of both runs, and the manifest."""
    out = tmp_path_factory.mktemp("sheets") / "판"
    assert main(["impose", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(("folder", "count"), [("imposed", 2), ("office", 2)])
def test_sheets_pass_the_sheet_preflight(sheets, capsys, folder, count):
    files = sorted(sheets.glob(f"{folder}/*.pdf"))
    assert len(files) == count, files  # one file a run: the pocket leaflet and the poster
    capsys.readouterr()
    assert main(["preflight", "--sheet", *map(str, files)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.count("→ 합격") == count
    # The same files checked as single pages lack the 3 mm bleed a page must have.
    assert main(["preflight", *map(str, files)]) == 1


def test_manifest_says_office_sheets_are_print_clean(sheets):
    """Each office sheet: 2 mm of the page's own bleed round every copy, said in Korean
    for the staff and as a number for a program; press sheets carry the page's 3 mm."""
    entries = json.loads((sheets / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    office = {e["product"]: e for e in entries if e["kind"] == "office"}
    assert set(office) == {"pocket", "poster-a4"}
    for entry in office.values():
        assert entry["cell_bleed_mm"] == 2
        assert entry["note"].startswith("인쇄용: 칸마다 도련 2 mm"), entry["note"]
    assert "4부 · 축소 86.7%" in office["pocket"]["note"]
    assert "1부 · 축소 88.6%" in office["poster-a4"]["note"]
    imposed = [e for e in entries if e["kind"] == "imposed"]
    assert imposed and all(e["cell_bleed_mm"] == 3 for e in imposed)


URL = "http://www.minwon.go.kr"
HAIRLINE = b"0 0 0 1 K 0.05 w 150 20 m 280 20 l S"


def _small_four_colour_text(page):
    font = next(iter(page["/Resources"]["/Font"])).encode()
    return b"BT 0.5 0.5 0.5 0.5 k %s 8 Tf 1 0 0 1 200 20 Tm <0494> Tj ET" % font


@pytest.fixture(scope="module")
def pocket(renderer, default_content):
    """The project's own pocket print file, which passes its preflight."""
    return renderer.render(default_content, "pocket", "print").pdf


def _rip_sheet(pdf, scale=1.0, extra=None):
    """``pdf`` as a vendor's RIP or imposition writes it: each page's content and
    resources moved into a Form XObject, drawn at ``scale`` on a sheet whose TrimBox =
    BleedBox = MediaBox. ``extra(page)`` is content appended inside the form, in the
    page's default user space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header
    for index, page in enumerate(writer.pages):
        left, bottom, right, top = (float(v) for v in page.mediabox)
        added = b"" if extra is None else extra(page)
        form = DecodedStreamObject()
        form.set_data(b"q\n" + page.get_contents().get_data() + b"\nQ\n" + added)
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (left, bottom, right, top)),
            NameObject("/Resources"): page["/Resources"],
        })
        name = f"/RIP{index}"
        content = DecodedStreamObject()
        content.set_data(f"q {scale} 0 0 {scale} {-left * scale} {-bottom * scale} cm "
                         f"{name} Do Q".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject(
            {NameObject(name): writer._add_object(form)})})
        sheet = ArrayObject(FloatObject(v) for v in (0, 0, (right - left) * scale,
                                                      (top - bottom) * scale))
        for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
            page[NameObject(box)] = sheet
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _sheet_report(pdf, name):
    """What ``leaflets preflight --sheet`` reports: the sheet is its own trim."""
    return preflight(pdf, name, bleed_mm=0.0, url=URL, sheet=True)


def test_an_outside_sheet_of_placed_pages_passes(pocket, keep_on_failure):
    """A sheet that places the pocket's pages as Form XObjects, the way most RIPs
    and impositions write them, passes when the pages do."""
    pdf = _rip_sheet(pocket)
    keep_on_failure("rip-sheet", pdf)
    report = _sheet_report(pdf, "rip-sheet")
    assert report.passed, format_report(report)


@pytest.mark.parametrize(("extra", "check", "reason"), [
    (lambda page: HAIRLINE, "hairlines", "선 두께 0.05pt (최소 0.25pt)"),
    (_small_four_colour_text, "small_text", "8.0pt 글자가 잉크 4가지"),
], ids=["hairline-0.05pt-in-form", "four-colour-8pt-text-in-form"])
def test_a_defect_inside_a_placed_page_fails_the_sheet(pocket, tmp_path, capsys,
                                                       keep_on_failure, extra, check, reason):
    pdf = _rip_sheet(pocket, extra=extra)
    keep_on_failure(check, pdf)
    report = _sheet_report(pdf, "rip-sheet")
    assert report.failed_checks() == [check], format_report(report)
    assert any(reason in f.detail and "Form /RIP0" in f.where
               for f in report.failures(check)), format_report(report)
    path = tmp_path / "rip-sheet.pdf"
    path.write_bytes(pdf)
    capsys.readouterr()
    assert main(["preflight", "--sheet", str(path), "--qr", URL]) == 1
    assert reason in capsys.readouterr().out


def test_an_outside_sheet_is_judged_at_the_size_it_prints(pocket):
    """Placed at 86.7 % on a sheet that is not this program's office sheet, the
    pocket's 0.28 pt rules print at 0.246 pt and its 12.5 pt orange type at 10.8 pt:
    too thin and too small for plates."""
    report = _sheet_report(_rip_sheet(pocket, scale=0.867), "scaled")
    assert report.failed_checks() == ["hairlines", "small_text"], format_report(report)
    assert any(re.search(r"선 두께 0\.24\dpt \(최소 0\.25pt\)", f.detail)
               for f in report.failures("hairlines")), format_report(report)
    assert any("10.8pt 글자가 잉크 2가지" in f.detail for f in report.failures("small_text"))


def _office_sheet_edit(pdf, change):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header
    for page in writer.pages:
        change(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_the_office_sheet_is_held_to_office_printer_limits(sheets):
    """The office sheet's copies are examined at the size they print (a 0.05 pt line at
    86.7 % is 0.043 pt), against the office printer's limits its pages declare;
    nothing in them is skipped."""
    pdf = (sheets / "office" / "pocket-A4.pdf").read_bytes()
    assert _sheet_report(pdf, "office").passed

    def undeclared(page):
        del page["/PieceInfo"]

    report = _sheet_report(_office_sheet_edit(pdf, undeclared), "undeclared")
    assert report.failed_checks() == ["hairlines", "small_text"], format_report(report)

    def hairline_in_form(page):
        form = page["/Resources"]["/XObject"]["/LeafletsPage0"]
        form.set_data(b"q\n" + form.get_data() + b"\nQ\n" + HAIRLINE)

    report = _sheet_report(_office_sheet_edit(pdf, hairline_in_form), "hairline")
    assert report.failed_checks() == ["hairlines"], format_report(report)
    assert any("선 두께 0.043pt (최소 사무용 프린터 기준 0.21pt)" in f.detail
               for f in report.failures("hairlines")), format_report(report)
