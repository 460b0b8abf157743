"""붙임 1 동별 평가: hand-computed scores, the ledger's 자체홍보물, the inputs, the report."""

from __future__ import annotations

import datetime
import json
from fractions import Fraction
from pathlib import Path

import pytest

from leaflets.cli import main
from leaflets.dongs import DONG_NAMES
from leaflets.evaluation import (
    Count,
    gu_rate,
    promotion_points,
    rank,
    rate,
    special_points,
    total_points,
    use_points,
)
from leaflets.ledger import Ledger, OrderLine
from tests.conftest import read_pages

EXAMPLES = Path(__file__).parent.parent / "examples" / "evaluation"
COUNTS_HEAD = "동,민원24_신청건수,주민등록창구_처리건수"
ACTIVITIES_HEAD = "동,날짜,지표,내용"
# 동 i (0-based) applies (20 - i) × 100 times out of 4,000: every rate differs, 1위 is 왕십리도선동.
BASE_COUNTS = {name: ((20 - i) * 100, 4000) for i, name in enumerate(DONG_NAMES)}


def write(path: Path, lines, encoding="utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def counts_lines(counts=None):
    counts = counts or BASE_COUNTS
    return [COUNTS_HEAD] + [f'{name},"{a:,}","{c:,}"' for name, (a, c) in counts.items()]


def run(tmp_path, capsys, activities=(), counts=None, *extra, ledger=None):
    counts_file = write(tmp_path / "실적.csv", counts_lines(counts))
    activities_file = write(tmp_path / "활동.csv", [ACTIVITIES_HEAD, *activities])
    code = main(["evaluate", "--counts", str(counts_file), "--activities",
                 str(activities_file), "--year", "2015", "--ledger",
                 str(ledger or tmp_path / "orders.sqlite"), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return {entry["dong"]: entry for entry in json.loads(out)["dongs"]}


# -- the rules, one hand-computed case each ------------------------------------------------

def test_equal_rates_share_the_higher_rank_and_the_next_is_skipped():
    rates = {"가": Fraction(1, 2), "나": Fraction(1, 3), "다": Fraction(2, 6),
             "라": Fraction(1, 4)}
    assert rank(rates) == {"가": 1, "나": 2, "다": 2, "라": 4}
    assert [use_points(n) for n in (1, 2, 2, 4)] == [70, 69, 69, 67]


def test_rates_are_compared_exactly_not_after_rounding():
    # 33.33…% and 33.33% print alike at two decimals; they are not equal.
    exact, rounded = rate(Count("가", 1, 3)), rate(Count("나", 3333, 10000))
    assert f"{float(exact):.2f}" == f"{float(rounded):.2f}"
    assert rank({"가": exact, "나": rounded}) == {"가": 1, "나": 2}


@pytest.mark.parametrize("times, points", [
    ({"지역행사": 1}, 2),
    ({"지역행사": 2}, 4),
    ({"지역행사": 3}, 4),  # the third time is not counted
    ({"지역행사": 3, "공동주택": 2, "대외공문": 1}, 10),
    ({name: 5 for name in ("지역행사", "공동주택", "대외공문", "통장직능교육", "주민교육")}, 20),
    ({name: 9 for name in "가나다라마바"}, 20),  # the section cap
])
def test_promotion_counts_two_points_twice_per_indicator_at_most_twenty(times, points):
    assert promotion_points(times) == points


@pytest.mark.parametrize("cases, points", [(0, 0), (1, 5), (2, 10), (3, 10), (7, 10)])
def test_special_projects_count_five_points_each_at_most_ten(cases, points):
    assert special_points(cases) == points


def test_the_total_is_at_most_a_hundred():
    assert total_points(70, 20, 10) == 100
    assert total_points(70, 25, 10) == 100


def test_the_plans_own_gu_rate_is_51_4_percent():
    gu = gu_rate(407_398, 362_095, 23_455)
    assert gu.total == 792_948
    assert f"{float(gu.rate):.1f}" == "51.4"


# -- through the command line ------------------------------------------------------------------

def test_scores_of_the_whole_district_by_hand(tmp_path, capsys):
    counts = dict(BASE_COUNTS)
    counts["마장동"] = counts["사근동"] = (1800, 4000)  # tie for 3위: 45 %
    dongs = run(tmp_path, capsys, [
        "왕십리도선동,2015-03-02,지역행사,봄 축제 부스",
        "왕십리도선동,2015-04-02,지역행사,구민의 날 부스",
        "왕십리도선동,2015-05-02,지역행사,어린이날 부스",   # third: not counted
        "왕십리도선동,2015-06-02,주민교육,경로당 교육",
        "왕십리도선동,2015-07-01,특수사업,자체홍보물 제작",
        "왕십리도선동,2015-08-01,특수사업,은행 협약",
        "왕십리도선동,2015-09-01,특수사업,우체국 안내",      # third case: capped at 10
        "왕십리도선동,2015-12-01,주민교육,연말 교육",        # outside the period
    ], counts, "--gu", "407398,362095,23455")
    first = dongs["왕십리도선동"]
    assert (first["rank"], first["use"], first["promotion"], first["special"],
            first["total"]) == (1, 70, 6, 10, 86)
    assert dongs["마장동"]["rank"] == dongs["사근동"]["rank"] == 3
    assert dongs["마장동"]["use"] == 68
    assert dongs["행당제1동"]["rank"] == 5  # 4위 is skipped
    assert dongs["마장동"]["rate"] == 45.0
    assert dongs["왕십리제2동"]["rate"] == 1900 * 100 / 4000


def test_json_is_exactly_the_agreed_shape_sorted_by_total_then_dong(tmp_path, capsys):
    counts_file = write(tmp_path / "실적.csv", counts_lines())
    activities = write(tmp_path / "활동.csv", [ACTIVITIES_HEAD,
                                             "용답동,2015-02-03,지역행사,장터 홍보"])
    assert main(["evaluate", "--counts", str(counts_file), "--activities", str(activities),
                 "--year", "2015", "--ledger", str(tmp_path / "none.sqlite"),
                 "--gu", "407398,362095,23455", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["period", "gu", "dongs"]
    assert report["period"] == {"from": "2015-01-01", "to": "2015-11-30"}
    assert report["gu"] == {"rate": 407398 * 100 / 792948, "total": 792948}
    assert len(report["dongs"]) == 17
    assert set(report["dongs"][0]) == {"dong", "rate", "rank", "use", "promotion", "special",
                                       "total", "detail"}
    order = [(-d["total"], d["dong"]) for d in report["dongs"]]
    assert order == sorted(order)
    assert [d["dong"] for d in report["dongs"]][:1] == ["왕십리도선동"]


def _order(ledger: Ledger, dong, day, package, void=False):
    with ledger.transaction() as book:
        number = book.record(OrderLine(None, day, package, "0" * 64, 100, 10, 110, (),
                                       dong=dong))
        book.commit()
    if void:
        ledger.void(number, "시험", day)
    return number


def test_a_dong_edition_in_the_ledger_counts_once_and_not_twice_when_listed(tmp_path, capsys):
    ledger = Ledger(tmp_path / "orders.sqlite")
    number = _order(ledger, "옥수동", datetime.date(2015, 5, 4), "20150504-aaaa1111")
    _order(ledger, "송정동", datetime.date(2015, 12, 2), "20151202-bbbb2222")  # after the period
    _order(ledger, "응봉동", datetime.date(2015, 6, 1), "20150601-cccc3333", void=True)
    _order(ledger, None, datetime.date(2015, 6, 1), "20150601-dddd4444")  # the 구 edition

    dongs = run(tmp_path, capsys, ledger=ledger.path)
    assert dongs["옥수동"]["special"] == 5
    (case,) = dongs["옥수동"]["detail"]["special"]
    assert case["counted"] and case["rule"] == "발주 기록에서 1건으로 셈"
    assert f"#{number}" in case["content"]
    assert dongs["송정동"]["special"] == dongs["응봉동"]["special"] == 0

    listed = run(tmp_path, capsys, ["옥수동,2015-05-04,특수사업,자체홍보물 제작 (포켓 리플릿)"],
                 ledger=ledger.path)
    assert listed["옥수동"]["special"] == 5  # once, not 10
    rules = [c["rule"] for c in listed["옥수동"]["detail"]["special"]]
    assert rules == ["활동 파일 2행", "활동 파일 2행에 이미 있어 다시 세지 않음"]


def test_only_the_ledgers_orders_are_listed_as_ledger_cases(tmp_path, capsys):
    """An activity whose 내용 mentions 발주 is a row of 활동.csv, not a ledger order."""
    counts = write(tmp_path / "실적.csv", counts_lines())
    activities = write(tmp_path / "활동.csv", [ACTIVITIES_HEAD,
                                             "옥수동,2015-03-02,특수사업,발주 안내 협약"])
    ledger = Ledger(tmp_path / "orders.sqlite")
    number = _order(ledger, "송정동", datetime.date(2015, 5, 4), "20150504-aaaa1111")
    assert main(["evaluate", "--counts", str(counts), "--activities", str(activities),
                 "--year", "2015", "--ledger", str(ledger.path)]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("· ")]
    assert listed == [f"· 송정동 2015-05-04 자체홍보물 발주 #{number} (20150504-aaaa1111): "
                      "발주 기록에서 1건으로 셈"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp949", "utf-8"])
def test_korean_spreadsheet_encodings_are_detected(tmp_path, capsys, encoding):
    counts = write(tmp_path / "실적.csv", counts_lines(), encoding)
    activities = write(tmp_path / "활동.csv", [ACTIVITIES_HEAD,
                                             "금호2·3가동,2015-02-03,공동주택,아파트 게시판"],
                       encoding)
    assert main(["evaluate", "--counts", str(counts), "--activities", str(activities),
                 "--year", "2015", "--ledger", str(tmp_path / "x.sqlite"),
                 "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("순위,동,")
    assert "1,왕십리도선동,2000,4000,50.0000,70,0,0,70" in rows
    assert any(row.startswith("9,금호2·3가동,") and row.endswith(",2,0,64") for row in rows)


def _counts_with(**rows):
    lines = counts_lines()
    for name, line in rows.items():
        lines = [line if text.startswith(name + ",") else text for text in lines]
    return lines


BAD_INPUTS = {
    "unknown dong": ("counts", _counts_with(마장동='마장1동,"1,000","4,000"'),
                     ["실적.csv:4", "'동'", "마장1동", "마장동"]),
    "missing dong": ("counts", counts_lines()[:-2],
                     ["실적.csv", "'동'", "없는 동이 2곳", "송정동, 용답동"]),
    "duplicate dong": ("counts", counts_lines() + ['마장동,"1,000","4,000"'],
                       ["실적.csv:19", "'동'", "4행과 같은 동"]),
    "negative count": ("counts", _counts_with(사근동="사근동,-5,4000"),
                       ["실적.csv:5", "'민원24_신청건수'", "음수", "'-5'"]),
    "non-numeric count": ("counts", _counts_with(사근동="사근동,100,많음"),
                          ["실적.csv:5", "'주민등록창구_처리건수'", "'많음'"]),
    "zero counter": ("counts", _counts_with(응봉동="응봉동,0,0"),
                     ["실적.csv:8", "'주민등록창구_처리건수'", "0이면 신청율"]),
    "unknown indicator": ("activities", [ACTIVITIES_HEAD, "옥수동,2015-03-02,홍보,전단"],
                          ["활동.csv:2", "'지표'", "'홍보'", "주민교육"]),
    "bad date": ("activities", [ACTIVITIES_HEAD, "옥수동,2015-02-30,주민교육,교육"],
                 ["활동.csv:2", "'날짜'", "'2015-02-30'", "YYYY-MM-DD"]),
    "formula in 내용": ("activities", [ACTIVITIES_HEAD,
                                       '옥수동,2015-03-02,주민교육,"=HYPERLINK(""http://x"",""열기"")"'],
                        ["활동.csv:2", "'내용'", "수식", "=HYPERLINK"]),
    "formula after a tab": ("activities", [ACTIVITIES_HEAD, "옥수동,2015-03-02,주민교육,\t@SUM(1)"],
                            ["활동.csv:2", "'내용'", "수식", "@SUM(1)"]),
    "duplicate activity": ("activities", [ACTIVITIES_HEAD,
                                          "옥수동,2015-03-02,지역행사,봄 축제 홍보",
                                          "옥수동,2015-03-02,주민교육,봄 축제  홍보"],
                           ["활동.csv:3", "2행 '지역행사'", "3행 '주민교육'", "중복"]),
}


@pytest.mark.parametrize("which, lines, expected", BAD_INPUTS.values(), ids=BAD_INPUTS)
def test_bad_input_names_file_row_and_column_and_writes_nothing(tmp_path, capsys, which,
                                                                 lines, expected):
    counts = write(tmp_path / "실적.csv", lines if which == "counts" else counts_lines())
    activities = write(tmp_path / "활동.csv", lines if which == "activities"
                       else [ACTIVITIES_HEAD])
    out = tmp_path / "평가"
    code = main(["evaluate", "--counts", str(counts), "--activities", str(activities),
                 "--year", "2015", "--ledger", str(tmp_path / "x.sqlite"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    for text in expected:
        assert text in err
    assert not out.exists()


def test_the_report_carries_every_dongs_total_and_its_chart(tmp_path, capsys):
    out = tmp_path / "평가"
    assert main(["evaluate", "--counts", str(EXAMPLES / "실적.csv"), "--activities",
                 str(EXAMPLES / "활동.csv"), "--year", "2015", "--ledger",
                 str(tmp_path / "x.sqlite"), "--gu", "407398,362095,23455",
                 "--out", str(out), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pdf = (out / "평가결과.pdf").read_bytes()
    pages = read_pages(pdf)
    assert all(round(page.width_mm) == 210 and round(page.height_mm) == 297 for page in pages)
    table = pages[0].lines
    for entry in report["dongs"]:
        row = next(line for line in table if line.startswith(f"{entry['rank']}위 "
                                                             f"{entry['dong']} "))
        assert row.split()[-1] == str(entry["total"]), row
    assert "51.4%" in pages[0].text
    assert "2015-01-01 ~ 2015-11-30" in pages[0].text
    note = "활동.csv 141행: 옥수동 2015-12-05 지역행사"
    assert _squeezed(note) in _squeezed(pdf_text(pages))
    chart = pages[-1].text
    assert all(entry["dong"] in chart for entry in report["dongs"])
    csv_bytes = (out / "평가결과.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert len(csv_bytes.decode("utf-8-sig").splitlines()) == 18


def _squeezed(text: str) -> str:
    return "".join(text.split())


def pdf_text(pages) -> str:
    return "\n".join(page.text for page in pages)


def test_the_chart_draws_each_bar_as_long_as_the_dongs_total(tmp_path, capsys):
    from leaflets.evaluation import evaluate, period
    from leaflets.evaluation_io import read_activities, read_counts
    from leaflets.evaluation_report import chart_svg
    from leaflets.render import rasterize

    result = evaluate(read_counts(EXAMPLES / "실적.csv"), read_activities(EXAMPLES / "활동.csv"),
                      period(2015))
    svg = chart_svg(result)
    assert svg.count("<rect") >= 17 * 2 + 3
    out = tmp_path / "평가"
    assert main(["evaluate", "--counts", str(EXAMPLES / "실적.csv"), "--activities",
                 str(EXAMPLES / "활동.csv"), "--year", "2015", "--ledger",
                 str(tmp_path / "x.sqlite"), "--out", str(out)]) == 0
    image = list(rasterize((out / "평가결과.pdf").read_bytes(), 100))[-1].convert("RGB")
    # Bars: count the non-white, non-grey columns along each bar's middle line.
    lengths = _bar_lengths(image, len(result.scores))
    totals = [s.total for s in result.scores]
    per_point = lengths[0] / totals[0]
    for length, total in zip(lengths, totals, strict=True):
        assert abs(length - total * per_point) <= 2, (lengths, totals)


def _bar_lengths(image, bars):
    """Coloured pixels per bar row, top to bottom (a coloured pixel: its channels differ)."""
    width, height = image.size
    pixels = image.load()
    rows = []
    for y in range(height):
        coloured = sum(1 for x in range(width)
                       if max(pixels[x, y]) - min(pixels[x, y]) > 60)
        rows.append(coloured)
    lengths, inside = [], False
    for count in rows:
        if count > 20 and not inside:
            lengths.append(count)
            inside = True
        elif count > 20:
            lengths[-1] = max(lengths[-1], count)
        else:
            inside = False
    return lengths[-bars:]


def test_evaluate_has_korean_help_with_an_example(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "예) leaflets evaluate --counts" in text and "--gu" in text
