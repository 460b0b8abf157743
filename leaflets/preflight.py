"""Check a PDF the way a print vendor's prepress would, and report in Korean.

Each check is a function of the opened document that returns findings; a
check with no failing finding passes. The checks read the file three ways:
the object structure and content streams (pypdf, :mod:`leaflets.pdfscan`),
page objects and rendered pages (pypdfium2, zxing-cpp for QR codes), and a
CMYK rasterisation for ink coverage (Ghostscript's ``tiff32nc`` device).
"""

from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2
import zxingcpp
from PIL import Image, ImageMath
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ContentStream

from leaflets.errors import LeafletsError
from leaflets.pdfscan import CMYK_SPACES, GRAY_SPACES, scan

PT_PER_MM = 72 / 25.4
MAX_TAC = 300  # % total area coverage, sheet-fed offset on coated paper
MIN_PPI = 300
SMALL_TEXT_PT = 12
TAC_DPI = 100
QR_DPI = 150
_PAGEOBJ_TEXT, _PAGEOBJ_IMAGE = 1, 3

CHECKS = {
    "pdfx": "PDF/X-4 식별 · CMYK 출력 인텐트",
    "boxes": "재단(TrimBox) · 도련(BleedBox) 상자",
    "fonts": "글꼴 포함(embed)",
    "rgb": "RGB 색 없음",
    "images": f"이미지 해상도 {MIN_PPI} ppi 이상",
    "tac": f"잉크 총량 {MAX_TAC}% 이하",
    "small_text": f"{SMALL_TEXT_PT}pt 미만 글자는 한 가지 잉크 · 리치 블랙 없음",
    "qr": "QR코드 판독 · 주소 일치",
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


def ink_bound(pdf: bytes, index: int) -> float | None:
    """An upper bound of the total ink (%) anywhere on page ``index`` (0-based) of
    ``pdf``, from the colour values its content sets: with normal blending and no
    overprint no point carries more than the richest colour painted.

    Only what is known to keep that true is accepted: DeviceCMYK and DeviceGray
    colours, vector paths and text in embedded (not Type 3) fonts, graphics states
    without overprint, blend modes or transfer functions. Anything else (an image,
    a shading or pattern, another colour space) returns None: it must be measured
    on a raster."""
    reader = PdfReader(io.BytesIO(pdf), strict=False)
    page = reader.pages[index]
    if not _plain_resources(page.get("/Resources")) or "/Group" in page:
        return None
    highest = 100.0  # the initial fill colour is black
    for operands, operator in _page_operations(reader, page):
        if operator in (b"k", b"K"):
            highest = max(highest, sum(float(v) for v in operands) * 100)
        elif operator in (b"g", b"G"):
            highest = max(highest, (1 - float(operands[0])) * 100)
        elif operator in (b"cs", b"CS"):
            if str(operands[0]) not in ("/DeviceCMYK", "/DeviceGray"):
                return None  # a space chosen by name: its initial colour is unknown ink
        elif operator in (b"sc", b"scn", b"SC", b"SCN"):
            values = [float(v) for v in operands if isinstance(v, int | float)]
            if len(values) != len(operands):
                return None  # a pattern
            if len(values) == 4:
                highest = max(highest, sum(values) * 100)
            elif len(values) == 1:
                highest = max(highest, (1 - values[0]) * 100)
            else:
                return None
        elif operator in (b"rg", b"RG", b"sh", b"INLINE IMAGE", b"BI", b"d0", b"d1"):
            return None
    return highest


_SAFE_STATE = {"/Type", "/LW", "/LC", "/LJ", "/ML", "/D", "/RI", "/FL", "/SM", "/SA",
               "/CA", "/ca", "/AIS", "/SMask", "/TK", "/OPM", "/OP", "/op", "/BM", "/TR2"}


def _plain_resources(resources, seen=None) -> bool:
    """Only vector forms, embedded fonts (no Type 3) and graphics states without
    overprint, blend modes or transfer functions, in ``resources`` and its forms.
    (Named colour spaces, shadings and patterns are refused where content uses them.)"""
    seen = set() if seen is None else seen
    resources = resources.get_object() if resources is not None else {}
    for state in (resources.get("/ExtGState") or {}).values():
        state = state.get_object()
        if set(state) - _SAFE_STATE or state.get("/OP") or state.get("/op") \
                or str(state.get("/BM", "/Normal")) not in ("/Normal", "/Compatible") \
                or str(state.get("/TR2", "/Default")) != "/Default":
            return False
    for font in (resources.get("/Font") or {}).values():
        if font.get_object().get("/Subtype") == "/Type3":
            return False
    for xobject in (resources.get("/XObject") or {}).values():
        key = getattr(xobject, "idnum", None)
        xobject = xobject.get_object()
        if xobject.get("/Subtype") != "/Form" or "/Group" in xobject:
            return False  # an image, or a transparency group with its own blending
        if key not in seen:
            seen.add(key)
            if not _plain_resources(xobject.get("/Resources"), seen):
                return False
    return True


def _page_operations(reader, page):
    """Every operator of the page's content and of the forms it draws, in order."""

    def run(stream, resources, depth):
        for operands, operator in ContentStream(stream, reader).operations:
            yield operands, operator
            if operator == b"Do" and depth < 8:
                form = (resources.get("/XObject") or {}).get(operands[0])
                if form is not None:
                    form = form.get_object()
                    inner = form.get("/Resources")
                    yield from run(form, inner.get_object() if inner else resources,
                                   depth + 1)

    contents = page.get_contents()
    if contents is not None:
        resources = page.get("/Resources")
        yield from run(contents, resources.get_object() if resources else {}, 0)


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

    @property
    def scan(self):
        if self._scan is None:
            self._scan = scan(self.reader)
        return self._scan

    def bleed_box(self, number):
        return _box(self.reader.pages[number - 1], "/BleedBox")

    def trim_box(self, number):
        return _box(self.reader.pages[number - 1], "/TrimBox")


def preflight_many(pdfs: list[tuple[bytes, str, float]], url: str | None = None,
                   rasters: CMYKRasters | None = None,
                   parts: list[Parts] | None = None) -> list[Report]:
    """Preflight several (pdf, name, bleed_mm) at once: one Ghostscript run for all
    (``rasters``, if the caller started it earlier to work while it runs), or, for
    files stamped from checked ``parts``, none."""
    if parts is not None:  # files without parts (None) are checked whole
        whole = [entry for entry, part in zip(pdfs, parts, strict=True) if part is None]
        checked = iter(preflight_many(whole, url) if whole else [])
        return [next(checked) if part is None else
                preflight(pdf, name, bleed_mm=bleed, url=url, parts=part)
                for (pdf, name, bleed), part in zip(pdfs, parts, strict=True)]
    try:
        rasters = (rasters or CMYKRasters([pdf for pdf, _, _ in pdfs])).result()
    except (RasterError, PyPdfError, ValueError):
        rasters = [None] * len(pdfs)  # each file then reports its own problem
    return [preflight(pdf, name, bleed_mm=bleed, url=url, rasters=images)
            for (pdf, name, bleed), images in zip(pdfs, rasters, strict=True)]


def preflight(pdf: bytes, name: str = "", *, bleed_mm: float = 3.0, safe_mm: float = 3.0,
              url: str | None = None, rasters: list | None = None,
              parts: Parts | None = None) -> Report:
    """Run every check on ``pdf``; ``url`` is what each QR code must open. With
    ``parts``, ink and QR code are checked by the file's parts (see :class:`Parts`)."""
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        pages = len(reader.pages)
        document = pypdfium2.PdfDocument(pdf)
    except (PyPdfError, pypdfium2.PdfiumError, ValueError, OSError) as error:
        raise PreflightError(f"{name}: PDF 파일을 읽을 수 없습니다 ({error})") from None
    if pages == 0:
        raise PreflightError(f"{name}: 쪽이 없는 PDF입니다")
    doc = _Doc(pdf, reader, document, bleed_mm, safe_mm, url,
               rasters=[rasters] if rasters is not None else None)
    try:
        findings = []
        for key, check in _CHECK_FUNCTIONS.items():
            if parts is not None and key in _BY_PARTS:
                check = functools.partial(_BY_PARTS[key], parts=parts)
            results = list(check(doc))
            findings.extend(results or [Finding(key, True, "문서", "이상 없음")])
    finally:
        document.close()
    return Report(name, tuple(findings))


def _box(page, key):
    """A page box as (left, bottom, right, top), with the PDF defaults applied."""
    value = page.get(key)
    if value is None and key in ("/BleedBox", "/TrimBox"):
        value = page.get("/CropBox") or page.mediabox
    left, bottom, right, top = (float(v) for v in value)
    return min(left, right), min(bottom, top), max(left, right), max(bottom, top)


def _mm(value_pt: float) -> str:
    return f"{value_pt / PT_PER_MM:.1f} mm"


# -- the checks -------------------------------------------------------------

def check_pdfx(doc):
    """PDF/X-4 identification and an OutputIntent with a CMYK profile."""
    header = doc.reader.pdf_header.lstrip("%PDF-")
    if header != "1.6":
        yield Finding("pdfx", False, "문서", f"PDF 버전 {header} (PDF/X-4는 1.6)")
    root = doc.reader.trailer["/Root"]
    xmp = root.get("/Metadata")
    xmp_text = xmp.get_object().get_data().decode("utf-8", "replace") if xmp else ""
    info = doc.reader.trailer.get("/Info")
    info_version = str(info.get_object().get("/GTS_PDFXVersion", "")) if info else ""
    if "GTS_PDFXVersion>PDF/X-4" not in xmp_text and not info_version.startswith("PDF/X-4"):
        yield Finding("pdfx", False, "문서", "PDF/X-4 표시(GTS_PDFXVersion)가 없습니다")
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    pdfx = [i for i in intents if i.get("/S") == "/GTS_PDFX"]
    if not pdfx:
        yield Finding("pdfx", False, "문서", "출력 인텐트(OutputIntent, GTS_PDFX)가 없습니다")
        return
    profile = pdfx[0].get("/DestOutputProfile")
    if profile is None:
        yield Finding("pdfx", False, "문서", "출력 인텐트에 ICC 프로파일이 없습니다")
        return
    profile = profile.get_object()
    data = profile.get_data()
    if int(profile.get("/N", 0)) != 4 or data[16:20] != b"CMYK":
        yield Finding("pdfx", False, "문서",
                      f"출력 프로파일이 CMYK가 아닙니다 (성분 {profile.get('/N')}개, "
                      f"색공간 {data[16:20].decode('ascii', 'replace').strip()})")


def check_boxes(doc):
    """TrimBox present; TrimBox inside BleedBox inside MediaBox; bleed wide enough."""
    tolerance = 0.01 * PT_PER_MM
    for number, page in enumerate(doc.reader.pages, start=1):
        where = f"{number}쪽"
        if page.get("/TrimBox") is None:
            yield Finding("boxes", False, where, "TrimBox(재단 상자)가 없습니다")
            continue
        trim, bleed, media = (_box(page, key) for key in ("/TrimBox", "/BleedBox", "/MediaBox"))
        if not _inside(trim, bleed, tolerance) or not _inside(bleed, media, tolerance):
            yield Finding("boxes", False, where, "TrimBox ⊂ BleedBox ⊂ MediaBox 가 아닙니다")
            continue
        sides = {"왼쪽": trim[0] - bleed[0], "아래": trim[1] - bleed[1],
                 "오른쪽": bleed[2] - trim[2], "위": bleed[3] - trim[3]}
        short = {side: v for side, v in sides.items() if v < doc.bleed_mm * PT_PER_MM - tolerance}
        if short:
            listed = ", ".join(f"{side} {_mm(v)}" for side, v in short.items())
            yield Finding("boxes", False, where,
                          f"도련이 {doc.bleed_mm:g} mm보다 좁습니다: {listed}")


def _inside(inner, outer, tolerance):
    return (inner[0] >= outer[0] - tolerance and inner[1] >= outer[1] - tolerance
            and inner[2] <= outer[2] + tolerance and inner[3] <= outer[3] + tolerance)


def check_fonts(doc):
    """Every font used is embedded."""
    reported = set()
    for page, name, font in doc.scan.fonts:
        base = str(font.get("/BaseFont", name))
        if font.get("/Subtype") == "/Type3" or (page, base) in reported:
            continue
        descriptors = [font.get("/FontDescriptor")]
        for descendant in font.get("/DescendantFonts", []):
            descriptors.append(descendant.get_object().get("/FontDescriptor"))
        descriptors = [d.get_object() for d in descriptors if d is not None]
        embedded = any(key in d for d in descriptors
                       for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        if not embedded:
            reported.add((page, base))
            yield Finding("fonts", False, f"{page}쪽",
                          f"글꼴 {base.lstrip('/')}이(가) 포함되지 않았습니다")


def check_rgb(doc):
    """No RGB colour operator, colour space or image anywhere."""
    seen = set()
    for use in doc.scan.colours:
        if not use.space.is_rgb:
            continue
        key = (use.page, use.where, use.what)
        if key in seen:
            continue
        seen.add(key)
        values = " ".join(f"{v:g}" for v in use.values)
        detail = f"{use.what} {values} ({use.space.family.lstrip('/')})".replace("  ", " ")
        yield Finding("rgb", False, f"{use.page}쪽 {use.where}", f"RGB 색 사용: {detail}")


def check_images(doc):
    """Every image is at least MIN_PPI at its placed size."""
    for number, page in enumerate(doc.pdfium, start=1):
        for index, obj in enumerate(page.get_objects(max_depth=8)):
            if obj.type != _PAGEOBJ_IMAGE:
                continue
            meta = obj.get_metadata()
            ppi = min(meta.horizontal_dpi, meta.vertical_dpi)
            if ppi < MIN_PPI - 0.5:
                yield Finding("images", False, f"{number}쪽 이미지 #{index}",
                              f"실효 해상도 {ppi:.0f} ppi ({meta.width}×{meta.height} px)")


def check_tac(doc):
    """Total area coverage inside the BleedBox, measured on a CMYK rasterisation."""
    try:
        (images,) = doc.rasters or cmyk_rasters([doc.data])
    except RasterError as error:
        yield Finding("tac", False, "문서", str(error))
        return
    for number, image in enumerate(images, start=1):
        yield from _tac_page(doc, number, image)


class RasterError(Exception):
    """Ghostscript is missing or could not draw a file."""


def cmyk_rasters(pdfs: list[bytes]) -> list[list]:
    """Every page of every PDF as a CMYK image at TAC_DPI, with one Ghostscript run."""
    return CMYKRasters(pdfs).result()


class CMYKRasters:
    """A Ghostscript run drawing ``pdfs`` in CMYK, started at once; :meth:`result`
    waits for it and returns each file's pages as images."""

    def __init__(self, pdfs: list[bytes]):
        self.error, self.process, self.counts = None, None, []
        if not pdfs:
            return  # nothing to draw: no Ghostscript at all
        gs = shutil.which("gs")
        if gs is None:
            self.error = RasterError("Ghostscript(gs)가 없어 잉크 총량을 잴 수 없습니다")
            return
        try:
            self.counts = [len(PdfReader(io.BytesIO(pdf), strict=False).pages) for pdf in pdfs]
        except (PyPdfError, ValueError) as error:
            self.error = RasterError(f"PDF 를 읽을 수 없어 잉크 총량을 잴 수 없습니다 ({error})")
            self.counts = []
            return
        self.folder = tempfile.TemporaryDirectory()
        sources = []
        for number, pdf in enumerate(pdfs):
            source = Path(self.folder.name) / f"in-{number}.pdf"
            source.write_bytes(pdf)
            sources.append(str(source))
        command = [gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc",
                   f"-r{TAC_DPI}", f"-sOutputFile={self.folder.name}/page-%03d.tif", *sources]
        try:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE)
        except OSError as error:
            self.folder.cleanup()
            self.error = RasterError(f"Ghostscript 를 실행할 수 없습니다 ({error.strerror})")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Stop Ghostscript if it still runs and remove its files."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process.stderr.close()
            self.folder.cleanup()
            self.process = None

    def result(self) -> list[list]:
        if self.error is not None:
            raise self.error
        if not self.counts:
            return []
        try:
            return self._read()
        except (OSError, subprocess.TimeoutExpired) as error:
            raise RasterError(f"Ghostscript 의 그림을 읽을 수 없습니다 ({error})") from None

    def _read(self) -> list[list]:
        if self.process is None:
            raise RasterError("Ghostscript 실행이 이미 끝났습니다")
        try:
            _, stderr = self.process.communicate(timeout=300)
            if self.process.returncode != 0:
                raise RasterError("Ghostscript가 파일을 그리지 못했습니다: "
                                  + stderr.decode("utf-8", "replace")[:200])
            images, page = [], 0
            for count in self.counts:
                pages = []
                for _ in range(count):
                    page += 1
                    with Image.open(Path(self.folder.name) / f"page-{page:03d}.tif") as image:
                        image.load()
                        pages.append(image.copy())
                images.append(pages)
            return images
        finally:
            self.close()


def _bleed_area(doc, number, image):
    """The part of a page raster inside the BleedBox, and the BleedBox."""
    media = _box(doc.reader.pages[number - 1], "/MediaBox")
    bleed = doc.bleed_box(number)
    scale = TAC_DPI / 72
    crop = (round((bleed[0] - media[0]) * scale), round((media[3] - bleed[3]) * scale),
            round((bleed[2] - media[0]) * scale), round((media[3] - bleed[1]) * scale))
    return image.crop(crop), bleed


def _total_ink(image):
    c, m, y, k = image.split()
    return ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"],
                                 c=c, m=m, y=y, k=k)


