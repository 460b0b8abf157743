"""Write an :class:`~leaflets.evaluation.Evaluation`: terminal table, CSV, and the
결재-ready A4 PDF report with its stacked bar chart (inline SVG made here)."""

from __future__ import annotations

import csv
import io
import json
from html import escape

from leaflets.evaluation import (
    INDICATORS,
    PROMOTION_CAP,
    PROMOTION_POINTS,
    PROMOTION_TIMES,
    SPECIAL_CAP,
    SPECIAL_POINTS,
    USE_TOP,
    Evaluation,
    as_dict,
    cases_from_ledger,
)
from leaflets.korean import pad
from leaflets.theme import css_colour

CSV_HEADER = ("순위", "동", "민원24_신청건수", "주민등록창구_처리건수", "신청율(%)",
              "이용실적", "홍보교육", "특수사업", "합계")
SECTIONS = (("use", "이용실적", "navy"), ("promotion", "홍보·교육", "blue"),
            ("special", "특수사업", "sun"))
RULES = (
    f"이용실적({USE_TOP}점): 신청율 = 민원24 신청건수 ÷ 洞 주민등록창구 민원처리건수 × 100. "
    f"신청율을 반올림하지 않고 그대로 비교해 순위를 매기며 1위 {USE_TOP}점, 순위마다 1점씩 "
    "뺍니다. 신청율이 같으면 같은 순위(높은 쪽)이고 다음 순위는 건너뜁니다 (1, 2, 2, 4).",
    f"홍보·교육({PROMOTION_CAP}점): 지표 {len(INDICATORS)}개(" + ", ".join(INDICATORS.values())
    + f")마다 1회 {PROMOTION_POINTS}점, {PROMOTION_TIMES}회까지 인정. 한 활동은 한 지표에만 "
    "인정합니다 (중복 적용 불인정).",
    f"특수사업({SPECIAL_CAP}점): 건당 {SPECIAL_POINTS}점 (자체홍보물 제작, 협약, 안내기관 대상 "
    "홍보 등). 평가 기간에 발주한 동 자체홍보물은 발주 기록에서 1건으로 세되, 활동 파일에 "
    "이미 있으면 다시 세지 않습니다.",
    "합계 100점. 평가 기간 밖의 활동은 빼고 참고에 적습니다.",
)


def percent(value) -> str:
    """A rate for people: one decimal."""
    return f"{float(value):.1f}%"


_WIDTHS = (6, 14, 10, 10, 10, 8, 8, 8, 6)
TABLE_HEADER = ("순위", "동", "민원24", "창구", "신청율", "이용", "홍보", "특수", "합계")


def table_cells(s) -> tuple[str, ...]:
    """One 동's row of the ranked table, as the terminal and the web page show it."""
    return (f"{s.rank}위", s.dong, f"{s.applications:,}", f"{s.counter:,}", percent(s.rate),
            str(s.use), str(s.promotion), str(s.special), str(s.total))


def _row(cells) -> str:
    return "".join(pad(cell, width, right=index > 1)
                   for index, (cell, width) in enumerate(zip(cells, _WIDTHS, strict=True)))


def format_table(evaluation: Evaluation) -> str:
    """The ranked table for the terminal, with the period, the 구 rate and the notes."""
    lines = [f"민원24 홍보 및 이용실적 동별 평가 — 기간 {evaluation.period.start} ~ "
             f"{evaluation.period.end}"]
    if evaluation.gu is not None:
        lines.append(f"구 전체 신청율 {percent(evaluation.gu.rate)} "
                     f"(전체민원 {evaluation.gu.total:,}건)")
    lines.append(_row(TABLE_HEADER))
    lines += [_row(table_cells(s)) for s in evaluation.scores]
    lines += [f"· {dong} {case.date} {case.text}: {case.rule}"
              for dong, case in cases_from_ledger(evaluation)]
    lines += [f"※ {note}" for note in evaluation.notes]
    return "\n".join(lines) + "\n"


