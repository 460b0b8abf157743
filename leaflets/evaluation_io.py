"""Read the offices' exports for 붙임 1: 실적.csv and 활동.csv, and the 동 orders of the ledger.

Korean spreadsheet software saves CSV as CP949, or as UTF-8 with or without a
BOM: the encoding is detected. Numbers may carry thousands separators. Every
wrong value is a :class:`DataError` naming the file, the row (as the file
counts it: the header is row 1) and the column; all of a file's errors are
reported at once.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import re
from pathlib import Path

from leaflets.dongs import DONG_NAMES
from leaflets.errors import DataError, DataErrors
from leaflets.evaluation import INDICATORS, SPECIAL, Activity, Count, Order

COUNTS_HEADER = ("동", "민원24_신청건수", "주민등록창구_처리건수")
ACTIVITIES_HEADER = ("동", "날짜", "지표", "내용")
NUMBER = re.compile(r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+")  # ASCII digits, thousands separators
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads a formula


def decode(data: bytes, path) -> str:
    """The text of a CSV export: UTF-8 (with or without BOM) or CP949."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(path, "(파일 전체)", "글자 인코딩을 알 수 없습니다. 스프레드시트에서 "
                    "'CSV UTF-8' 또는 'CSV (쉼표로 분리)'로 다시 저장해 주세요",
                    allowed="UTF-8, CP949")


def _rows(path, header, data: bytes | None = None):
    """(row number, cells) of every non-empty data row, after checking the header.

    ``data``: the file's bytes when they are not read from ``path`` (an upload)."""
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DataError(path, "(파일 전체)", f"파일을 읽을 수 없습니다 ({error.strerror})") \
                from None
    lines = list(csv.reader(decode(data, path).splitlines()))
    found = tuple(cell.strip() for cell in lines[0]) if lines else ()
    if found != header:
        raise DataError(path, "(머리글)", "첫 줄(머리글)이 다릅니다", value=",".join(found),
                        allowed=",".join(header), line=1)
    for number, cells in enumerate(lines[1:], start=2):
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield number, cells + [""] * (len(header) - len(cells))


def _count(text: str, path, column: str, row: int, errors: list) -> int | None:
    if NUMBER.fullmatch(text):
        return int(text.replace(",", ""))
    problem = ("음수는 쓸 수 없습니다" if text.startswith("-") and NUMBER.fullmatch(text[1:])
               else "건수는 0 이상의 정수여야 합니다")
    errors.append(DataError(path, column, problem, value=text, allowed="예: 1234 또는 1,234",
                            line=row))
    return None


def _dong(text: str, path, row: int, errors: list) -> bool:
    if text in DONG_NAMES:
        return True
    errors.append(DataError(path, "동", "성동구의 행정동이 아닙니다", value=text,
                            allowed=", ".join(DONG_NAMES), line=row))
    return False


def read_counts(path, data: bytes | None = None) -> tuple[Count, ...]:
    """실적.csv: one row per 동, all 17, 처리건수 above 0 (``data``: its bytes, if given)."""
    errors, counts, rows_of = [], [], {}
    for row, cells in _rows(path, COUNTS_HEADER, data):
        name, applications, counter = cells[:3]
        known = _dong(name, path, row, errors)
        applications = _count(applications, path, COUNTS_HEADER[1], row, errors)
        counter_text = counter
        counter = _count(counter, path, COUNTS_HEADER[2], row, errors)
        if counter == 0:
            errors.append(DataError(path, COUNTS_HEADER[2], "처리건수가 0이면 신청율을 "
                                    "계산할 수 없습니다", value=counter_text,
                                    allowed="1 이상", line=row))
        if known and name in rows_of:
            errors.append(DataError(path, "동", f"{rows_of[name]}행과 같은 동이 또 있습니다. "
                                    "동마다 한 줄만 써 주세요", value=name, line=row))
        elif known:
            rows_of[name] = row
        if known and applications is not None and counter:
            counts.append(Count(name, applications, counter, row))
    missing = [name for name in DONG_NAMES if name not in rows_of]
    if missing:
        errors.append(DataError(path, "동", f"없는 동이 {len(missing)}곳 있습니다. "
                                "17개 동 모두 한 줄씩 있어야 합니다", value=", ".join(missing)))
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)
    return tuple(counts)


def read_activities(path, data: bytes | None = None) -> tuple[Activity, ...]:
    """활동.csv: 동, 날짜 (YYYY-MM-DD), 지표 (one of the five or 특수사업), 내용
    (``data``: its bytes, if given). 내용 starting like a spreadsheet formula (= + - @)
    is refused: the 관리자 opens this file in Excel."""
    errors, activities = [], []
    allowed = list(INDICATORS) + [SPECIAL]
    for row, cells in _rows(path, ACTIVITIES_HEADER, data):
        name, date_text, indicator, text = cells[:4]
        known = _dong(name, path, row, errors)
        date = None
        if _DATE.fullmatch(date_text):
            with contextlib.suppress(ValueError):  # 2015-02-30
                date = datetime.date.fromisoformat(date_text)
        if date is None:
            errors.append(DataError(path, "날짜", "날짜가 틀렸습니다", value=date_text,
                                    allowed="YYYY-MM-DD (예: 2015-05-04)", line=row))
        if indicator not in allowed:
            errors.append(DataError(path, "지표", "모르는 지표입니다", value=indicator,
                                    allowed=", ".join(allowed), line=row))
        if not text:
            errors.append(DataError(path, "내용", "내용이 비어 있습니다", line=row))
        elif text.startswith(FORMULA_STARTS):
            errors.append(DataError(path, "내용", "내용이 = + - @ 로 시작하면 엑셀이 수식으로 "
                                    "읽어 실행할 수 있어 받지 않습니다. 앞에 다른 글자를 넣어 "
                                    "주세요", value=text, allowed="예: '행사 홍보 (+3회)'",
                                    line=row))
            text = ""
        if known and date is not None and indicator in allowed and text:
            activities.append(Activity(name, date, indicator, text, row, str(path)))
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)
    return tuple(activities)


def ledger_orders(ledger) -> tuple[Order, ...]:
    """The standing orders of the ledger that carry a 동 (none without a ledger file)."""
    return tuple(Order(o.id, o.dong, o.ordered_on, o.package) for o in ledger.orders()
                 if o.dong and not o.voided)
