"""``minwon24.toml`` -> a validated, typed :class:`Content`.

This is the only module that reads the content file. Every rule a staff
member can break is checked here, once, and reported as a
:class:`~leaflets.errors.DataError` naming the file, field and value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from leaflets.errors import DataError, DataErrors, MissingGlyphError
from leaflets.korean import BOLD, font_coverage, unpaired_bold
from leaflets.text import check_strings
from leaflets.tomlfile import parse_toml, read_file

MAX_FEE = 1_000_000
MIN_FEE_ROWS, MAX_FEE_ROWS = 1, 8
MIN_STEPS, MAX_STEPS = 1, 6
MAX_TEXT = 500
# At error correction M, 100 bytes fit QR version 6 (49 modules with the
# quiet zone): 0.49 mm modules on the pocket's 24 mm symbol.
MAX_URL_BYTES = 100
TRIM_RANGE_MM = (50, 600)
BLEED_RANGE_MM = (1, 10)
DEFAULT_BLEED_MM = 3.0


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    publisher: str


@dataclass(frozen=True)
class Fee:
    """One row of the fee comparison, amounts in 원 (0 means free)."""

    document: str
    counter: int
    kiosk: int
    online: int


@dataclass(frozen=True)
class FeeTable:
    title: str
    document_label: str
    counter_label: str
    kiosk_label: str
    online_label: str
    free_label: str


@dataclass(frozen=True)
class HowTo:
    title: str
    steps: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Desk:
    """The 구's own block: fills the 동 slot in the 구 edition (the 전용창구)."""

    title: str
    text: str


@dataclass(frozen=True)
class Poster:
    """붙임 2-가: the A4 poster."""

    trim_mm: tuple[float, float]
    bleed_mm: float
    headline: str
    lead: str
    howto: HowTo  # the shared [howto], with [poster-a4.howto] laid over it


@dataclass(frozen=True)
class Pocket:
    """붙임 2-나: the double-sided pocket leaflet."""

    trim_mm: tuple[float, float]
    bleed_mm: float
    front_title: str
    back_headline: str
    lead: str
    howto: HowTo  # the shared [howto], with [pocket.howto] laid over it


@dataclass(frozen=True)
class Content:
    """Everything the printed pieces say, validated."""

    path: Path
    sha256: str
    service: Service
    fee_table: FeeTable
    fees: tuple[Fee, ...]
    howto: HowTo
    qr_caption: str
    poster: Poster
    pocket: Pocket
    desk: Desk | None = None  # optional [desk]: the 구 edition's block

    def piece(self, product: str) -> Poster | Pocket:
        """The product-specific part of the content ('poster-a4' or 'pocket')."""
        return {"poster-a4": self.poster, "pocket": self.pocket}[product]

    def trim_mm(self, product: str) -> tuple[float, float]:
        """The trim size of ``product``."""
        return self.piece(product).trim_mm

    def bleed_mm(self, product: str) -> float:
        """The bleed of ``product``'s print file, per side."""
        return self.piece(product).bleed_mm


def load_content(path: str | Path) -> Content:
    """Read and validate a content file; raise DataError on any problem."""
    path = Path(path)
    return parse_content(read_file(path), path)


def parse_content(raw: bytes, path: str | Path = "minwon24.toml") -> Content:
    """Validate the bytes of a content file; ``path`` only names it in errors."""
    path = Path(path)
    doc = parse_toml(raw, path, hint="글자는 \"큰따옴표\" 안에, 금액은 숫자만, "
                                     "항목마다 '이름 = 값' 한 줄")
    check_strings(path, doc)  # every text may hold line breaks (\n), nothing else unseen
    reader = _Reader(path)
    reader.check_bold(doc)
    try:
        content = reader.content(doc, hashlib.sha256(raw).hexdigest())
    except DataError as error:  # a table missing or malformed: nothing more to read
        reader.errors.append(error)
    else:
        reader.check_glyphs(doc)
    reader.raise_errors()
    return content


