"""The parts every check shares: limits, findings and reports, the opened document."""

from __future__ import annotations

from dataclasses import dataclass, field

import pypdfium2
from pypdf import PdfReader

from leaflets.errors import LeafletsError
from leaflets.impose.pdf import office_page
from leaflets.impose.plan import OFFICE_MIN_SCALE
from leaflets.pdfscan import scan

PT_PER_MM = 72 / 25.4
MAX_TAC = 300  # % total area coverage, sheet-fed offset on coated paper
MIN_PPI = 300
SMALL_TEXT_PT = 12
TAC_DPI = 100
QR_DPI = 150
# A page is read for QR codes at QR_DPI, or coarser when that would take more pixels
# than this (a 600 × 1800 mm banner: 40 million at 150 dpi; its modules are millimetres).
QR_MAX_PIXELS = 16_000_000

MIN_LINE_PT = 0.25  # thinnest line a plate holds reliably
# An office sheet goes to an office printer (toner, no plates), and the imposition
# shrinks a page on it to no less than OFFICE_MIN_SCALE: its lines and small type are
# held to the press limits at that scale, judged at the size they print.
OFFICE_MIN_LINE_PT = MIN_LINE_PT * OFFICE_MIN_SCALE
OFFICE_SMALL_TEXT_PT = SMALL_TEXT_PT * OFFICE_MIN_SCALE
REGISTRATION = "/All"  # the Separation every plate prints: crop marks, targets

# Every check, in the order of the report; the key is what reports and JSON name.
CHECKS = {
    "encryption": "암호화 없음",
    "pdfx": "PDF/X-4 식별 (버전 1.6 이하 · XMP pdfxid) · 출력 인텐트 ICC",
    "metadata": "문서 정보(Info)와 XMP 일치 (제목 · 날짜 · Producer)",
    "trapped": "트래핑 표시(Trapped) True 또는 False",
    "actions": "JavaScript · 동작(Action) 없음",
    "annotations": "도련 안 주석(annotation) 없음",
    "boxes": "재단(TrimBox) · 도련(BleedBox) 상자",
    "fonts": "글꼴 포함(embed)",
    "rgb": "RGB 색 없음",
    "spot_lab": "Lab · 별색 없음 (발주서에 적은 별색만)",
    "hairlines": f"{MIN_LINE_PT}pt 미만 가는 선 없음",
    "overprint": "흰색 중복인쇄(overprint) 없음",
    "transfer": "전달 함수(transfer) · 망점(halftone) 설정 없음",
    "images": f"이미지 해상도 {MIN_PPI} ppi 이상",
    "tac": f"잉크 총량 {MAX_TAC}% 이하",
    "small_text": f"{SMALL_TEXT_PT}pt 미만 글자는 한 가지 잉크 · 리치 블랙 없음",
    "qr": "QR코드 판독 · 주소 일치 · 한 가지 잉크",
    "safe_margin": "재단선 안쪽 안전 여백",
}


class PreflightError(LeafletsError, ValueError):
    """The file cannot be checked at all (not a PDF, unreadable)."""


@dataclass(frozen=True)
class Finding:
    check: str  # a key of CHECKS
    ok: bool
    where: str  # "문서", "1쪽", "1쪽 Form /x5" ...
    detail: str


@dataclass(frozen=True)
class Report:
    name: str
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return all(finding.ok for finding in self.findings)

    def failures(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check and not f.ok]

    def failed_checks(self) -> list[str]:
        return [check for check in CHECKS if self.failures(check)]


@dataclass(frozen=True)
class Parts:
    """A print file stamped from parts checked on their own (a 동 edition): the common
    pages' report and highest ink per page, and the 동 block rasterised in its slot.

    Ink is checked by parts, as variable-data printing checks a page template once
    and each variable element alone: the block is drawn over paper the common page
    leaves blank, with normal blending and no overprint, so no point of the file
    carries more ink than the larger of the two. The QR code is the common page's:
    the block's slot cannot overlap it (the renderer refuses a layout where it does).
    """

    common: Report
    common_tac: tuple[float, ...]  # highest total ink, %, per page inside the BleedBox
    blocks: tuple[tuple[int, object, tuple[float, float, float, float], float | None], ...]
    # (page, CMYK raster of the slot or None, slot box in points: left, bottom, right,
    #  top, and the block's ink_bound when no raster was needed)
    block_codes: tuple[Finding, ...] = ()  # QR codes in the block's picture, if any


@dataclass
class _Doc:
    """One PDF opened for every check."""

    data: bytes
    reader: PdfReader
    pdfium: pypdfium2.PdfDocument
    bleed_mm: float
    safe_mm: float
    url: str | None
    _scan: object = field(default=None)
    rasters: list | None = None  # CMYK page images, when rendered in a batch
    spots: tuple[str, ...] = ()  # spot colours the job prints (production.toml)
    sheet: bool = False  # an imposed press sheet: registration marks anywhere
    require_qr: bool | None = None  # None: only on the project's own files
    min_ppi: float = MIN_PPI  # the product's: 300 for what is read in the hand
    min_text_pt: float | None = None  # the product's smallest type, if it has one

    @property
    def scan(self):
        if self._scan is None:
            self._scan = scan(self.reader)
        return self._scan

    def bleed_box(self, number):
        return _box(self.reader.pages[number - 1], "/BleedBox")

    def trim_box(self, number):
        return _box(self.reader.pages[number - 1], "/TrimBox")

    def office(self, number) -> bool:
        """Page ``number`` is an office sheet's, printed by an office printer."""
        return self.sheet and office_page(self.reader.pages[number - 1])

    def min_line_pt(self, number) -> float:
        return OFFICE_MIN_LINE_PT if self.office(number) else MIN_LINE_PT

    def small_text_pt(self, number) -> float:
        return OFFICE_SMALL_TEXT_PT if self.office(number) else SMALL_TEXT_PT


def _box(page, key):
    """A page box as (left, bottom, right, top), with the PDF defaults applied."""
    value = page.get(key)
    if value is None and key in ("/BleedBox", "/TrimBox"):
        value = page.get("/CropBox") or page.mediabox
    left, bottom, right, top = (float(v) for v in value)
    return min(left, right), min(bottom, top), max(left, right), max(bottom, top)


def _mm(value_pt: float) -> str:
    return f"{value_pt / PT_PER_MM:.1f} mm"



def _inside(inner, outer, tolerance):
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)

