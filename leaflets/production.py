"""``production.toml`` -> validated print runs, sheet catalogue, budget and prices.

Owned by whoever orders the print. Read once, validated like the content
file: every problem is a :class:`~leaflets.errors.DataError` naming the
file, field and value.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ImageCms

from leaflets.errors import DataError
from leaflets.products import PRODUCTS
from leaflets.project import PROFILE
from leaflets.text import check_strings
from leaflets.tomlfile import parse_toml, read_file

METHODS = {"work-and-turn": "돌려찍기", "sheetwise": "앞뒤판"}
PRICINGS = {"build-up": "원가 계산", "quote": "견적표"}
QUOTE_UNITS = {"copy": "부", "thousand": "1,000부", "ream": "연"}
MAX_QUANTITY = 10_000_000
MAX_WON = 10_000_000_000
MEDIA_PX = (100, 4000)  # a banner's side, in pixels
# A 배너기's side, mm. A PDF page may be at most 200 inches (5,080 mm, PDF 1.6 Annex C)
# including the marks around the bleed: 3,000 mm leaves room and covers every stand sold.
XBANNER_MM = (300, 3000)
MAX_SPOTS = 8
SPOT_CHARS = 60
# Colorant names a PDF reserves: process plates, registration colour, no ink.
_NOT_SPOTS = ("Cyan", "Magenta", "Yellow", "Black", "All", "None")
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
    tail_mm: float = 0.0  # the edge opposite the gripper; the plan adds its furniture's room
    stock: str = ""  # an office sheet's paper, as its slug names it (default "사무용 A4")

    @property
    def office_stock(self) -> str:
        """What an office printer is loaded with: ``stock`` or "사무용 <name>", never the
        press stock of the run (the office copies are not printed on 아트지)."""
        return self.stock or f"사무용 {self.name}"


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
    send_imposed: bool = False  # the vendor package carries this run's imposed sheets
    allocation: int | None = None  # 원, this run's share of the budget
    pricing: str = "build-up"  # a key of PRICINGS
    quote: str | None = None  # name of the quote table, for pricing = "quote"

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
class PaperPrice:
    stock: str
    sheet: str
    per_sheet: int  # 원


@dataclass(frozen=True)
class FinishingPrice:
    name: str
    per_job: int  # 원 once per run
    per_thousand: int  # 원 per 1,000 copies ordered (started thousands count)


@dataclass(frozen=True)
class QuoteTable:
    """A shop's published price table: quantity (in ``unit``) -> price for that quantity."""

    name: str
    product: str
    unit: str  # a key of QUOTE_UNITS
    rows: tuple[tuple[int, int], ...]  # (quantity in units, price in 원), ascending
    vat_included: bool
    copies_per_ream: int | None = None  # for unit = "ream"


@dataclass(frozen=True)
class Prices:
    """The vendor price list: a cost build-up for offset printing and quote tables."""

    example: bool  # the shipped list is an example: reports say so
    vat_included: bool  # for the build-up figures
    plate: int  # 소부비: 원 per plate (one colour)
    impression_per_ream: int  # 인쇄비: 원 per colour per 연 (500 sheets through the press)
    minimum_reams: float  # per colour and pass
    makeready_sheets: int  # spoiled sheets per plate set
    delivery: int  # 원 per run
    paper: tuple[PaperPrice, ...]
    finishing: tuple[FinishingPrice, ...]
    quotes: tuple[QuoteTable, ...]

    def paper_price(self, stock: str, sheet: str) -> int | None:
        return next((p.per_sheet for p in self.paper if (p.stock, p.sheet) == (stock, sheet)),
                    None)

    def quote(self, name: str) -> QuoteTable:
        return next(q for q in self.quotes if q.name == name)

    @property
    def stocks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.stock for p in self.paper))


@dataclass(frozen=True)
class Order:
    """Who orders, where and when the print is delivered: the 발주 details."""

    client: str  # 발주처
    contact: str = ""  # 담당자 and phone
    delivery_place: str = ""
    delivery_date: datetime.date | None = None
    vendor: str = ""  # 인쇄소, when known


@dataclass(frozen=True)
class MediaSettings:
    """``[media]``: sizes of the screen media (leaflets.media), in pixels."""

    banner_sizes: tuple[tuple[int, int], ...] = ((300, 250), (1200, 630))
    homepage_slot: tuple[int, int] | None = None  # the 구 homepage's banner slot
    xbanner_mm: tuple[float, float] = (600.0, 1800.0)  # the 배너기 print, width × height