def ink_in(pdf: bytes, image, page: int, box: tuple[float, float, float, float]) -> float:
    """Highest total ink (%) inside ``box`` (points) of ``page`` (1-based), from its
    CMYK raster ``image`` at TAC_DPI."""
    media = _box(PdfReader(io.BytesIO(pdf), strict=False).pages[page - 1], "/MediaBox")
    scale = TAC_DPI / 72
    area = image.crop((math.floor((box[0] - media[0]) * scale),
                       math.floor((media[3] - box[3]) * scale),
                       math.ceil((box[2] - media[0]) * scale),
                       math.ceil((media[3] - box[1]) * scale)))
    return _total_ink(area).getextrema()[1] * 100 / 255


def page_tac(pdf: bytes, images: list) -> tuple[float, ...]:
    """Highest total ink (%) inside each page's BleedBox, from CMYK ``images`` of ``pdf``."""
    doc = _Doc(pdf, PdfReader(io.BytesIO(pdf), strict=False), None, 0, 0, None)
    return tuple(_total_ink(_bleed_area(doc, number, image)[0]).getextrema()[1] * 100 / 255
                 for number, image in enumerate(images, start=1))


def _tac_page(doc, number, image):
    area, bleed = _bleed_area(doc, number, image)
    yield from _over_limit(doc, number, area, (bleed[0], bleed[3]))