def as_json(evaluation: Evaluation) -> str:
    return json.dumps(as_dict(evaluation), ensure_ascii=False) + "\n"


def as_csv(evaluation: Evaluation) -> str:
    """The ranked table as CSV text (callers add a BOM for spreadsheet software)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for s in evaluation.scores:
        writer.writerow((s.rank, s.dong, s.applications, s.counter, f"{float(s.rate):.4f}",
                         s.use, s.promotion, s.special, s.total))
    return buffer.getvalue()


def chart_svg(evaluation: Evaluation, mode: str = "screen") -> str:
    """A horizontal stacked bar per 동 (이용실적, 홍보·교육, 특수사업), 0–100 points."""
    row, label_w, bar_w, top = 9, 34, 130, 10
    height = top + row * len(evaluation.scores) + 14
    colours = {key: css_colour(colour, mode) for key, _, colour in SECTIONS}
    ink, rule = css_colour("ink", mode), css_colour("rule", mode)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 12}mm" '
             f'height="{height}mm" viewBox="0 0 {label_w + bar_w + 12} {height}" '
             'font-family="Leaflets Sans" font-size="3.2">']
    x = label_w
    for key, title, _ in SECTIONS:  # legend
        parts.append(f'<rect x="{x}" y="1" width="4" height="4" fill="{colours[key]}"/>'
                     f'<text x="{x + 5.5}" y="4.4" fill="{ink}">{title}</text>')
        x += 30
    for tick in range(0, 101, 20):
        tx = label_w + bar_w * tick / 100
        parts.append(f'<line x1="{tx:g}" y1="{top - 1}" x2="{tx:g}" '
                     f'y2="{height - 12}" stroke="{rule}" stroke-width="0.2"/>'
                     f'<text x="{tx:g}" y="{height - 8}" text-anchor="middle" '
                     f'fill="{ink}">{tick}</text>')
    for index, s in enumerate(evaluation.scores):
        y = top + index * row
        parts.append(f'<g class="bar" data-dong="{escape(s.dong)}" data-total="{s.total}">'
                     f'<text x="{label_w - 2}" y="{y + 5.4}" text-anchor="end" '
                     f'fill="{ink}">{escape(s.dong)}</text>')
        x = label_w
        for key, _, _ in SECTIONS:
            width = bar_w * getattr(s, key) / 100
            if width:
                parts.append(f'<rect x="{x:g}" y="{y + 1}" width="{width:g}" '
                             f'height="{row - 2}" fill="{colours[key]}"/>')
            x += width
        parts.append(f'<text x="{x + 1.5:g}" y="{y + 5.4}" fill="{ink}">{s.total}</text></g>')
    parts.append(f'<text x="{label_w + bar_w / 2}" y="{height - 3}" text-anchor="middle" '
                 f'fill="{ink}">점수 (100점 만점)</text></svg>')
    return "".join(parts)


def report_pdf(evaluation: Evaluation, renderer, date: str) -> bytes:
    """The A4 report: ranked table, chart, 구 rate, rules, period, notes."""
    seed = as_json(evaluation)
    return renderer.render_document(
        "evaluation.html.j2", seed, evaluation=evaluation, chart=chart_svg(evaluation),
        rules=RULES, percent=percent, date=date,
        ledger_cases=cases_from_ledger(evaluation))


def report_files(evaluation: Evaluation, renderer, date: str) -> dict[str, bytes]:
    """{file name: bytes} of ``--out``: 평가결과.pdf and 평가결과.csv (UTF-8 with BOM)."""
    return {
        "평가결과.pdf": report_pdf(evaluation, renderer, date),
        "평가결과.csv": ("\ufeff" + as_csv(evaluation)).encode("utf-8"),
        "manifest.json": (json.dumps({"generator": "leaflets evaluate",
                                      "evaluation": as_dict(evaluation)},
                                     ensure_ascii=False, indent=2) + "\n").encode(),
    }
