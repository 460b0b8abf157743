"""The budget as a web page: the table, the sentences under it and a bar chart.

Every word and figure comes from :mod:`leaflets.budget` (the same rows and
sentences ``leaflets budget`` prints); this module only adds the geometry of
the chart (allocation against cost per run, in 천원), drawn as SVG by the
template, so no charting script is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from leaflets.budget import (
    BudgetCheck,
    report_heading,
    report_notes,
    report_rows,
    sheet_note,
    thousand_won,
)
from leaflets.products import PRODUCTS

CHART_LABEL = 190  # px for the run names
CHART_BARS = 520  # px for the longest bar
BAR = 18  # px, one bar
GROUP = 2 * BAR + 22  # px, a run's two bars and the gap after them
NUMERIC = {"용지비", "인쇄비", "소부비", "후가공", "납품", "공급가액", "부가세", "합계", "배정액",
           "잔액", "수량", "인쇄 장수", "종이 장수", "판걸이"}


@dataclass(frozen=True)
class Bar:
    label: str  # the run, as staff name it
    allocation: int | None  # 원
    cost: int  # 원
    y: int  # top of the group, px
    allocation_width: float  # px
    cost_width: float
    over: bool

    @property
    def allocation_text(self) -> str:
        if self.allocation is None:
            return "배정액 없음"
        return f"배정액 {thousand_won(self.allocation)}"

    @property
    def cost_text(self) -> str:
        return f"비용 {thousand_won(self.cost)}"


@dataclass(frozen=True)
class BudgetPage:
    heading: list[str]
    columns: list[str]  # the runs, then 합계
    rows: list[tuple[str, list[str], str, bool]]  # label, values, total, numeric
    note: str
    notes: list[str]
    bars: list[Bar]
    chart_width: int
    chart_height: int


def budget_page(check: BudgetCheck, remedies: list[str], spent=None, ordered=None
                ) -> BudgetPage:
    """What the web budget page shows for ``check`` (arguments as for format_table)."""
    rows = report_rows(check)
    (_, columns, total_label), body = rows[0], rows[1:]
    runs = [(PRODUCTS[c.run.product].title, c.allocation, c.total) for c in check.runs]
    runs.append(("총계", check.allocation, check.total))
    most = max([cost for _, _, cost in runs] + [a for _, a, _ in runs if a is not None]) or 1
    scale = CHART_BARS / most
    bars = [Bar(label, allocation, cost, 28 + index * GROUP,
                0 if allocation is None else allocation * scale, cost * scale,
                allocation is not None and cost > allocation)
            for index, (label, allocation, cost) in enumerate(runs)]
    return BudgetPage(
        heading=report_heading(check),
        columns=[*columns, total_label],
        rows=[(label, values, total, label in NUMERIC) for label, values, total in body],
        note=sheet_note(check.production),
        notes=[line for line in report_notes(check, remedies, spent, ordered) if line],
        bars=bars,
        chart_width=CHART_LABEL + CHART_BARS + 110,
        chart_height=28 + len(bars) * GROUP,
    )
