"""Imposed press sheets are PDF/X-4 files of their own that a vendor's preflight accepts."""

from __future__ import annotations

from leaflets.cli import main


def test_imposed_sheets_pass_the_sheet_preflight(tmp_path, capsys):
    out = tmp_path / "판"
    assert main(["impose", "--out", str(out)]) == 0
    sheets = sorted(out.glob("imposed/*.pdf"))
    assert len(sheets) == 2, sheets  # one file a run: the pocket leaflet and the poster
    capsys.readouterr()
    assert main(["preflight", "--sheet", *map(str, sheets)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.count("→ 합격") == 2
    # The same files checked as single pages lack the 3 mm bleed a page must have.
    assert main(["preflight", *map(str, sheets)]) == 1
