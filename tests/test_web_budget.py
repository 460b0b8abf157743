"""The web budget page in a real browser: the same rows, words and figures as
`leaflets budget`, numbers right-aligned in their columns, a server-made SVG chart
whose bars are to scale, voided orders marked 취소."""

from __future__ import annotations

import datetime

import pytest

from leaflets.budget import Pricer, report_rows, thousand_won
from leaflets.cli import main
from leaflets.content import load_content
from leaflets.ledger import Ledger, OrderLine, RunLine, default_ledger
from leaflets.production import load_production
from tests.test_web import ADMIN, live_site, site, submit, wait  # noqa: F401 (fixtures)


def _login(browser, base, path):
    from selenium.webdriver.common.by import By

    browser.get(base + path)
    browser.find_element(By.NAME, "name").send_keys(ADMIN[0])
    browser.find_element(By.NAME, "password").send_keys(ADMIN[1])
    submit(browser, "button[type=submit]")


def _record(ledger: Ledger, package: str, total: int, on: datetime.date) -> int:
    order = OrderLine(None, on, package, "d" * 64, total - total // 11, total // 11, total,
                      (RunLine("pocket", 1000, "국전지", 32, 40, total),), b"", "b" * 64)
    with ledger.transaction() as book:
        order_id = book.record(order)
        book.commit()
    return order_id


@pytest.fixture
def budget_site(live_site, monkeypatch):  # noqa: F811
    base, folder = live_site
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")  # 2025: the orders' year
    ledger = Ledger(default_ledger(folder / "production.toml"))
    kept = _record(ledger, "20250301-aaaaaaaa", 150_000, datetime.date(2025, 3, 1))
    voided = _record(ledger, "20250302-bbbbbbbb", 90_000, datetime.date(2025, 3, 2))
    ledger.void(voided, "수량 오기", datetime.date(2025, 3, 3))
    return base, folder, kept, voided


def test_budget_page_shows_the_commands_table_chart_and_cancelled_orders(
        budget_site, browser, capsys):
    from selenium.webdriver.common.by import By

    base, folder, kept, voided = budget_site
    production, data = folder / "production.toml", folder / "minwon24.toml"
    assert main(["budget", "--data", str(data), "--production", str(production)]) == 0
    terminal = capsys.readouterr().out
    _login(browser, base, "/budget")
    wait(browser, "table.budget")

    # Every row of the command's table, with the same cells, in the same order.
    rows = browser.find_elements(By.CSS_SELECTOR, "table.budget:not(.orders) tbody tr")
    table = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
             for row in rows]
    lines = terminal.splitlines()
    for cells in table:
        line = next(line for line in lines if line.startswith(cells[0]))
        assert line.split() == " ".join(c for c in cells if c).split(), (line, cells)
    check = Pricer(load_production(production), load_content(data)).check()
    assert len(table) == len(report_rows(check)) - 1  # the first is the header

    # The sentences under the table are the command's, word for word.
    notes = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "ul.notes li")]
    assert notes and all(note in [line.strip() for line in lines] for note in notes)
    assert any(note.startswith("· 2025년 발주 누계") and "150,000원" in note for note in notes)
    sheet_note = browser.find_element(By.CSS_SELECTOR, "table.budget + p.sheet-note").text
    assert sheet_note in lines and sheet_note.startswith("※ 인쇄 장수")

    # Figures right-aligned: in each column their right edges line up (the page's
    # stylesheet was allowed by the Content-Security-Policy).
    for column in (2, 3, 4):
        cells = browser.find_elements(
            By.CSS_SELECTOR, f"table.budget:not(.orders) tbody td.num:nth-child({column})")
        assert len(cells) >= 10
        assert {cell.value_of_css_property("text-align") for cell in cells} == {"right"}
        edges = {round(browser.execute_script(
            "const r = document.createRange(); r.selectNodeContents(arguments[0]);"
            "return r.getBoundingClientRect().right;", cell)) for cell in cells if cell.text}
        assert max(edges) - min(edges) <= 1, edges

    # The chart: allocation and cost per run and in total, bars to scale.
    expected = [(c.allocation, c.total) for c in check.runs] + [(check.allocation, check.total)]
    groups = browser.find_elements(By.CSS_SELECTOR, "svg.chart g.bar")
    assert len(groups) == len(expected) == 3
    widths = [(float(g.find_element(By.CSS_SELECTOR, "rect.allocation").get_attribute("width")),
               float(g.find_element(By.CSS_SELECTOR, "rect.cost").get_attribute("width")))
              for g in groups]
    scale = widths[-1][0] / expected[-1][0]
    for (allocation, cost), (allocation_px, cost_px) in zip(expected, widths, strict=True):
        assert allocation_px == pytest.approx(allocation * scale, abs=0.1)
        assert cost_px == pytest.approx(cost * scale, abs=0.1)
    texts = [g.text for g in groups]
    assert "총계" in texts[-1] and f"비용 {thousand_won(check.total)}" in texts[-1]

    # Orders: the voided one is marked 취소 with its reason; the other stands.
    orders = {row.find_element(By.CSS_SELECTOR, "td").text: row for row in
              browser.find_elements(By.CSS_SELECTOR, "table.orders tbody tr")}
    assert "취소 (2025-03-03: 수량 오기)" in orders[f"#{voided}"].text
    assert "voided" in orders[f"#{voided}"].get_attribute("class")
    assert orders[f"#{kept}"].find_element(By.CSS_SELECTOR, "td.state").text == "발주"
    assert "포켓용 리플릿" in orders[f"#{kept}"].text
