"""The two sheet counts of a run read the same in the budget and on the press sheet:
인쇄 장수 (printed, overs included: the slug's count) and 종이 장수 (bought: make-ready
spoilage added), each explained under the table."""

from __future__ import annotations

import io

import pypdfium2

from leaflets.budget import Pricer
from leaflets.cli import main
from leaflets.content import load_content
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_PRODUCTION


def _row(report: str, label: str) -> str:
    return next(line for line in report.splitlines() if line.startswith(label))


def test_budget_rows_match_the_press_sheet_slug(renderer, capsys, tmp_path):
    assert main(["budget", "--ledger", str(tmp_path / "none.sqlite")]) == 0
    report = capsys.readouterr().out
    content = load_content(DEFAULT_DATA)
    production = load_production(DEFAULT_PRODUCTION)
    check = Pricer(production, content).check()
    printed, paper = _row(report, "인쇄 장수"), _row(report, "종이 장수")
    makeready = production.prices.makeready_sheets
    for cost in check.runs:
        sheets = cost.plan.sheets
        pdf = renderer.render_sheet(cost.plan, PRODUCTS[cost.run.product].title, content.sha256)
        slug = pypdfium2.PdfDocument(io.BytesIO(pdf))[0].get_textpage().get_text_range()
        assert f"{sheets:,}장(여분 포함)" in slug, slug
        assert f"{sheets:,}장(여분 포함)" in printed
        if cost.press_sheets is not None:  # priced from the sheet (not a quote table)
            assert cost.press_sheets > sheets
            assert f"{cost.press_sheets:,}장 ({cost.reams}연)" in paper
            line = next(line for line in report.splitlines()
                        if line.startswith(f"· {cost.run.product}:"))
            assert f"인쇄 {sheets:,}장" in line and f"종이 {cost.press_sheets:,}장" in line
    note = next(line for line in report.splitlines() if line.startswith("※ 인쇄 장수"))
    assert "종이 장수 = 인쇄 장수 + 판 맞춤" in note and f"{makeready:,}장" in note
    assert "통수" not in report  # one word per count, no third name for either
