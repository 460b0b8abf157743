"""The stored inputs of the 동 evaluation (붙임 1), shared by the 관리자 and the 17 동.

They live beside the content file, in ``evaluation/``:

- ``실적.csv`` and ``활동.csv``: the 관리자's upload, checked whole before anything
  is stored, kept as UTF-8 with a BOM (the spreadsheet software reads it back);
- ``설정.toml``: the evaluation year and the optional 구 figures.

Every write goes through :mod:`leaflets.shared` (the file's lock, ``.prev``, an
atomic write). A 동 adding an activity re-reads ``활동.csv`` under its lock and
appends, so two 동 adding at once both land. An upload carries the version of
``활동.csv`` its page showed: if a 동 added a row since, the upload is refused
(:class:`~leaflets.shared.StaleEdit`) instead of wiping that row.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import DataError, DataErrors
from leaflets.evaluation import (
    Activity,
    Count,
    Evaluation,
    GuRate,
    Period,
    check_duplicates,
    evaluate,
    gu_rate,
    period,
)
from leaflets.evaluation_io import decode, read_activities, read_counts
from leaflets.shared import StaleEdit, locked, update, version, write_atomic

FOLDER = "evaluation"
COUNTS, ACTIVITIES, SETTINGS = "실적.csv", "활동.csv", "설정.toml"
NAMES = (COUNTS, ACTIVITIES, SETTINGS)
YEARS = range(2000, 2101)
MAX_TEXT = 200  # characters of one activity's 내용


@dataclass(frozen=True)
class Inputs:
    """What is stored now: the year, the 구 figures, both files read and checked."""
    year: int
    gu_text: str  # as the 관리자 typed it, "" for none
    gu: GuRate | None
    counts: tuple[Count, ...]
    activities: tuple[Activity, ...]
    activities_version: str  # of 활동.csv, for the next upload's stale check

    @property
    def period(self) -> Period:
        return period(self.year)


def folder_of(data: Path) -> Path:
    """The evaluation folder of the office whose content file is ``data``."""
    return Path(data).resolve().parent / FOLDER


def stored_files(data: Path) -> list[Path]:
    """The evaluation files of the office (those that exist), for backups."""
    folder = folder_of(data)
    return [folder / name for name in NAMES if (folder / name).is_file()]


def parse_year(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) not in YEARS:
        raise DataError(SETTINGS, "평가 연도", "연도는 네 자리 숫자여야 합니다", value=text,
                        allowed=f"{YEARS.start}~{YEARS.stop - 1}")
    return int(text)


def parse_gu(text: str) -> GuRate | None:
    """The 구 figures as ``leaflets evaluate --gu`` takes them: 민원24,주민등록창구,새올행정방문
    ("" for none)."""
    if not text.strip():
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts) \
            or not sum(map(int, parts)):
        raise DataError(SETTINGS, "구 전체 건수", "민원24, 주민등록창구, 새올행정방문 건수 세 개를 "
                        "쉼표로 나눠 적어 주세요", value=text, allowed="예: 407398,362095,23455")
    return gu_rate(*map(int, parts))


def as_stored(data: bytes, name: str) -> bytes:
    """An upload's text as stored: UTF-8 with a BOM, whatever encoding it came in."""
    return ("\ufeff" + decode(data, name)).encode("utf-8")


def _settings(year: int, gu_text: str) -> bytes:
    lines = [f"# 동별 평가(붙임 1) 설정: 웹 화면에서 저장\nyear = {year}\n"]
    if gu_text.strip():
        lines.append(f'gu = "{gu_text.strip()}"\n')
    return "".join(lines).encode("utf-8")


def check_upload(counts: bytes, activities: bytes, year: str, gu_text: str, *,
                 counts_name: str = COUNTS, activities_name: str = ACTIVITIES
                 ) -> dict[str, bytes]:
    """{file name: bytes to store} for an upload, or every error of it at once."""
    errors: list[DataError] = []
    for check in (lambda: parse_year(year), lambda: parse_gu(gu_text),
                  lambda: read_counts(counts_name, counts)):
        try:
            check()
        except DataError as error:
            errors += getattr(error, "errors", (error,))
    try:
        check_duplicates(read_activities(activities_name, activities))
    except DataError as error:
        errors += getattr(error, "errors", (error,))
    if errors:
        raise errors[0] if len(errors) == 1 else DataErrors(errors)
    return {COUNTS: as_stored(counts, counts_name),
            ACTIVITIES: as_stored(activities, activities_name),
            SETTINGS: _settings(int(year), gu_text)}


