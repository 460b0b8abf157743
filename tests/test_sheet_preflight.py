"""Imposed press sheets and office sheets are PDF/X-4 files of their own that a
vendor's preflight accepts."""

from __future__ import annotations

import json

import pytest

from leaflets.cli import main


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
