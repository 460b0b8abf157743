"""``production.toml`` -> validated print runs and the sheet catalogue.

Owned by whoever orders the print. Read once, validated like the content
file: every problem is a :class:`~leaflets.errors.DataError` naming the
file, field and value.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from leaflets.errors import DataError
from leaflets.products import PRODUCTS

METHODS = {"work-and-turn": "돌려찍기", "sheetwise": "앞뒤판"}
MAX_QUANTITY = 10_000_000
_COLOURS = re.compile(r"^([1-4])/([0-4])$")


@dataclass(frozen=True)
class Sheet:
    """A paper size in the catalogue. ``size_mm`` is (long, short)."""

    name: str
    size_mm: tuple[float, float]
    gripper_mm: float
    margin_mm: float
    gutter_mm: float
    office: bool = False


@dataclass(frozen=True)
class Run:
    """One print job: a product, how many, on what, how."""

    product: str
    quantity: int
    stock: str
    colours: tuple[int, int]  # front, back
    finishing: tuple[str, ...]
    method: str  # for double-sided runs: a key of METHODS
    overs_percent: float
    sheets: tuple[str, ...]  # candidate sheet names (all press sheets when not limited)

    @property
    def double_sided(self) -> bool:
        return self.colours[1] > 0

    @property
    def colours_label(self) -> str:
        return f"{self.colours[0]}/{self.colours[1]}"

    @property
    def quantity_with_overs(self) -> int:
        """Copies to print: the order plus overs, rounded up."""
        basis_points = 10_000 + round(self.overs_percent * 100)
        return -(-self.quantity * basis_points // 10_000)


@dataclass(frozen=True)
class Production:
    path: Path
    runs: tuple[Run, ...]
    sheets: tuple[Sheet, ...]

    def sheet(self, name: str) -> Sheet:
        """The sheet called ``name``."""
        return next(sheet for sheet in self.sheets if sheet.name == name)

    def run(self, product: str) -> Run:
        """The run of ``product``."""
        return next(run for run in self.runs if run.product == product)

    @property
    def press_sheets(self) -> tuple[Sheet, ...]:
        return tuple(sheet for sheet in self.sheets if not sheet.office)

    @property
    def office_sheet(self) -> Sheet:
        return next(sheet for sheet in self.sheets if sheet.office)


def load_production(path: str | Path) -> Production:
    """Read and validate a production file; raise DataError on any problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DataError(path, "(파일)", "파일을 찾을 수 없습니다") from None
    except UnicodeDecodeError:
        raise DataError(path, "(파일)", "UTF-8 텍스트 파일이 아닙니다") from None
    except OSError as error:
        raise DataError(path, "(파일)", f"파일을 읽을 수 없습니다: {error.strerror}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise DataError(path, "(문법)", f"TOML 문법 오류 ({error})",
                        line=int(line.group(1)) if line else None) from None
    return _Reader(path).production(doc)


