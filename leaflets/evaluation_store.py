"""The stored inputs of the 동 evaluation (붙임 1), shared by the 관리자 and the 17 동.

They live beside the content file, in ``evaluation/``:

- ``실적.csv`` and ``활동.csv``: the 관리자's upload, checked whole before anything
  is stored, kept as UTF-8 with a BOM (the spreadsheet software reads it back);
- ``설정.toml``: the evaluation year and the optional 구 figures.

Every write goes through :mod:`leaflets.shared` (the file's lock, ``.prev``, an
atomic write); an upload replaces the three files as one set
(:func:`~leaflets.shared.update_all`), so a failure halfway (a full disk) leaves
the previous set whole. A 동 adding an activity re-reads ``활동.csv`` under its lock and
appends, so two 동 adding at once both land. An upload carries the version of
``활동.csv`` its page showed: if a 동 added a row since, the upload is refused
(:class:`~leaflets.shared.StaleEdit`) instead of wiping that row.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from leaflets.errors import DataError, DataErrors, OutputError
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
from leaflets.evaluation_io import NUMBER, decode, read_activities, read_counts
from leaflets.shared import StaleEdit, update, update_all, version
from leaflets.tomlfile import read_file

FOLDER = "evaluation"
COUNTS, ACTIVITIES, SETTINGS = "실적.csv", "활동.csv", "설정.toml"
NAMES = (COUNTS, ACTIVITIES, SETTINGS)
YEARS = range(2000, 2101)
MAX_TEXT = 200  # characters of one activity's 내용
_YEAR = re.compile("[0-9]{4}")


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


def parse_year(text) -> int:
    """The evaluation year: four ASCII digits in 2000–2100."""
    text = str(text).strip()
    if not _YEAR.fullmatch(text) or int(text) not in YEARS:
        raise DataError(SETTINGS, "평가 연도", "연도는 네 자리 숫자여야 합니다", value=text,
                        allowed=f"{YEARS.start}~{YEARS.stop - 1}")
    return int(text)


def gu_figures(text: str) -> tuple[int, int, int] | None:
    """The 구 figures as ``leaflets evaluate --gu`` takes them: 민원24,주민등록창구,새올행정방문
    (ASCII digits; with thousands separators, the three split by ``/`` instead), or None
    for "" (none)."""
    if not text.strip():
        return None
    parts = [part.strip() for part in re.split("/" if "/" in text else ",", text)]
    if len(parts) == 3 and all(NUMBER.fullmatch(part) for part in parts):
        figures = tuple(int(part.replace(",", "")) for part in parts)
        if sum(figures):
            return figures
    raise DataError(SETTINGS, "구 전체 건수", "민원24, 주민등록창구, 새올행정방문 건수 세 개를 "
                    "쉼표로 나눠 적어 주세요 (천 단위 쉼표를 쓰면 세 건수는 / 로 나눔)",
                    value=text, allowed="예: 407398,362095,23455 또는 407,398 / 362,095 / 23,455")


def parse_gu(text: str) -> GuRate | None:
    """The 구 rate of :func:`gu_figures` (None for "")."""
    figures = gu_figures(text)
    return None if figures is None else gu_rate(*figures)


def as_stored(data: bytes, name: str) -> bytes:
    """An upload's text as stored: UTF-8 with a BOM, whatever encoding it came in."""
    return ("\ufeff" + decode(data, name)).encode("utf-8")


def _settings(year: int, gu: tuple[int, int, int] | None) -> bytes:
    """설정.toml from checked values (tomlkit writes it, so it is always valid TOML)."""
    document = tomlkit.document()
    document.add(tomlkit.comment("동별 평가(붙임 1) 설정: 웹 화면에서 저장"))
    document["year"] = year
    if gu is not None:
        document["gu"] = ",".join(map(str, gu))
    return tomlkit.dumps(document).encode("utf-8")


def check_upload(counts: bytes, activities: bytes, year: str, gu_text: str, *,
                 counts_name: str = COUNTS, activities_name: str = ACTIVITIES
                 ) -> dict[str, bytes]:
    """{file name: bytes to store} for an upload, or every error of it at once."""
    errors: list[DataError] = []
    checked = {}
    for name, check in (("year", lambda: parse_year(year)), ("gu", lambda: gu_figures(gu_text)),
                        ("counts", lambda: read_counts(counts_name, counts))):
        try:
            checked[name] = check()
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
            SETTINGS: _settings(checked["year"], checked["gu"])}


def store_upload(data: Path, files: dict[str, bytes], activities_version: str) -> None:
    """Store a checked upload (:func:`check_upload`) as one set: the three files change
    together or not at all (:func:`leaflets.shared.update_all`: every lock, the stale
    check of ``활동.csv``, the whole set read back as :func:`load` reads it, all three
    written out before the first rename)."""
    folder = folder_of(data)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise OutputError(f"'{folder.name}' 폴더를 만들 수 없습니다: {error.strerror}") \
            from None
    try:
        update_all([(folder / name, activities_version if name == ACTIVITIES else None,
                     lambda old, new=files[name]: new) for name in NAMES],
                   lambda news: _read(dict(zip(NAMES, news, strict=True))), create=True)
    except StaleEdit:
        raise StaleEdit(f"{ACTIVITIES}을(를) 그 사이에 동 담당자가 고쳤습니다(활동 추가). "
                        "저장하지 않았습니다: 지금 저장된 활동.csv를 내려받아 합친 뒤 "
                        "다시 올려 주세요") from None


def _read(files: dict[str, bytes]) -> Inputs:
    """The inputs of the three stored files' bytes; a DataError naming the file if one
    was changed by hand into something wrong."""
    try:
        settings = tomllib.loads(files[SETTINGS].decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DataError(SETTINGS, "(파일)", f"TOML 형식이 틀렸습니다 ({error}). 관리자가 평가 "
                        "자료를 다시 올리면 새로 만들어집니다") from None
    gu_text = settings.get("gu", "")
    if not isinstance(gu_text, str):
        raise DataError(SETTINGS, "gu", "따옴표로 감싼 글이어야 합니다", value=gu_text,
                        allowed='예: gu = "407398,362095,23455"')
    return Inputs(parse_year(settings.get("year", "")), gu_text, parse_gu(gu_text),
                  read_counts(COUNTS, files[COUNTS]),
                  read_activities(ACTIVITIES, files[ACTIVITIES]), version(files[ACTIVITIES]))


def load(data: Path) -> Inputs | None:
    """The stored inputs, or None before the first upload."""
    folder = folder_of(data)
    if not all((folder / name).is_file() for name in NAMES):
        return None
    return _read({name: read_file(folder / name) for name in NAMES})


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
