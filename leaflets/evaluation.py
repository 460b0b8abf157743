"""붙임 1: score the 17 동 on 민원24 use (70), 홍보·교육 (20) and 특수사업 (10).

Pure scoring: typed inputs (read by :mod:`leaflets.evaluation_io`) in, an
:class:`Evaluation` out. One function per rule of the plan, so each can be
checked against a hand-computed case:

- :func:`rate` and :func:`rank`: 신청율 compared exactly (``Fraction``), equal
  rates share the higher rank and the next rank is skipped (1, 2, 2, 4);
  :func:`use_points`: 1위 70점, one point less per rank.
- :func:`promotion_points`: 2 points a time, at most 2 times per indicator,
  the section at most 20; :func:`check_duplicates`: one activity (same 동,
  날짜, 내용) under one indicator only.
- :func:`ledger_cases` and :func:`special_points`: 5 points a case, at most
  10; every 동 edition ordered in the period is one 자체홍보물 case unless the
  activities already list it.
- :func:`period`: 1 January – 30 November; :func:`split_period` leaves the rest out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from fractions import Fraction

from leaflets.errors import DataError

USE_TOP = 70  # points of 1위
PROMOTION_POINTS, PROMOTION_TIMES, PROMOTION_CAP = 2, 2, 20
SPECIAL_POINTS, SPECIAL_CAP = 5, 10
TOTAL_CAP = 100
INDICATORS = {  # 지표 as written in 활동.csv -> its wording in 붙임 1
    "지역행사": "지역 행사시 홍보",
    "공동주택": "아파트 등 공동주택 대상 홍보",
    "대외공문": "대외발송 공문서에 홍보 문구 기입",
    "통장직능교육": "통장 및 직능단체 회원 교육실시",
    "주민교육": "주민대상 교육",
}
SPECIAL = "특수사업"
OWN_MATERIAL = "자체홍보물"  # the 특수사업 case a ledger order stands for


@dataclass(frozen=True)
class Count:
    """One row of 실적.csv: a 동's 민원24 applications and counter cases."""
    dong: str
    applications: int
    counter: int
    row: int = 0


@dataclass(frozen=True)
class Activity:
    """One row of 활동.csv."""
    dong: str
    date: datetime.date
    indicator: str  # a key of INDICATORS, or SPECIAL
    text: str
    row: int = 0
    source: str = ""


@dataclass(frozen=True)
class Order:
    """A standing order of a 동 edition, from the ledger."""
    id: int
    dong: str
    ordered_on: datetime.date
    package: str


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class GuRate:
    """The 구's own rate: 민원24 ÷ (민원24 + 주민등록창구 + 새올행정방문)."""
    rate: Fraction  # percent
    total: int


@dataclass(frozen=True)
class SpecialCase:
    dong: str
    date: datetime.date
    text: str
    rule: str  # Korean: which rule made it count (or not)
    counted: bool
    from_ledger: bool = False  # a 동 edition of the ledger, not a row of 활동.csv


@dataclass(frozen=True)
class DongScore:
    dong: str
    applications: int
    counter: int
    rate: Fraction  # percent, exact
    rank: int
    use: int
    promotion: int
    times: dict  # indicator -> times listed in the period
    special: int
    cases: tuple[SpecialCase, ...]
    total: int


@dataclass(frozen=True)
class Evaluation:
    period: Period
    gu: GuRate | None
    scores: tuple[DongScore, ...]  # by total descending, then by 동
    notes: tuple[str, ...]  # activities left out (outside the period)


def period(year: int) -> Period:
    """The evaluation period of ``year``: 1 January – 30 November."""
    return Period(datetime.date(year, 1, 1), datetime.date(year, 11, 30))


def rate(count: Count) -> Fraction:
    """신청율 in percent, exact: 민원24 신청건수 ÷ 주민등록창구 처리건수 × 100."""
    return Fraction(count.applications * 100, count.counter)


def rank(rates: dict[str, Fraction]) -> dict[str, int]:
    """Competition ranking by rate, highest first: equal rates share a rank (1, 2, 2, 4)."""
    ordered = sorted(rates.values(), reverse=True)
    return {dong: 1 + sum(1 for other in ordered if other > value)
            for dong, value in rates.items()}


def use_points(position: int) -> int:
    """이용실적: 1위 70점, one point less for each rank below."""
    return max(USE_TOP - (position - 1), 0)


def promotion_points(times: dict[str, int]) -> int:
    """홍보·교육: 2 points a time, at most 2 times per indicator, at most 20 in all."""
    points = sum(PROMOTION_POINTS * min(n, PROMOTION_TIMES) for n in times.values())
    return min(points, PROMOTION_CAP)


def special_points(cases: int) -> int:
    """특수사업: 5 points a case, at most 10."""
    return min(SPECIAL_POINTS * cases, SPECIAL_CAP)


def total_points(use: int, promotion: int, special: int) -> int:
    """합계, at most 100."""
    return min(use + promotion + special, TOTAL_CAP)