@dataclass(frozen=True)
class OutputCondition:
    """The printing condition the CMYK is made for: a validated output ICC profile."""

    identifier: str  # the OutputIntent's OutputConditionIdentifier
    description: str  # the profile's own description: OutputCondition and Info
    data: bytes  # the ICC profile (output class, CMYK, version 2 or 4)
    registry: str = ""  # where ``identifier`` is registered, "" for a vendor's own

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


BUILTIN_OUTPUT = "FOGRA39"
_BUILTIN_DESCRIPTION = "Offset, coated paper (ISO 12647-2, FOGRA39L)"


@functools.cache
def builtin_output() -> OutputCondition:
    """The built-in FOGRA39 condition (profiles/FOGRA39L.icc)."""
    return OutputCondition(BUILTIN_OUTPUT, _BUILTIN_DESCRIPTION, PROFILE.read_bytes(),
                           "http://www.color.org")


@dataclass(frozen=True)
class Production:
    path: Path
    runs: tuple[Run, ...]
    sheets: tuple[Sheet, ...]
    allocation: int | None = None  # 원, the whole budget
    prices: Prices | None = None
    order: Order | None = None
    media: MediaSettings = MediaSettings()
    output: OutputCondition = field(default_factory=builtin_output)
    spots: tuple[str, ...] = ()  # spot colours the vendor prints besides CMYK ([output] spots)

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
    return parse_production(read_file(path), path)


