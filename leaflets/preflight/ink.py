"""Ink: total area coverage measured on a CMYK rasterisation (Ghostscript's
``tiff32nc`` device), or bounded from the colour values a page sets."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageMath
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
)

from leaflets.preflight.base import (
    MAX_TAC,
    PT_PER_MM,
    REGISTRATION,
    TAC_DPI,
    Finding,
    Parts,
    _box,
    _Doc,
)


def ink_bound(pdf: bytes, index: int) -> float | None:
    """An upper bound of the total ink (%) anywhere on page ``index`` (0-based) of
    ``pdf``, from the colour values its content sets: with normal blending and no
    overprint no point carries more than the richest colour painted. Where a
    graphics state overprints (K100 text over a tint, say), a point may keep each
    plate of what lies below: the bound is then the sum, plate by plate, of the
    highest value any colour sets.

    Only what is known to keep that true is accepted: DeviceCMYK and DeviceGray
    colours, vector paths and text in embedded (not Type 3) fonts, graphics states
    without blend modes or transfer functions. Anything else (an image, a shading
    or pattern, another colour space) returns None: it must be measured on a raster."""
    reader = PdfReader(io.BytesIO(pdf), strict=False)
    page = reader.pages[index]
    if not _plain_resources(page.get("/Resources")) or "/Group" in page:
        return None
    highest = 100.0  # the initial fill colour is black
    plates = [0.0, 0.0, 0.0, 1.0]  # the highest value set on each of C, M, Y, K

    def paint(values):
        nonlocal highest
        highest = max(highest, sum(values) * 100)
        plates[:] = [max(a, b) for a, b in zip(plates, values, strict=True)]

    for operands, operator in _page_operations(reader, page):
        if operator in (b"k", b"K"):
            paint([float(v) for v in operands])
        elif operator in (b"g", b"G"):
            paint([0.0, 0.0, 0.0, 1 - float(operands[0])])
        elif operator in (b"cs", b"CS"):
            if str(operands[0]) not in ("/DeviceCMYK", "/DeviceGray"):
                return None  # a space chosen by name: its initial colour is unknown ink
        elif operator in (b"sc", b"scn", b"SC", b"SCN"):
            values = [float(v) for v in operands if isinstance(v, int | float)]
            if len(values) != len(operands):
                return None  # a pattern
            if len(values) == 4:
                paint(values)
            elif len(values) == 1:
                paint([0.0, 0.0, 0.0, 1 - values[0]])
            else:
                return None
        elif operator in (b"rg", b"RG", b"sh", b"INLINE IMAGE", b"BI", b"d0", b"d1"):
            return None
    if _overprints(page.get("/Resources")):
        return max(highest, sum(plates) * 100)
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
        if set(state) - _SAFE_STATE \
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


def _overprints(resources, seen=None) -> bool:
    """Whether a graphics state in ``resources`` or its forms turns overprint on."""
    seen = set() if seen is None else seen
    resources = resources.get_object() if resources is not None else {}
    for state in (resources.get("/ExtGState") or {}).values():
        state = state.get_object()
        if _true(state.get("/OP")) or _true(state.get("/op")):
            return True
    for xobject in (resources.get("/XObject") or {}).values():
        key = getattr(xobject, "idnum", None)
        if key not in seen:
            seen.add(key)
            if _overprints(xobject.get_object().get("/Resources"), seen):
                return True
    return False


def _true(value) -> bool:
    # pypdf's BooleanObject(False) is truthy: compare with the value it holds
    return value is not None and getattr(value, "value", value) is True


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



def check_tac(doc):
    """Total area coverage inside the BleedBox, measured on a CMYK rasterisation."""
    try:
        images = doc_rasters(doc)
    except RasterError as error:
        yield Finding("tac", False, "문서", str(error))
        return
    for number, image in enumerate(images, start=1):
        yield from _tac_page(doc, number, image)


def doc_rasters(doc) -> list:
    """The document's pages as CMYK images at TAC_DPI, drawn once per document."""
    if doc.rasters is None:
        doc.rasters = cmyk_rasters([doc.data])
    return doc.rasters[0]


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


def registration_as_k(pdf: bytes) -> bytes:
    """``pdf`` with the registration colour (Separation /All) drawn on the black plate
    alone: an imposed sheet's marks print on every plate, but they are no ink load
    on the paper the customer gets, so they are left out of its total ink."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf), strict=False))
    black = writer._add_object(DictionaryObject({
        NameObject("/FunctionType"): NumberObject(2),
        NameObject("/Domain"): ArrayObject([FloatObject(0), FloatObject(1)]),
        NameObject("/C0"): ArrayObject([FloatObject(1)]),
        NameObject("/C1"): ArrayObject([FloatObject(0)]),
        NameObject("/N"): NumberObject(1)}))

    def visit(obj, depth=0):
        if isinstance(obj, ArrayObject):
            if (len(obj) == 4 and obj[0] == "/Separation" and obj[1] == REGISTRATION):
                obj[1] = NameObject("/RegistrationOnBlack")
                obj[2] = NameObject("/DeviceGray")
                obj[3] = black
            for item in obj:
                visit(item, depth + 1)
        elif isinstance(obj, DictionaryObject) and depth < 32:
            for value in obj.values():
                visit(value, depth + 1)

    for obj in list(writer._objects):
        visit(obj)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