class _Reader:
    def __init__(self, path):
        self.path = path

    def fail(self, field, problem, value=None, allowed=None):
        raise DataError(self.path, field, problem, value=value, allowed=allowed)

    def keys(self, table, where, required, optional=()):
        for key in table:
            if key not in required and key not in optional:
                self.fail(f"{where}.{key}", "알 수 없는 항목입니다",
                          allowed=", ".join((*required, *optional)))
        for key in required:
            if key not in table:
                self.fail(f"{where}.{key}", "필수 항목이 없습니다")

    def number(self, table, key, where, low, high, default=None, integer=False):
        value = table.get(key, default)
        kind = "정수" if integer else "숫자"
        allowed = f"{low:,}~{high:,} 사이의 {kind}"
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            self.fail(f"{where}.{key}", f"{kind}여야 합니다", value, allowed)
        if not low <= value <= high:
            self.fail(f"{where}.{key}", "범위를 벗어났습니다", value, allowed)
        return value

    def text(self, table, key, where):
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}.{key}", "비어 있지 않은 글자여야 합니다", value)
        return value.strip()

    def list_of_text(self, table, key, where, default=()):
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.fail(f"{where}.{key}", "글자 목록이어야 합니다", value, '예: ["재단"]')
        return tuple(v.strip() for v in value)

    def table_list(self, doc, key, low, high):
        rows = doc.get(key)
        if rows is None:
            self.fail(key, "필수 항목이 없습니다", allowed=f"[[{key}]] 표 {low}개 이상")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            self.fail(key, f"[[{key}]] 표의 목록이어야 합니다", rows)
        if not low <= len(rows) <= high:
            self.fail(key, f"{len(rows)}개입니다", len(rows), f"{low}~{high}개")
        return rows

    def production(self, doc) -> Production:
        for key in doc:
            if key not in ("runs", "sheets"):
                self.fail(key, "알 수 없는 항목입니다", allowed="runs, sheets")
        sheets = tuple(self.sheet(row, f"sheets[{n}]")
                       for n, row in enumerate(self.table_list(doc, "sheets", 1, 50), start=1))
        names = [sheet.name for sheet in sheets]
        for number, name in enumerate(names, start=1):
            if names.index(name) != number - 1:
                self.fail(f"sheets[{number}].name", "같은 이름의 종이가 이미 있습니다", name)
        if not any(sheet.office for sheet in sheets):
            self.fail("sheets", "사무실 프린터용 종이(office = true)가 없습니다",
                      allowed="A4 등 office = true 인 [[sheets]] 하나 이상")
        if all(sheet.office for sheet in sheets):
            self.fail("sheets", "인쇄기용 종이(office = false)가 없습니다")
        runs = tuple(self.run(row, f"runs[{n}]", sheets)
                     for n, row in enumerate(self.table_list(doc, "runs", 1, 20), start=1))
        products = [run.product for run in runs]
        for number, product in enumerate(products, start=1):
            if products.index(product) != number - 1:
                self.fail(f"runs[{number}].product", "같은 제품의 작업이 이미 있습니다", product)
        return Production(self.path, runs, sheets)

    def sheet(self, row, where) -> Sheet:
        self.keys(row, where, ("name", "size_mm", "gripper_mm", "margin_mm"),
                  ("gutter_mm", "office"))
        size = row["size_mm"]
        allowed = "[가로, 세로] mm, 각각 50~2000 (예: [636, 939])"
        if (not isinstance(size, list) or len(size) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in size)
                or not all(50 <= v <= 2000 for v in size)):
            self.fail(f"{where}.size_mm", "종이 크기 형식이 틀렸습니다", size, allowed)
        office = row.get("office", False)
        if not isinstance(office, bool):
            self.fail(f"{where}.office", "true 또는 false 여야 합니다", office)
        return Sheet(
            name=self.text(row, "name", where),
            size_mm=(float(max(size)), float(min(size))),
            gripper_mm=float(self.number(row, "gripper_mm", where, 0, 50)),
            margin_mm=float(self.number(row, "margin_mm", where, 0, 50)),
            gutter_mm=float(self.number(row, "gutter_mm", where, 0, 50, default=0)),
            office=office,
        )

    def run(self, row, where, sheets) -> Run:
        self.keys(row, where, ("product", "quantity", "stock", "colours"),
                  ("finishing", "method", "overs_percent", "sheets"))
        product = row["product"]
        if product not in PRODUCTS:
            self.fail(f"{where}.product", "알 수 없는 제품입니다", product, ", ".join(PRODUCTS))
        colours = row["colours"]
        match = _COLOURS.match(colours) if isinstance(colours, str) else None
        if match is None:
            self.fail(f"{where}.colours", "도수 형식이 틀렸습니다", colours,
                      '"앞면도수/뒷면도수", 예: "4/4", "4/0", "1/1"')
        front, back = int(match.group(1)), int(match.group(2))
        pages = len(PRODUCTS[product].pages)
        if (pages == 2) != (back > 0):
            need = "양면(예: 4/4)" if pages == 2 else "단면(예: 4/0)"
            self.fail(f"{where}.colours", f"{pages}쪽 제품은 {need}으로 찍어야 합니다",
                      colours, need)
        method = row.get("method", "work-and-turn")
        if method not in METHODS:
            self.fail(f"{where}.method", "알 수 없는 인쇄 방식입니다", method,
                      ", ".join(f"{k}({v})" for k, v in METHODS.items()))
        names = self.list_of_text(row, "sheets", where)
        known = {sheet.name for sheet in sheets if not sheet.office}
        for name in names:
            if name not in known:
                self.fail(f"{where}.sheets", "종이 목록에 없는 인쇄기용 종이입니다", name,
                          ", ".join(sorted(known)))
        return Run(
            product=product,
            quantity=self.number(row, "quantity", where, 1, MAX_QUANTITY, integer=True),
            stock=self.text(row, "stock", where),
            colours=(front, back),
            finishing=self.list_of_text(row, "finishing", where),
            method=method,
            overs_percent=float(self.number(row, "overs_percent", where, 0, 50, default=5)),
            sheets=names,
        )