def parse_production(raw: bytes, path: str | Path) -> Production:
    """Validate the bytes of a production file (a save checks its new text in memory)."""
    path = Path(path)
    doc = parse_toml(raw, path)
    check_strings(path, doc)  # one-line fields refuse a line feed themselves
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
            if key not in ("runs", "sheets", "budget", "prices", "order", "media", "output"):
                self.fail(key, "알 수 없는 항목입니다",
                          allowed="runs, sheets, budget, prices, order, media, output")
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
        allocation = None
        if "budget" in doc:
            budget = self.table(doc, "budget")
            self.keys(budget, "budget", ("allocation",))
            allocation = self.number(budget, "allocation", "budget", 0, MAX_WON, integer=True)
        prices = self.prices(self.table(doc, "prices"), names) if "prices" in doc else None
        for number, run in enumerate(runs, start=1):
            self.check_pricing(run, f"runs[{number}]", prices)
        order = self.order(self.table(doc, "order")) if "order" in doc else None
        media = self.media(self.table(doc, "media")) if "media" in doc else MediaSettings()
        output, spots = None, ()
        if "output" in doc:
            table = self.table(doc, "output")
            self.keys(table, "output", (), ("profile", "spots"))
            output = self.output(table) if "profile" in table else None
            spots = self.spots(table)
        return Production(self.path, runs, sheets, allocation, prices, order, media=media,
                          output=output or builtin_output(), spots=spots)

    def spots(self, table) -> tuple[str, ...]:
        """``[output] spots``: the spot colours (별색) the vendor prints, by their PDF names."""
        value = table.get("spots", [])
        where = "output.spots"
        allowed = (f'인쇄소와 약속한 별색 이름의 목록, {MAX_SPOTS}개 이하, 이름마다 '
                   f'{SPOT_CHARS}자 이하 (예: ["PANTONE 286 C"]); 별색이 없으면 []')
        if not isinstance(value, list):
            self.fail(where, "별색 이름의 목록이어야 합니다", value, allowed)
        if len(value) > MAX_SPOTS:
            self.fail(where, f"별색이 {len(value)}개입니다", len(value), allowed)
        spots, seen = [], {}
        for number, name in enumerate(value, start=1):
            at = f"{where}[{number}]"
            if not isinstance(name, str) or not name.strip():
                self.fail(at, "비어 있지 않은 글자여야 합니다", name, allowed)
            name = name.strip()
            if len(name) > SPOT_CHARS or not name.isprintable():
                self.fail(at, "별색 이름으로 쓸 수 없는 글자입니다", name, allowed)
            key = name.lstrip("/").casefold()
            if key in {reserved.casefold() for reserved in _NOT_SPOTS}:
                self.fail(at, "CMYK 판이나 맞춤색의 이름이지 별색이 아닙니다", name, allowed)
            if key in seen:
                self.fail(at, f"{seen[key]}번째 별색과 같은 이름입니다", name, allowed)
            seen[key] = number
            spots.append(name)
        return tuple(spots)

    def output(self, table) -> OutputCondition:
        """``[output] profile``: "FOGRA39" or a vendor's ICC file in the project folder."""
        name = self.text(table, "profile", "output")
        if name == BUILTIN_OUTPUT:
            return builtin_output()
        where, allowed = "output.profile", f'"{BUILTIN_OUTPUT}" 또는 이 폴더 안의 .icc 파일 경로'
        folder = self.path.resolve().parent
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            self.fail(where, "프로젝트 폴더 밖의 파일입니다", name, allowed)
        try:
            data = path.read_bytes()
        except OSError as error:
            missing = isinstance(error, FileNotFoundError)
            problem = "파일이 없습니다" if missing else "읽을 수 없습니다"
            self.fail(where, f"ICC 프로파일 {problem}", name, allowed)
        if len(data) < 132 or data[36:40] != b"acsp":
            self.fail(where, "ICC 프로파일이 아닙니다", name, allowed)
        kind, space, version = data[12:16], data[16:20], data[8]
        if kind != b"prtr":
            self.fail(where, f"출력(인쇄)용 프로파일이 아닙니다 (종류 "
                      f"'{kind.decode('latin-1').strip()}', 'prtr' 이어야 함)", name,
                      "인쇄소가 준 CMYK 출력 프로파일")
        if space != b"CMYK":
            self.fail(where, f"CMYK 프로파일이 아닙니다 (색 공간 "
                      f"'{space.decode('latin-1').strip()}')", name,
                      "인쇄소가 준 CMYK 출력 프로파일")
        if version not in (2, 4):
            self.fail(where, f"ICC 버전 {version} 입니다", name, "ICC 버전 2 또는 4")
        try:
            description = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile.profile_description
        except (OSError, ImageCms.PyCMSError):
            self.fail(where, "ICC 프로파일을 읽을 수 없습니다 (손상됨)", name, allowed)
        description = (description or "").strip() or path.stem
        return OutputCondition(description, description, data)

    def media(self, table) -> MediaSettings:
        """``[media]``: banner sizes [[가로, 세로], ...] and the homepage slot, in px."""
        self.keys(table, "media", (), ("banner_sizes", "homepage_slot", "xbanner_mm"))
        allowed = f"[가로, 세로] 픽셀, 각각 {MEDIA_PX[0]}~{MEDIA_PX[1]}의 정수 (예: [300, 250])"

        def size(value, where):
            if (not isinstance(value, list) or len(value) != 2
                    or not all(type(v) is int and MEDIA_PX[0] <= v <= MEDIA_PX[1]
                               for v in value)):
                self.fail(where, "배너 크기 형식이 틀렸습니다", value, allowed)
            return (value[0], value[1])

        sizes = table.get("banner_sizes", [list(s) for s in MediaSettings.banner_sizes])
        if not isinstance(sizes, list) or not 1 <= len(sizes) <= 10:
            self.fail("media.banner_sizes", "크기 목록이어야 합니다 (1~10개)", sizes, allowed)
        slot = table.get("homepage_slot")
        xbanner = table.get("xbanner_mm", list(MediaSettings.xbanner_mm))
        if (not isinstance(xbanner, list) or len(xbanner) != 2
                or not all(type(v) in (int, float) and XBANNER_MM[0] <= v <= XBANNER_MM[1]
                           for v in xbanner)):
            self.fail("media.xbanner_mm", "배너기 크기 형식이 틀렸습니다", xbanner,
                      f"[가로, 세로] mm, 각각 {XBANNER_MM[0]}~{XBANNER_MM[1]} (예: [600, 1800])")
        return MediaSettings(
            tuple(size(v, f"media.banner_sizes[{n}]") for n, v in enumerate(sizes, start=1)),
            None if slot is None else size(slot, "media.homepage_slot"),
            (float(xbanner[0]), float(xbanner[1])))


    def order(self, table) -> Order:
        where = "order"
        self.keys(table, where, ("client",),
                  ("contact", "delivery_place", "delivery_date", "vendor"))
        date = table.get("delivery_date")
        if date is not None and (not isinstance(date, datetime.date)
                                 or isinstance(date, datetime.datetime)):
            self.fail(f"{where}.delivery_date", "날짜여야 합니다", date,
                      "따옴표 없이 2026-12-10 처럼")
        return Order(
            client=self.text(table, "client", where),
            contact=self.optional_text(table, "contact", where),
            delivery_place=self.optional_text(table, "delivery_place", where),
            delivery_date=date,
            vendor=self.optional_text(table, "vendor", where),
        )

    def optional_text(self, table, key, where, limit=60) -> str:
        value = table.get(key, "")
        if not isinstance(value, str) or len(value.strip()) > limit or "\n" in value:
            self.fail(f"{where}.{key}", "한 줄 글자여야 합니다", value, f"{limit}자 이하")
        return value.strip()

    def table(self, doc, key):
        value = doc[key]
        if not isinstance(value, dict):
            self.fail(key, f"[{key}] 표여야 합니다", value)
        return value

    def flag(self, table, key, where, default=None):
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(f"{where}.{key}", "true 또는 false 여야 합니다", value)
        return value

    def prices(self, table, sheet_names) -> Prices:
        where = "prices"
        self.keys(table, where, ("vat_included",),
                  ("example", "plate", "impression_per_ream", "minimum_reams",
                   "makeready_sheets", "delivery", "paper", "finishing", "quotes"))
        paper = []
        for number, row in enumerate(self.rows(table, "paper", where), start=1):
            at = f"{where}.paper[{number}]"
            self.keys(row, at, ("stock", "sheet", "per_sheet"))
            sheet = self.text(row, "sheet", at)
            if sheet not in sheet_names:
                self.fail(f"{at}.sheet", "종이 목록([[sheets]])에 없는 종이입니다", sheet,
                          ", ".join(sheet_names))
            price = PaperPrice(self.text(row, "stock", at), sheet,
                               self.number(row, "per_sheet", at, 0, 1_000_000, integer=True))
            if any((p.stock, p.sheet) == (price.stock, price.sheet) for p in paper):
                self.fail(f"{at}", "같은 종이·규격의 가격이 이미 있습니다",
                          f"{price.stock} / {price.sheet}")
            paper.append(price)
        finishing = []
        for number, row in enumerate(self.rows(table, "finishing", where), start=1):
            at = f"{where}.finishing[{number}]"
            self.keys(row, at, ("name",), ("per_job", "per_thousand"))
            finishing.append(FinishingPrice(
                self.text(row, "name", at),
                self.number(row, "per_job", at, 0, MAX_WON, default=0, integer=True),
                self.number(row, "per_thousand", at, 0, MAX_WON, default=0, integer=True)))
        quotes = []
        for number, row in enumerate(self.rows(table, "quotes", where), start=1):
            quote = self.quote(row, f"{where}.quotes[{number}]")
            if any(q.name == quote.name for q in quotes):
                self.fail(f"{where}.quotes[{number}].name", "같은 이름의 견적표가 이미 있습니다",
                          quote.name)
            quotes.append(quote)
        return Prices(
            example=self.flag(table, "example", where, default=False),
            vat_included=self.flag(table, "vat_included", where),
            plate=self.number(table, "plate", where, 0, MAX_WON, default=0, integer=True),
            impression_per_ream=self.number(table, "impression_per_ream", where, 0, MAX_WON,
                                            default=0, integer=True),
            minimum_reams=float(self.number(table, "minimum_reams", where, 0, 100, default=1)),
            makeready_sheets=self.number(table, "makeready_sheets", where, 0, 10_000, default=0,
                                         integer=True),
            delivery=self.number(table, "delivery", where, 0, MAX_WON, default=0, integer=True),
            paper=tuple(paper), finishing=tuple(finishing), quotes=tuple(quotes))

    def rows(self, table, key, where):
        rows = table.get(key, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            self.fail(f"{where}.{key}", f"[[{where}.{key}]] 표의 목록이어야 합니다", rows)
        return rows

    def quote(self, row, where) -> QuoteTable:
        self.keys(row, where, ("name", "product", "unit", "rows", "vat_included"),
                  ("copies_per_ream", "note"))
        product = row["product"]
        if product not in PRODUCTS:
            self.fail(f"{where}.product", "알 수 없는 제품입니다", product, ", ".join(PRODUCTS))
        unit = row["unit"]
        if unit not in QUOTE_UNITS:
            self.fail(f"{where}.unit", "알 수 없는 단위입니다", unit,
                      ", ".join(f"{k}({v})" for k, v in QUOTE_UNITS.items()))
        rows = row["rows"]
        allowed = "[[수량, 가격(원)], ...] 수량이 커지는 순서, 가격도 줄지 않게 (예: [[1, 70]])"
        if (not isinstance(rows, list) or not rows
                or not all(isinstance(r, list) and len(r) == 2
                           and all(isinstance(v, int) and not isinstance(v, bool) for v in r)
                           for r in rows)):
            self.fail(f"{where}.rows", "견적 행 형식이 틀렸습니다", rows, allowed)
        for (q1, p1), (q2, p2) in zip(rows, rows[1:], strict=False):
            if q2 <= q1 or p2 < p1:
                self.fail(f"{where}.rows", "수량은 커지고 가격은 줄지 않아야 합니다",
                          [q2, p2], allowed)
        if any(q <= 0 or p < 0 or p > MAX_WON for q, p in rows):
            self.fail(f"{where}.rows", "수량은 1 이상, 가격은 0 이상이어야 합니다", rows, allowed)
        copies_per_ream = None
        if unit == "ream":
            if "copies_per_ream" not in row:
                self.fail(f"{where}.copies_per_ream", "단위가 연(ream)이면 필수입니다",
                          allowed="1연에 나오는 부수, 예: A4 합판 4000")
            copies_per_ream = self.number(row, "copies_per_ream", where, 1, MAX_QUANTITY,
                                          integer=True)
        return QuoteTable(self.text(row, "name", where), product, unit,
                          tuple((q, p) for q, p in rows),
                          self.flag(row, "vat_included", where), copies_per_ream)

    def check_pricing(self, run: Run, where, prices: Prices | None):
        """A run's pricing must name prices that exist."""
        if run.pricing == "quote":
            if prices is None or not prices.quotes:
                self.fail(f"{where}.pricing", "견적표([[prices.quotes]])가 없습니다", run.pricing)
            names = [q.name for q in prices.quotes]
            if run.quote is None:
                self.fail(f"{where}.quote", "pricing = \"quote\" 이면 견적표 이름이 필요합니다",
                          allowed=", ".join(names))
        if run.pricing == "build-up" and prices is not None:
            self.check_build_up(run, where, prices)
        if run.quote is not None:
            names = [q.name for q in prices.quotes] if prices else []
            if run.quote not in names:
                self.fail(f"{where}.quote", "가격표에 없는 견적표입니다", run.quote,
                          ", ".join(names) or "(견적표 없음)")
            if prices.quote(run.quote).product != run.product:
                self.fail(f"{where}.quote", f"'{run.product}' 제품의 견적표가 아닙니다",
                          run.quote, ", ".join(q.name for q in prices.quotes
                                               if q.product == run.product) or "(없음)")

    def sheet(self, row, where) -> Sheet:
        self.keys(row, where, ("name", "size_mm", "gripper_mm", "margin_mm"),
                  ("gutter_mm", "office", "tail_mm", "stock"))
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
            tail_mm=float(self.number(row, "tail_mm", where, 0, 50,
                                      default=row.get("margin_mm"))),
            stock=self.text(row, "stock", where) if "stock" in row else "",
        )

    def run(self, row, where, sheets) -> Run:
        self.keys(row, where, ("product", "quantity", "stock", "colours"),
                  ("finishing", "method", "overs_percent", "sheets", "allocation", "pricing",
                   "quote", "send_imposed"))
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
            send_imposed=self.flag(row, "send_imposed", where, default=False),
            allocation=(self.number(row, "allocation", where, 0, MAX_WON, integer=True)
                        if "allocation" in row else None),
            pricing=self.choice(row, "pricing", where, PRICINGS, "build-up"),
            quote=self.text(row, "quote", where) if "quote" in row else None,
        )

    def check_build_up(self, run: Run, where, prices: Prices):
        """Every sheet the run may use, its stock and its finishing must have a price."""
        priced = [p.sheet for p in prices.paper if p.stock == run.stock]
        if not priced:
            self.fail(f"{where}.stock", "가격표([[prices.paper]])에 이 종이의 값이 없습니다",
                      run.stock, ", ".join(prices.stocks) or "(종이 가격 없음)")
        for name in run.sheets:
            if name not in priced:
                self.fail(f"{where}.sheets", f"가격표에 '{run.stock}' 의 이 규격 값이 없습니다",
                          name, ", ".join(priced))
        known = [f.name for f in prices.finishing]
        for name in run.finishing:
            if name not in known:
                self.fail(f"{where}.finishing", "가격표([[prices.finishing]])에 없는 후가공입니다",
                          name, ", ".join(known) or "(후가공 가격 없음)")

    def choice(self, row, key, where, options, default):
        value = row.get(key, default)
        if value not in options:
            self.fail(f"{where}.{key}", "알 수 없는 값입니다", value,
                      ", ".join(f"{k}({v})" for k, v in options.items()))
        return value