def _over_limit(doc, number, area, origin):
    """A failing finding if ``area`` (a CMYK raster whose top-left corner is at
    ``origin`` in points) carries more than MAX_TAC anywhere."""
    total = _total_ink(area)
    highest = total.getextrema()[1]
    limit = MAX_TAC * 255 / 100
    if highest > limit + 1:
        scale = TAC_DPI / 72
        over = ImageMath.lambda_eval(lambda a: (a["t"] > limit + 1) * 255, t=total).convert("L")
        left, top, right, bottom = over.getbbox()
        trim = doc.trim_box(number)
        x = (left / scale + origin[0] - trim[0]) / PT_PER_MM
        y_mm = (top / scale + trim[3] - origin[1]) / PT_PER_MM
        yield Finding("tac", False, f"{number}쪽",
                      f"잉크 총량 {highest * 100 / 255:.0f}% (재단선 기준 x {x:.1f} mm, "
                      f"y {y_mm:.1f} mm, 영역 {(right - left) / scale / PT_PER_MM:.1f}×"
                      f"{(bottom - top) / scale / PT_PER_MM:.1f} mm)")


def _tac_by_parts(doc, parts: Parts):
    """Ink of a stamped file: the common page's maximum and the block's, each measured."""
    yield from parts.common.failures("tac")
    blocks = {number: (image, box, bound) for number, image, box, bound in parts.blocks}
    for number, common in enumerate(parts.common_tac, start=1):
        if number not in blocks:
            continue
        image, box, bound = blocks[number]
        if image is None:  # bounded by the colour values it uses
            if bound > MAX_TAC + 0.5:
                yield Finding("tac", False, f"{number}쪽",
                              f"동 안내의 색이 잉크 총량 {bound:.0f}% 입니다")
                continue
            block, how = bound, "이하: 쓰인 색 값으로 계산"
        else:
            failures = list(_over_limit(doc, number, image, (box[0], box[3])))
            yield from failures
            if failures:
                continue
            block, how = _total_ink(image).getextrema()[1] * 100 / 255, ": 그 자리만 측정"
        if common <= MAX_TAC + 0.5:
            yield Finding("tac", True, f"{number}쪽",
                          f"최대 {max(common, block):.0f}% (공통 부분 {common:.0f}%, "
                          f"동 안내 {block:.0f}%{how})")