class _Reader:
    """Walks the parsed TOML, checking each table against its fields."""

    def __init__(self, path: Path):
        self.path = path
        self.errors: list[DataError] = []  # every wrong value, so one save names them all

    def gather(self, check, *args, **kwargs):
        """``check(*args, **kwargs)``, its DataError kept for the end instead of raised."""
        try:
            return check(*args, **kwargs)
        except DataError as error:
            self.errors.append(error)
            return None

    def raise_errors(self):
        """Raise what :meth:`gather` kept: the one error, or all of them at once."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DataErrors(self.errors)

    def fail(self, field, problem, value=None, allowed=None):
        raise DataError(self.path, field, problem, value=value, allowed=allowed)

    def table(self, parent, key, where, fields):
        field = f"{where}.{key}" if where else key
        if key not in parent:
            self.fail(field, "필수 항목이 없습니다", allowed=f"[{field}] 표")
        value = parent[key]
        if not isinstance(value, dict):
            self.fail(field, "표(table)여야 합니다", value)
        self.no_unknown(value, field, fields)
        return value

    def no_unknown(self, table, where, fields):
        for key in table:
            if key not in fields:
                self.fail(f"{where}.{key}" if where else key, "알 수 없는 항목입니다",
                          allowed=", ".join(fields))

    def text(self, table, key, where, *, max_len=MAX_TEXT):
        field = f"{where}.{key}"
        if key not in table:
            self.fail(field, "필수 항목이 없습니다", allowed="글자(문자열)")
        value = table[key]
        if not isinstance(value, str):
            self.fail(field, "글자(문자열)여야 합니다", value, "따옴표로 감싼 글자")
        if not value.strip():
            self.fail(field, "비어 있습니다", value, "한 글자 이상")
        if len(value) > max_len:
            self.fail(field, f"너무 깁니다 ({len(value)}자)", value[:40] + "…",
                      f"{max_len}자 이하")
        return value.strip()

    def amount(self, table, key, where):
        field = f"{where}.{key}"
        if key not in table:
            self.fail(field, "필수 항목이 없습니다", allowed=f"0~{MAX_FEE:,} 사이의 정수(원)")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, "금액은 정수(원)여야 합니다", value,
                      f"0~{MAX_FEE:,} 사이의 정수, 따옴표·쉼표 없이 (예: 1000)")
        if not 0 <= value <= MAX_FEE:
            self.fail(field, "금액이 범위를 벗어났습니다", value,
                      f"0~{MAX_FEE:,} 사이의 정수 (0은 '무료')")
        return value

    def trim(self, table, where):
        field = f"{where}.trim_mm"
        value = table.get("trim_mm")
        allowed = f"[가로, 세로] mm, 각각 {TRIM_RANGE_MM[0]}~{TRIM_RANGE_MM[1]} (예: [105, 148])"
        if value is None:
            self.fail(field, "필수 항목이 없습니다", allowed=allowed)
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
            self.fail(field, "재단 크기 형식이 틀렸습니다", value, allowed)
        if not all(TRIM_RANGE_MM[0] <= v <= TRIM_RANGE_MM[1] for v in value):
            self.fail(field, "재단 크기가 범위를 벗어났습니다", value, allowed)
        return (float(value[0]), float(value[1]))

    def bleed(self, table, where):
        field = f"{where}.bleed_mm"
        value = table.get("bleed_mm", DEFAULT_BLEED_MM)
        allowed = f"{BLEED_RANGE_MM[0]}~{BLEED_RANGE_MM[1]} mm (보통 3)"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, "도련(재단 여유)은 숫자여야 합니다", value, allowed)
        if not BLEED_RANGE_MM[0] <= value <= BLEED_RANGE_MM[1]:
            self.fail(field, "도련(재단 여유)이 범위를 벗어났습니다", value, allowed)
        return float(value)

    def content(self, doc, sha256) -> Content:
        self.no_unknown(doc, "", TOP_LEVEL)
        service = self.table(doc, "service", "", ("name", "url", "publisher"))
        url = self.text(service, "url", "service")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            self.fail("service.url", "인터넷 주소 형식이 아닙니다", url,
                      "http:// 또는 https:// 로 시작하는 주소")
        if len(url.encode("utf-8")) > MAX_URL_BYTES:
            self.fail("service.url", "주소가 너무 길어 QR코드가 인쇄 크기에 들어가지 않습니다",
                      url, f"{MAX_URL_BYTES}바이트 이하의 주소")
        labels = self.table(doc, "fee_table", "", FEE_TABLE_FIELDS)
        howto_table = self.table(doc, "howto", "", HOWTO_FIELDS)
        howto = HowTo(self.gather(self.text, howto_table, "title", "howto"),
                      self.steps(howto_table, "howto"),
                      self.gather(self.text, howto_table, "note", "howto"))
        qr = self.table(doc, "qr", "", ("caption",))
        poster = self.table(doc, "poster-a4", "",
                            ("trim_mm", "bleed_mm", "headline", "lead", "howto"))
        pocket = self.table(doc, "pocket", "",
                            ("trim_mm", "bleed_mm", "front_title", "back_headline", "lead",
                             "howto"))
        return Content(
            path=self.path,
            sha256=sha256,
            service=Service(self.text(service, "name", "service"), url,
                            self.text(service, "publisher", "service")),
            fee_table=FeeTable(*(self.text(labels, key, "fee_table") for key in FEE_TABLE_FIELDS)),
            fees=self.fees(doc),
            howto=howto,
            qr_caption=self.text(qr, "caption", "qr"),
            poster=Poster(self.trim(poster, "poster-a4"), self.bleed(poster, "poster-a4"),
                          self.text(poster, "headline", "poster-a4"),
                          self.text(poster, "lead", "poster-a4"),
                          self.piece_howto(poster, "poster-a4", howto)),
            pocket=Pocket(self.trim(pocket, "pocket"), self.bleed(pocket, "pocket"),
                          self.text(pocket, "front_title", "pocket"),
                          self.text(pocket, "back_headline", "pocket"),
                          self.text(pocket, "lead", "pocket"),
                          self.piece_howto(pocket, "pocket", howto)),
            desk=self.desk(doc),
        )

    def piece_howto(self, piece, where, shared: HowTo) -> HowTo:
        """``shared`` with whatever the piece's own [<piece>.howto] table gives."""
        if "howto" not in piece:
            return shared
        own = self.table(piece, "howto", where, HOWTO_FIELDS)
        where = f"{where}.howto"
        return HowTo(self.text(own, "title", where) if "title" in own else shared.title,
                     self.steps(own, where) if "steps" in own else shared.steps,
                     self.text(own, "note", where) if "note" in own else shared.note)

    def desk(self, doc) -> Desk | None:
        if "desk" not in doc:
            return None
        desk = self.table(doc, "desk", "", ("title", "text"))
        return Desk(self.text(desk, "title", "desk", max_len=60),
                    self.text(desk, "text", "desk", max_len=160))

    def check_bold(self, doc):
        """Every ``**`` opens or closes bold, in pairs on each line."""
        for key, value in _texts(doc):
            if unpaired_bold(value):
                self.gather(self.fail, key, f"굵게 표시({BOLD})의 짝이 맞지 않습니다", value,
                          f"굵게 쓸 말의 앞뒤에 {BOLD}를 하나씩, 한 줄 안에서 "
                          f"(예: \"{BOLD}회원가입{BOLD} 후\")")

    def fees(self, doc) -> tuple[Fee, ...]:
        rows = doc.get("fees")
        allowed = f"[[fees]] 표 {MIN_FEE_ROWS}~{MAX_FEE_ROWS}개"
        if rows is None:
            self.fail("fees", "수수료 표가 없습니다", allowed=allowed)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            self.fail("fees", "[[fees]] 표의 목록이어야 합니다", rows, allowed)
        if not MIN_FEE_ROWS <= len(rows) <= MAX_FEE_ROWS:
            self.fail("fees", f"수수료 행이 {len(rows)}개입니다", len(rows), allowed)
        fees, seen = [], {}
        for number, row in enumerate(rows, start=1):
            where = f"fees[{number}]"
            self.no_unknown(row, where, FEE_FIELDS)
            document = self.gather(self.text, row, "document", where, max_len=60)
            if document in seen:
                self.gather(self.fail, f"{where}.document",
                            f"fees[{seen[document]}]과 같은 서류 이름입니다",
                            document, "서로 다른 서류 이름")
            elif document is not None:
                seen[document] = number
            fees.append(Fee(document, *(self.gather(self.amount, row, key, where)
                                        for key in FEE_FIELDS[1:])))
        return tuple(fees)

    def steps(self, howto, where) -> tuple[str, ...]:
        steps = howto.get("steps")
        allowed = f"글자 목록 {MIN_STEPS}~{MAX_STEPS}개 (예: [\"회원가입\", \"민원 신청\"])"
        field = f"{where}.steps"
        if steps is None:
            self.fail(field, "필수 항목이 없습니다", allowed=allowed)
        if not isinstance(steps, list):
            self.fail(field, "목록이어야 합니다", steps, allowed)
        if not MIN_STEPS <= len(steps) <= MAX_STEPS:
            self.fail(field, f"단계가 {len(steps)}개입니다", len(steps), allowed)
        return tuple(self.gather(self.text, {f"steps[{n}]": step}, f"steps[{n}]", where,
                                 max_len=60)
                     for n, step in enumerate(steps, start=1))

    def check_glyphs(self, doc):
        """Every character of every text must be drawable by the fonts."""
        coverage = font_coverage()
        for key, value in _texts(doc):
            char = coverage.first_missing(value)
            if char is not None:
                self.errors.append(MissingGlyphError(self.path, key, char, value))


TOP_LEVEL = ("service", "fee_table", "fees", "howto", "qr", "poster-a4", "pocket", "desk")
HOWTO_FIELDS = ("title", "steps", "note")
FEE_TABLE_FIELDS = ("title", "document_label", "counter_label", "kiosk_label",
                    "online_label", "free_label")
FEE_FIELDS = ("document", "counter", "kiosk", "online")


def _texts(node, where=""):
    """Yield (field, text) for every string in a parsed TOML tree."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for number, value in enumerate(node, start=1):
            yield from _texts(value, f"{where}[{number}]")