def _replace(path: Path, expected: str | None, new: bytes) -> None:
    """Put ``new`` at ``path`` under its lock if it is still at version ``expected``
    (None: any; a missing file counts as empty), keeping the old bytes as ``.prev``."""
    with locked(path):
        old = path.read_bytes() if path.exists() else b""
        if expected is not None and version(old) != expected:
            raise StaleEdit(f"{path.name}을(를) 그 사이에 동 담당자가 고쳤습니다(활동 추가). "
                            "저장하지 않았습니다: 지금 저장된 활동.csv를 내려받아 합친 뒤 "
                            "다시 올려 주세요")
        if new != old:
            if path.exists():
                write_atomic(path.with_name(path.name + ".prev"), old)
            write_atomic(path, new)


def store_upload(data: Path, files: dict[str, bytes], activities_version: str) -> None:
    """Store a checked upload (:func:`check_upload`). ``활동.csv`` goes first, with its
    stale check: a refused upload changes nothing."""
    folder = folder_of(data)
    folder.mkdir(exist_ok=True)
    _replace(folder / ACTIVITIES, activities_version, files[ACTIVITIES])
    for name in (COUNTS, SETTINGS):
        _replace(folder / name, None, files[name])


def load(data: Path) -> Inputs | None:
    """The stored inputs, or None before the first upload."""
    folder = folder_of(data)
    if not all((folder / name).is_file() for name in NAMES):
        return None
    settings = tomllib.loads((folder / SETTINGS).read_text(encoding="utf-8"))
    gu_text = settings.get("gu", "")
    activities = (folder / ACTIVITIES).read_bytes()
    return Inputs(int(settings["year"]), gu_text, parse_gu(gu_text),
                  read_counts(COUNTS, (folder / COUNTS).read_bytes()),
                  read_activities(ACTIVITIES, activities), version(activities))


def scores(inputs: Inputs, orders) -> Evaluation:
    """The evaluation of the stored inputs, with the ledger's 동 orders as 특수사업."""
    return evaluate(inputs.counts, inputs.activities, inputs.period, orders, inputs.gu)


def activity_row(dong: str, date: str, indicator: str, text: str) -> str:
    """One CSV line of 활동.csv (quoted as needed, 내용's spaces and line breaks folded)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        (dong, date.strip(), indicator.strip(), " ".join(text.split())))
    return buffer.getvalue()


def append_activity(data: Path, dong: str, date: str, indicator: str, text: str) -> Activity:
    """Add one activity of ``dong`` to the stored 활동.csv, re-read under its lock.

    Refused (DataError naming 활동.csv, the row and the column) like a bad row of an
    upload, and also when the date is outside the evaluation period."""
    inputs = load(data)
    if inputs is None:
        raise DataError(ACTIVITIES, "(파일)", "관리자가 아직 평가 자료(실적.csv, 활동.csv)를 "
                        "올리지 않았습니다")
    if len(" ".join(text.split())) > MAX_TEXT:
        raise DataError(ACTIVITIES, "내용", f"내용은 {MAX_TEXT}자까지 쓸 수 있습니다",
                        value=text[:40] + "…")
    added: list[Activity] = []

    def change(old: bytes) -> bytes:
        existing = decode(old, ACTIVITIES)
        if existing and not existing.endswith(("\n", "\r")):
            existing += "\r\n"
        return ("\ufeff" + existing.removeprefix("\ufeff")
                + activity_row(dong, date, indicator, text)).encode("utf-8")

    def validate(new: bytes) -> None:
        activities = read_activities(ACTIVITIES, new)
        check_duplicates(activities)
        last = activities[-1]
        if last.date not in inputs.period:
            raise DataError(ACTIVITIES, "날짜", f"평가 기간({inputs.period.start} ~ "
                            f"{inputs.period.end}) 밖의 날짜입니다", value=date.strip(),
                            line=last.row)
        added.append(last)

    update(folder_of(data) / ACTIVITIES, None, change, validate)
    return added[0]