def _qr_by_parts(doc, parts: Parts):
    """The QR code of a stamped file is the common page's, read there."""
    failures = parts.common.failures("qr") + [f for f in parts.block_codes if not f.ok]
    yield from failures
    if not failures:
        yield Finding("qr", True, "문서",
                      "공통 부분에서 읽음, 주소 일치 (동 안내 자리와 겹치지 않음)")


def check_small_text(doc):
    """Text under 12 pt in one ink; no rich black text at any size."""
    seen = set()
    for run in doc.scan.texts:
        left, bottom, right, top = doc.bleed_box(run.page)
        if not (left <= run.x <= right and bottom <= run.y <= top):
            continue  # slug and marks, outside the bleed
        inks = _inks(run.space.family, run.values)
        colour = " ".join(f"{v:g}" for v in run.values)
        key = (run.page, round(run.size_pt, 1), colour)
        if key in seen:
            continue
        if run.size_pt < SMALL_TEXT_PT and len(inks) > 1:
            seen.add(key)
            yield Finding("small_text", False, f"{run.page}쪽",
                          f"{run.size_pt:.1f}pt 글자가 잉크 {len(inks)}가지 "
                          f"({run.space.family.lstrip('/')} {colour})")
        elif "K" in inks and inks["K"] >= 0.8 and len(inks) > 1:
            seen.add(key)
            yield Finding("small_text", False, f"{run.page}쪽",
                          f"리치 블랙 글자 {run.size_pt:.1f}pt (CMYK {colour})")