def gu_rate(minwon24: int, counter: int, saeol: int) -> GuRate:
    """The plan's 구 rate: 민원24 ÷ 전체민원 × 100, 전체민원 = 민원24 + 창구 + 새올."""
    total = minwon24 + counter + saeol
    return GuRate(Fraction(minwon24 * 100, total), total)


def _key(activity: Activity):
    return activity.dong, activity.date, " ".join(activity.text.split())


def check_duplicates(activities) -> None:
    """Refuse one activity (same 동, 날짜, 내용) listed twice: 중복 적용 불인정."""
    seen = {}
    for activity in activities:
        first = seen.setdefault(_key(activity), activity)
        if first is activity:
            continue
        where = (f"{first.row}행 '{first.indicator}'과(와) {activity.row}행 "
                 f"'{activity.indicator}'")
        raise DataError(activity.source, "지표",
                        f"같은 활동({activity.dong}, {activity.date}, '{activity.text}')이 "
                        f"{where}에 두 번 있습니다. 한 활동은 한 지표에만 인정됩니다 "
                        "(중복 적용 불인정): 한 줄을 지워 주세요",
                        value=activity.indicator, line=activity.row)


def split_period(activities, within: Period):
    """(activities inside the period, activities outside it)."""
    inside = tuple(a for a in activities if a.date in within)
    return inside, tuple(a for a in activities if a.date not in within)


def _lists(activity: Activity, order: Order) -> bool:
    """Whether a 특수사업 activity is the 자체홍보물 of ``order`` (same 동, and the same
    day or the package named)."""
    return (activity.indicator == SPECIAL and activity.dong == order.dong
            and OWN_MATERIAL in activity.text
            and (activity.date == order.ordered_on or order.package in activity.text))


def ledger_cases(orders, activities, within: Period) -> tuple[SpecialCase, ...]:
    """One 자체홍보물 case per 동 edition ordered in the period, unless already listed."""
    cases = []
    for order in orders:
        if order.ordered_on not in within:
            continue
        text = f"{OWN_MATERIAL} 발주 #{order.id} ({order.package})"
        listed = next((a for a in activities if _lists(a, order)), None)
        if listed is None:
            cases.append(SpecialCase(order.dong, order.ordered_on, text,
                                     "발주 기록에서 1건으로 셈", True, True))
        else:
            cases.append(SpecialCase(order.dong, order.ordered_on, text,
                                     f"활동 파일 {listed.row}행에 이미 있어 다시 세지 않음",
                                     False, True))
    return tuple(cases)


def cases_from_ledger(evaluation: Evaluation) -> list[tuple[str, SpecialCase]]:
    """(동, case) of every 특수사업 case the ledger's orders made, as reports list them."""
    return [(s.dong, case) for s in evaluation.scores for case in s.cases if case.from_ledger]


def evaluate(counts, activities, within: Period, orders=(), gu: GuRate | None = None
             ) -> Evaluation:
    """Score every 동 of ``counts`` (checked: one row each, 처리건수 > 0)."""
    check_duplicates(activities)
    inside, outside = split_period(activities, within)
    ordered = ledger_cases(orders, inside, within)
    rates = {count.dong: rate(count) for count in counts}
    ranks = rank(rates)
    scores = []
    for count in counts:
        mine = [a for a in inside if a.dong == count.dong]
        times = {name: sum(1 for a in mine if a.indicator == name) for name in INDICATORS}
        cases = tuple(SpecialCase(a.dong, a.date, a.text, f"활동 파일 {a.row}행", True)
                      for a in mine if a.indicator == SPECIAL)
        cases += tuple(c for c in ordered if c.dong == count.dong)
        use = use_points(ranks[count.dong])
        promotion = promotion_points(times)
        special = special_points(sum(1 for c in cases if c.counted))
        scores.append(DongScore(count.dong, count.applications, count.counter,
                                rates[count.dong], ranks[count.dong], use, promotion, times,
                                special, cases, total_points(use, promotion, special)))
    scores.sort(key=lambda s: (-s.total, s.dong))
    notes = tuple(f"{a.source} {a.row}행: {a.dong} {a.date} {a.indicator} '{a.text}' — "
                  f"평가 기간({within.start}~{within.end}) 밖이라 뺐습니다" for a in outside)
    return Evaluation(within, gu, tuple(scores), notes)


def as_dict(evaluation: Evaluation) -> dict:
    """The JSON form: period, gu, dongs (rate in percent, not rounded) with their detail."""
    gu = evaluation.gu
    return {
        "period": {"from": evaluation.period.start.isoformat(),
                   "to": evaluation.period.end.isoformat()},
        "gu": None if gu is None else {"rate": float(gu.rate), "total": gu.total},
        "dongs": [{
            "dong": s.dong, "rate": float(s.rate), "rank": s.rank, "use": s.use,
            "promotion": s.promotion, "special": s.special, "total": s.total,
            "detail": {
                "applications": s.applications, "counter": s.counter,
                "promotion": {name: {"times": n, "counted": min(n, PROMOTION_TIMES)}
                              for name, n in s.times.items()},
                "special": [{"date": c.date.isoformat(), "content": c.text, "rule": c.rule,
                             "counted": c.counted} for c in s.cases],
            },
        } for s in evaluation.scores],
    }
