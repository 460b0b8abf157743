"""The budget checker: price every print run against its allocation. Pure code.

Sheet counts come from the imposition plan (``leaflets.impose.plan``), never
recomputed here: a run priced by cost build-up is laid out on every sheet
that has a paper price, and the cheapest plan wins; the build imposes the
same plan (:func:`plan_for_run`). A run priced from a quote table uses the
shop's price for the quantity; its plan is the one with fewest sheets.

Amounts are whole 원. Reports show them in 천원, as budget documents do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from leaflets.content import Content
from leaflets.errors import DataError
from leaflets.impose.plan import SheetPlan, choose, for_quantity, plan_press
from leaflets.korean import display_width, pad
from leaflets.production import MAX_QUANTITY, PRICINGS, Prices, Production, QuoteTable, Run

VAT_PERCENT = 10
SHEETS_PER_REAM = 500


@dataclass(frozen=True)
class RunCost:
    """What one run costs, and how that was reached."""

    run: Run
    plan: SheetPlan
    pricing: str  # "build-up" or "quote"
    quote: QuoteTable | None
    press_sheets: int | None  # sheets bought: the plan's count + make-ready
    reams: int | None  # 연 billed per colour and pass
    paper: int | None
    printing: int | None
    plates: int | None
    finishing: int | None
    delivery: int | None
    supply: int  # 공급가액
    vat: int  # 부가세
    total: int  # 합계
    alternative: RunCost | None = None  # the same run priced the other way, for comparison

    @property
    def allocation(self) -> int | None:
        return self.run.allocation

    @property
    def balance(self) -> int | None:
        return None if self.allocation is None else self.allocation - self.total

    @property
    def within(self) -> bool:
        return self.allocation is None or self.total <= self.allocation


@dataclass(frozen=True)
class BudgetCheck:
    production: Production
    runs: tuple[RunCost, ...]

    @property
    def allocation(self) -> int | None:
        return self.production.allocation

    @property
    def total(self) -> int:
        return sum(cost.total for cost in self.runs)

    @property
    def supply(self) -> int:
        return sum(cost.supply for cost in self.runs)

    @property
    def vat(self) -> int:
        return sum(cost.vat for cost in self.runs)

    @property
    def total_within(self) -> bool:
        return self.allocation is None or self.total <= self.allocation

    @property
    def within(self) -> bool:
        return self.total_within and all(cost.within for cost in self.runs)


def split_vat(amount: int, vat_included: bool) -> tuple[int, int, int]:
    """(공급가액, 부가세, 합계) of ``amount``; VAT is 10 %, cut to whole 원."""
    if vat_included:
        supply = (amount * 100 * 2 + (100 + VAT_PERCENT)) // (2 * (100 + VAT_PERCENT))
        return supply, amount - supply, amount
    vat = amount * VAT_PERCENT // 100
    return amount, vat, amount + vat


def quote_units(table: QuoteTable, copies: int) -> int:
    """``copies`` in the table's unit, started units counted whole."""
    per_unit = {"copy": 1, "thousand": 1000, "ream": table.copies_per_ream}[table.unit]
    return -(-copies // per_unit)


def quote_price(table: QuoteTable, copies: int) -> int:
    """The table's price for ``copies``: the nearest row at or above, or the last row's rate.

    Between rows a shop sells the next row up; beyond the last row the
    last row's unit price applies. Never decreases as ``copies`` grows.
    """
    units = quote_units(table, copies)
    for quantity, price in table.rows:
        if units <= quantity:
            return price
    quantity, price = table.rows[-1]
    return -(-price * units // quantity)


def build_up(run: Run, plan: SheetPlan, prices: Prices) -> dict[str, int]:
    """Offset cost build-up of ``run`` printed as ``plan``."""
    per_sheet = prices.paper_price(run.stock, plan.sheet.name)
    if per_sheet is None:  # callers plan only sheets that have a price
        raise ValueError(f"no paper price for {run.stock} on {plan.sheet.name}")
    front, back = run.colours
    if plan.method == "sheetwise":
        plate_sets, plate_colours = 2, front + back
    else:
        plate_sets, plate_colours = 1, max(front, back)
    press_sheets = plan.sheets + prices.makeready_sheets * plate_sets
    reams = max(math.ceil(prices.minimum_reams), math.ceil(press_sheets / SHEETS_PER_REAM))
    pass_colours = front + back  # both sides go through the press, whatever the method
    thousands = -(-run.quantity // 1000)
    finishing = 0
    for name in run.finishing:
        price = next(f for f in prices.finishing if f.name == name)
        finishing += price.per_job + price.per_thousand * thousands
    return {
        "press_sheets": press_sheets,
        "reams": reams,
        "paper": per_sheet * press_sheets,
        "printing": prices.impression_per_ream * pass_colours * reams,
        "plates": prices.plate * plate_colours,
        "finishing": finishing,
        "delivery": prices.delivery,
    }


class Pricer:
    """Prices runs of one production against one content file.

    Layouts do not depend on the quantity, so each (run, sheet) is planned
    once and re-counted for other quantities (``--max`` searches many).
    """

    def __init__(self, production: Production, content: Content):
        if production.prices is None:
            raise DataError(production.path, "prices",
                            "가격표가 없습니다: [prices] 표와 종이 값이 필요합니다")
        self.production = production
        self.prices = production.prices
        self.content = content
        self._layouts: dict[tuple, SheetPlan | None] = {}

    def layouts(self, run: Run) -> list[SheetPlan]:
        """Every press plan that can be priced for the run's stock, at its quantity."""
        names = run.sheets or tuple(s.name for s in self.production.press_sheets)
        plans = []
        for name in names:
            if self.prices.paper_price(run.stock, name) is None:
                continue
            key = (replace(run, quantity=1, allocation=None, quote=None), name)
            if key not in self._layouts:
                self._layouts[key] = plan_press(
                    run, self.production.sheet(name), self.content.trim_mm(run.product),
                    self.content.bleed_mm(run.product))
            if self._layouts[key] is not None:
                plans.append(for_quantity(self._layouts[key], run))
        return plans

    def cost(self, run: Run, pricing: str | None = None) -> RunCost:
        """The run priced its own way (or ``pricing``), on its cheapest sheet."""
        pricing = pricing or run.pricing
        if pricing == "quote":
            return self._quoted(run)
        options = [self._built_up(run, plan) for plan in self.layouts(run)]
        if not options:
            raise DataError(self.production.path, f"runs[{self._index(run)}].stock",
                            "이 종이로 찍을 수 있는 인쇄기용 종이의 값이 없습니다", run.stock,
                            ", ".join(self.prices.stocks))
        return min(options, key=lambda c: (c.total, c.plan.sheets))

    def _built_up(self, run: Run, plan: SheetPlan) -> RunCost:
        parts = build_up(run, plan, self.prices)
        amount = sum(parts[k] for k in ("paper", "printing", "plates", "finishing", "delivery"))
        supply, vat, total = split_vat(amount, self.prices.vat_included)
        return RunCost(run, plan, "build-up", None, supply=supply, vat=vat, total=total,
                       **parts)

    def _quoted(self, run: Run) -> RunCost:
        if run.quote is None:
            raise DataError(self.production.path, f"runs[{self._index(run)}].quote",
                            "견적표 이름이 없습니다", allowed=", ".join(
                                q.name for q in self.prices.quotes if q.product == run.product))
        table = self.prices.quote(run.quote)
        supply, vat, total = split_vat(quote_price(table, run.quantity), table.vat_included)
        plan = choose(run, self.production, self.content.trim_mm(run.product),
                      self.content.bleed_mm(run.product))
        return RunCost(run, plan, "quote", table, None, None, None, None, None, None, None,
                       supply, vat, total)

    def _index(self, run: Run) -> int:
        return 1 + [r.product for r in self.production.runs].index(run.product)

    def check(self) -> BudgetCheck:
        costs = []
        for run in self.production.runs:
            cost = self.cost(run)
            other = "quote" if cost.pricing == "build-up" else "build-up"
            if other == "build-up" or run.quote is not None:
                cost = replace(cost, alternative=self._try(run, other))
            costs.append(cost)
        return BudgetCheck(self.production, tuple(costs))

    def max_quantity(self, run: Run, limit: int, pricing: str | None = None) -> RunCost | None:
        """The largest quantity of ``run`` whose total is within ``limit`` (None: not even 1)."""
        def fits(quantity):
            return self.cost(replace(run, quantity=quantity), pricing).total <= limit

        if not fits(1):
            return None
        low, high = 1, 2
        while high <= MAX_QUANTITY and fits(high):
            low, high = high, high * 2
        high = min(high, MAX_QUANTITY + 1)
        while high - low > 1:  # fits(low) and not fits(high)
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return self.cost(replace(run, quantity=low), pricing)

    def remedies(self, check: BudgetCheck) -> list[str]:
        """For every overrun, the single changes that would bring it within (Korean)."""
        lines = []
        for cost in check.runs:
            if not cost.within:
                lines.extend(self._run_remedies(cost, cost.allocation,
                                                f"{cost.run.product} 배정액"))
        if not check.total_within:
            over = check.total - check.allocation
            for cost in check.runs:
                limit = cost.total - over
                if limit > 0:
                    lines.extend(self._run_remedies(cost, limit, "총 배정액"))
        return lines

    def _run_remedies(self, cost: RunCost, limit: int, goal: str) -> list[str]:
        run, lines = cost.run, []
        fewer = self.max_quantity(run, limit)
        if fewer is not None and fewer.run.quantity < run.quantity:
            lines.append(f"{run.product}: 부수를 {run.quantity:,}부 → {fewer.run.quantity:,}부로 "
                         f"줄이면 {goal} 안 ({won(fewer.total)})")
        if cost.pricing == "build-up":
            for stock in self.prices.stocks:
                if stock == run.stock:
                    continue
                other = self._try(replace(run, stock=stock, sheets=()))
                if other is not None and other.total <= limit:
                    lines.append(f"{run.product}: 종이를 '{run.stock}' → '{stock}'(으)로 바꾸면 "
                                 f"{goal} 안 ({won(other.total)})")
            if run.sheets:
                other = self._try(replace(run, sheets=()))
                if other is not None and other.total <= limit and \
                        other.plan.sheet.name not in run.sheets:
                    lines.append(f"{run.product}: 종이 규격을 {other.plan.sheet.name}(으)로 "
                                 f"바꾸면 {goal} 안 ({won(other.total)})")
        other_pricing = "quote" if cost.pricing == "build-up" else "build-up"
        if other_pricing == "build-up" or run.quote is not None:
            other = self._try(run, other_pricing)
            if other is not None and other.total <= limit:
                label = PRICINGS[other_pricing]
                if other.quote is not None:
                    label += f" '{other.quote.name}'"
                lines.append(f"{run.product}: {label}(으)로 값을 매기면 {goal} 안 "
                             f"({won(other.total)})")
        if not lines:
            lines.append(f"{run.product}: 한 가지만 바꿔서는 {goal} 안으로 들어오지 않습니다 "
                         "(배정액을 늘리거나 여러 가지를 함께 바꾸세요)")
        return lines

    def _try(self, run: Run, pricing: str | None = None) -> RunCost | None:
        try:
            return self.cost(run, pricing)
        except DataError:
            return None


def plan_for_run(run: Run, production: Production, content: Content, *,
                 sheet: str | None = None, method: str | None = None) -> SheetPlan:
    """The press plan the build imposes: the budget's cheapest when the run is priced
    by cost build-up, else the one needing the fewest sheets."""
    if sheet is None and method is None and production.prices is not None \
            and run.pricing == "build-up":
        return Pricer(production, content).cost(run).plan
    return choose(run, production, content.trim_mm(run.product),
                  content.bleed_mm(run.product), sheet=sheet, method=method)


def won(amount: int) -> str:
    return f"{amount:,}원"


def thousand_won(amount: int) -> str:
    """Whole 천원, rounded half up, as Korean budget documents show amounts."""
    value = (abs(amount) + 500) // 1000
    return f"{'-' if amount < 0 and value else ''}{value:,}"


# ---------------------------------------------------------------- reports


def report_rows(check: BudgetCheck) -> list[tuple[str, list[str], str]]:
    """(label, one value per run, total) rows of the budget table; amounts in 천원."""
    from leaflets.products import PRODUCTS

    def amount(cost, key):
        value = getattr(cost, key)
        return "—" if value is None else thousand_won(value)

    def column_sum(key):
        values = [getattr(c, key) for c in check.runs]
        return "" if all(v is None for v in values) else thousand_won(
            sum(v for v in values if v is not None))

    rows = [
        ("품명", [PRODUCTS[c.run.product].title for c in check.runs], "합계"),
        ("수량", [f"{c.run.quantity:,}부" for c in check.runs], ""),
        ("규격 (재단)", ["×".join(f"{v:g}" for v in c.plan.trim_mm) + " mm"
                       for c in check.runs], ""),
        ("용지", [c.run.stock for c in check.runs], ""),
        ("도수", [c.run.colours_label for c in check.runs], ""),
        ("가격 방식", [PRICINGS[c.pricing] for c in check.runs], ""),
        ("종이 규격", [c.plan.sheet.name for c in check.runs], ""),
        ("판걸이", [f"{c.plan.n_up}면" for c in check.runs], ""),
        ("인쇄 장수", [sheet_words(c)[0] for c in check.runs], ""),
        ("종이 장수", [sheet_words(c)[1] for c in check.runs], ""),
    ]
    for label, key in (("용지비", "paper"), ("인쇄비", "printing"), ("소부비", "plates"),
                       ("후가공", "finishing"), ("납품", "delivery"), ("공급가액", "supply"),
                       ("부가세", "vat"), ("합계", "total")):
        rows.append((label, [amount(c, key) for c in check.runs], column_sum(key)))
    rows.append(("배정액", [amount(c, "allocation") for c in check.runs],
                 "" if check.allocation is None else thousand_won(check.allocation)))
    rows.append(("잔액", [amount(c, "balance") for c in check.runs],
                 "" if check.allocation is None else thousand_won(check.allocation - check.total)))
    rows.append(("판정", ["배정액 안" if c.within else "초과" for c in check.runs],
                 "배정액 안" if check.total_within else "초과"))
    return rows


def sheet_words(cost: RunCost) -> tuple[str, str]:
    """(인쇄 장수, 종이 장수) of a run, in the words the budget, the spec sheet and the
    press sheet's slug share: sheets printed with overs, sheets of paper bought."""
    printed = f"{cost.plan.sheets:,}장(여분 포함)"  # the slug's words
    paper = "—" if cost.press_sheets is None else f"{cost.press_sheets:,}장 ({cost.reams}연)"
    return printed, paper


def sheet_note(production) -> str:
    """What the two sheet counts mean, one sentence under every table that shows them."""
    makeready = production.prices.makeready_sheets
    return ("※ 인쇄 장수 = 부수 ÷ 판걸이 + 여분: 인쇄판 여백(슬러그)에 적히는 장수. "
            f"종이 장수 = 인쇄 장수 + 판 맞춤 손지(인쇄판 1벌에 {makeready:,}장): 사는 종이로, "
            "용지비와 인쇄비(연 = 500장 단위)는 이것으로 계산합니다.")


def year_overrun(check: BudgetCheck, spent: tuple[int, int] | None,
                 ordered: int | None = None) -> int:
    """How far this year's orders plus this job (unless ``ordered`` already, as order
    number ``ordered``) pass the yearly allocation; 0 when they do not."""
    if spent is None or check.allocation is None:
        return 0
    return max(0, spent[1] + (0 if ordered is not None else check.total) - check.allocation)


def format_table(check: BudgetCheck, remedies: list[str],
                 spent: tuple[int, int] | None = None, ordered: int | None = None) -> str:
    """The budget as a page a 주무관 can attach to a 결재 document.

    ``spent`` is (year, total of this year's orders); ``ordered`` the number of the order
    that already holds this job, if any (then it is in ``spent`` and not added again).
    """
    lines = report_heading(check)
    rows = report_rows(check)
    widths = [max(12, *(display_width(r[1][i]) + 2 for r in rows)) for i in range(len(check.runs))]
    for label, values, total in rows:
        line = pad(label, 12)
        line += "".join(pad(v, w, right=True) for v, w in zip(values, widths, strict=True))
        lines.append((line + pad(total, 12, right=True)).rstrip())
    lines.append(sheet_note(check.production))
    lines.append("")
    return "\n".join(lines + report_notes(check, remedies, spent, ordered)) + "\n"


def report_heading(check: BudgetCheck) -> list[str]:
    """The lines above the budget table."""
    lines = [f"인쇄 예산 검토 — {check.production.path.name} (금액 단위: 천원)"]
    if check.production.prices.example:
        lines.append("※ 예시 가격표입니다. 발주 전에 인쇄소 견적으로 바꾸세요.")
    return lines


def report_notes(check: BudgetCheck, remedies: list[str],
                 spent: tuple[int, int] | None = None, ordered: int | None = None) -> list[str]:
    """The lines under the budget table: each run, the totals, the year, the verdict
    (the terminal and the web page show the same sentences)."""
    prices = check.production.prices
    lines = []
    for cost in check.runs:
        how = f"견적표 '{cost.quote.name}'" if cost.quote else (
            f"원가 계산, {cost.plan.sheet.name} {cost.plan.n_up}면, "
            f"인쇄 {cost.plan.sheets:,}장(여분 {cost.run.overs_percent:g}% 포함), "
            f"종이 {cost.press_sheets:,}장")
        verdict = (f"배정액 {won(cost.allocation)} 중 잔액 {won(cost.balance)}" if cost.within
                   else f"배정액 {won(cost.allocation)}을(를) {won(-cost.balance)} 초과")
        if cost.allocation is None:
            verdict = "작업 배정액 없음"
        lines.append(f"· {cost.run.product}: 합계 {won(cost.total)} ({how}) — {verdict}")
        if cost.alternative is not None:
            other = cost.alternative
            name = f" '{other.quote.name}'" if other.quote else ""
            lines.append(f"    비교: {PRICINGS[other.pricing]}{name}(으)로는 {won(other.total)}")
    if check.allocation is not None:
        if check.total_within:
            lines.append(f"· 총계: {won(check.total)} / 총 배정액 {won(check.allocation)}, "
                         f"잔액 {won(check.allocation - check.total)}")
        else:
            lines.append(f"· 총계: {won(check.total)} — 총 배정액 {won(check.allocation)}을(를) "
                         f"{won(check.total - check.allocation)} 초과")
    if spent is not None and check.allocation is not None:
        year, amount = spent
        left = check.allocation - amount
        over = year_overrun(check, spent, ordered)
        if ordered is not None:
            tail = f" — 이 내용은 발주 기록 #{ordered}로 누계에 이미 들어 있음" + (
                f", 연간 배정액을 {won(over)} 초과" if over else "")
        else:
            tail = f" — 이번 발주({won(check.total)})를 하면 {won(over)} 초과" if over else ""
        lines.append(f"· {year}년 발주 누계(leaflets package 기록): {won(amount)} / 연간 배정액 "
                     f"{won(check.allocation)}, 남은 금액 {won(left)}{tail}")
    lines.append("")
    over = year_overrun(check, spent, ordered)
    if check.within and over:
        lines.append(f"판정: 작업마다 배정액 안이지만, 올해 발주 누계와 합치면 연간 배정액을 "
                     f"{won(over)} 넘습니다.")
    elif check.within:
        lines.append("판정: 모든 작업이 배정액 안에 있습니다.")
    else:
        lines.append("판정: 배정액을 넘습니다. 하나만 바꾼다면:")
        lines.extend(f"  - {line}" for line in remedies)
    if any(c.quote and c.quote.vat_included for c in check.runs) or prices.vat_included:
        lines.append("부가세 포함 가격은 공급가액 = 합계 ÷ 1.1 (원 단위 반올림)로 나누었습니다.")
    else:
        lines.append("부가세 10%는 공급가액에 더했습니다 (원 단위 버림).")
    return lines


def year_spending(ledger, data_path, production_path, content: Content
                  ) -> tuple[tuple[int, int] | None, int | None]:
    """(spent, ordered) for :func:`format_table` from the order ledger: this year's total
    of standing orders, and the number of the order that already holds these files."""
    from leaflets.clock import build_date
    from leaflets.ledger import bundle_hash

    if not ledger.path.exists():
        return None, None
    year = int(build_date()[:4])
    earlier = ledger.earlier(bundle_hash(Path(data_path).read_bytes(),
                                         Path(production_path).read_bytes()), content.sha256)
    ordered = earlier.id if earlier is not None and earlier.fiscal_year == year else None
    return (year, ledger.spent(year)), ordered


def as_dict(check: BudgetCheck, remedies: list[str]) -> dict:
    """The JSON report: whole 원."""
    return {
        "production": check.production.path.name,
        "example_prices": check.production.prices.example,
        "allocation": check.allocation,
        "supply": check.supply,
        "vat": check.vat,
        "total": check.total,
        "within": check.within,
        "total_within": check.total_within,
        "runs": [_run_dict(cost) for cost in check.runs],
        "remedies": remedies,
    }


CSV_FIELDS = ("product", "quantity", "trim_mm", "stock", "colours", "pricing", "quote", "sheet",
              "n_up", "sheets", "press_sheets", "reams", "paper", "printing", "plates",
              "finishing", "delivery", "supply", "vat", "total", "allocation", "balance",
              "within")


def _run_dict(cost: RunCost) -> dict:
    return {
        "product": cost.run.product,
        "quantity": cost.run.quantity,
        "trim_mm": "×".join(f"{v:g}" for v in cost.plan.trim_mm),
        "stock": cost.run.stock,
        "colours": cost.run.colours_label,
        "pricing": cost.pricing,
        "quote": cost.quote.name if cost.quote else None,
        "sheet": cost.plan.sheet.name,
        "sheet_mm": list(cost.plan.sheet_mm),
        "n_up": cost.plan.n_up,
        "method": cost.plan.method,
        "sheets": cost.plan.sheets,
        "press_sheets": cost.press_sheets,
        "reams": cost.reams,
        "paper": cost.paper,
        "printing": cost.printing,
        "plates": cost.plates,
        "finishing": cost.finishing,
        "delivery": cost.delivery,
        "supply": cost.supply,
        "vat": cost.vat,
        "total": cost.total,
        "allocation": cost.allocation,
        "balance": cost.balance,
        "within": cost.within,
        "alternative": None if cost.alternative is None else {
            "pricing": cost.alternative.pricing,
            "quote": cost.alternative.quote.name if cost.alternative.quote else None,
            "total": cost.alternative.total},
    }


def as_csv(check: BudgetCheck) -> str:
    """One row per run and a total row, whole 원 (UTF-8 with BOM for spreadsheet programs)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for cost in check.runs:
        writer.writerow(_run_dict(cost))
    writer.writerow({"product": "합계", "supply": check.supply, "vat": check.vat,
                     "total": check.total, "allocation": check.allocation,
                     "balance": None if check.allocation is None
                     else check.allocation - check.total,
                     "within": check.within})
    return "\ufeff" + buffer.getvalue()