def _inks(family, values) -> dict[str, float]:
    """The process inks a colour uses, with their amounts."""
    if family in CMYK_SPACES and len(values) == 4:
        return {ink: v for ink, v in zip("CMYK", values, strict=True) if v > 0.001}
    if family in GRAY_SPACES and values:
        return {"K": 1 - values[0]} if values[0] < 0.999 else {}
    if family == "/Separation":
        return {"spot": 1.0}
    # RGB and other spaces: every channel short of full intensity needs ink.
    return {f"#{i}": 1 - v for i, v in enumerate(values) if v < 0.999}


def check_qr(doc):
    """Every QR code decodes, to the expected URL; the document has at least one."""
    found = 0
    for number, page in enumerate(doc.pdfium, start=1):
        for finding in _qr_codes(page, f"{number}쪽", doc.url):
            found += 1
            if not finding.ok:
                yield finding
    if found == 0:
        yield Finding("qr", False, "문서", "QR코드를 찾지 못했습니다 (없거나 읽을 수 없음)")


def _qr_codes(page, where: str, url: str | None):
    """A finding for each QR code on a pypdfium2 ``page``: passing when it reads
    and opens ``url``."""
    image = page.render(scale=QR_DPI / 72).to_pil().convert("L")
    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode,
                                       return_errors=True):
        if not code.valid:
            yield Finding("qr", False, where, f"QR코드를 읽을 수 없습니다 ({code.error})")
        elif url is not None and code.text != url:
            yield Finding("qr", False, where, f"QR코드 주소 {code.text!r} ≠ 내용 파일 {url!r}")
        else:
            yield Finding("qr", True, where, "읽힘, 주소 일치")


def block_codes(pdf: bytes, page: int, url: str | None) -> tuple[Finding, ...]:
    """The QR codes a 동 block carries (a picture may hold one), from a PDF of its slot:
    each must read and open ``url``, as on a file checked whole."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return tuple(finding for drawn in document
                     for finding in _qr_codes(drawn, f"{page}쪽 동 안내", url))
    finally:
        document.close()


def check_safe_margin(doc):
    """No text or image within safe_mm inside the trim (backgrounds may bleed)."""
    margin = doc.safe_mm * PT_PER_MM
    for number, page in enumerate(doc.pdfium, start=1):
        trim, bleed = doc.trim_box(number), doc.bleed_box(number)
        safe = (trim[0] + margin, trim[1] + margin, trim[2] - margin, trim[3] - margin)
        for obj in page.get_objects(max_depth=8):
            if obj.type not in (_PAGEOBJ_TEXT, _PAGEOBJ_IMAGE):
                continue
            left, bottom, right, top = obj.get_bounds()
            outside_bleed = (right < bleed[0] or left > bleed[2]
                             or top < bleed[1] or bottom > bleed[3])
            if outside_bleed or _inside((left, bottom, right, top), safe, 0.05):
                continue
            kind = "글자" if obj.type == _PAGEOBJ_TEXT else "이미지"
            yield Finding("safe_margin", False, f"{number}쪽",
                          f"{kind}가 재단선에서 {doc.safe_mm:g} mm 안쪽 여백에 들어왔습니다 "
                          f"(x {_mm(left - trim[0])}, y {_mm(trim[3] - top)})")


_CHECK_FUNCTIONS = {
    "pdfx": check_pdfx,
    "boxes": check_boxes,
    "fonts": check_fonts,
    "rgb": check_rgb,
    "images": check_images,
    "tac": check_tac,
    "small_text": check_small_text,
    "qr": check_qr,
    "safe_margin": check_safe_margin,
}


_BY_PARTS = {"tac": _tac_by_parts, "qr": _qr_by_parts}


def format_report(report: Report, limit: int = 5) -> str:
    """The report as a plain-text table with Korean labels, aligned for a terminal."""
    width = max(_columns(label) for label in CHECKS.values())
    blank = " " * (width + 8)
    lines = [f"■ {report.name}", f"  {_pad('검사 항목', width)}  결과  위치 · 값"]
    for key, label in CHECKS.items():
        failures = report.failures(key)
        if not failures:
            lines.append(f"  {_pad(label, width)}  통과")
            continue
        first, *rest = failures
        lines.append(f"  {_pad(label, width)}  실패  {first.where}: {first.detail}")
        for finding in rest[: limit - 1]:
            lines.append(f"  {blank}{finding.where}: {finding.detail}")
        if len(rest) >= limit:
            lines.append(f"  {blank}… 외 {len(rest) - limit + 1}건")
    verdict = "합격: 인쇄소에 보낼 수 있습니다" if report.passed else (
        "불합격: " + ", ".join(CHECKS[k] for k in report.failed_checks()))
    lines.append(f"  → {verdict}")
    return "\n".join(lines)


def _columns(text: str) -> int:
    """Terminal columns: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))
