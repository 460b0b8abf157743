"""Content + template -> PDF: the only module that calls WeasyPrint.

One :class:`Renderer` holds the Jinja2 environment, the WeasyPrint font
configuration and image cache, so a build renders every document in one
process with fonts loaded once.

Two modes:

- ``screen``: trim size, RGB (the theme converted through the print
  profile), tagged PDF/UA-1 with a title and ``lang="ko"``: for the web
  site and e-mail, and the source of the PNG proofs;
- ``print``: PDF/X-4 in CMYK with the FOGRA39 OutputIntent, bleed, crop
  marks, registration targets and a slug: for the vendor.

Sheet furniture (marks, colour bar and slug of imposed sheets) is rendered
here too, so that WeasyPrint has a single caller.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import math
import re
import struct
import uuid
import zlib
from dataclasses import dataclass

import jinja2
import pydyf
import pypdfium2
import weasyprint
from markupsafe import Markup
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

from leaflets.clock import build_date
from leaflets.content import Content, Desk
from leaflets.dongs import MIN_PRINT_PPI, Dong
from leaflets.errors import ContentOverflowError, DataError, LeafletsError
from leaflets.fetcher import ProjectFetcher
from leaflets.impose.plan import slug_text as sheet_slug
from leaflets.korean import keep_words
from leaflets.overflow import overflowing_field
from leaflets.printready import PDF_VARIANT, PrintSetup, finisher, slug_text
from leaflets.production import OutputCondition, builtin_output
from leaflets.products import PRODUCTS, Product
from leaflets.project import FONTS, ROOT, TEMPLATES
from leaflets.qr import make_qr
from leaflets.theme import css_colour, screen_css

PX_PER_MM = 96 / 25.4  # CSS pixels, as WeasyPrint lays out
PROOF_DPI = 150
MODES = {"screen": "pdf/ua-1", "print": PDF_VARIANT}


@dataclass(frozen=True)
class RenderedProduct:
    """One product rendered to PDF bytes."""

    product: Product
    mode: str
    pdf: bytes
    pages: int
    trim_mm: tuple[float, float]
    bleed_mm: float  # 0 for screen files
    warnings: tuple[str, ...] = ()  # e.g. a 동 image too coarse for print (proofs only)
    slot_px: tuple[float, float, float, float] | None = None  # the 동 slot: x, y, w, h


class Renderer:
    """Renders products from content, reusing fonts and caches across calls."""

    def __init__(self, templates=TEMPLATES, output: OutputCondition | None = None):
        """``output``: the printing condition (production.toml's [output]) that the
        OutputIntent and every CMYK conversion follow; default the built-in FOGRA39."""
        self.output = output or builtin_output()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["words"] = keep_words  # 동 data and labels: ** prints as typed
        self.env.filters["rich"] = functools.partial(keep_words, markup=True)  # **굵게**
        self.fonts = FontConfiguration()
        self.cache = {}
        self.fetcher = ProjectFetcher([FONTS, templates])
        self.stylesheets = {}  # CSS text -> parsed stylesheet

    def html(self, content: Content, product: Product, mode: str = "screen",
             dong: Dong | None = None, *, edition: str = "whole",
             slot: tuple[float, float, float, float] | None = None) -> str:
        """The HTML of ``product`` for ``content`` (all data escaped), with ``dong``'s block.

        ``edition`` is "whole" (a complete page), "common" (the pages every 동
        edition shares: empty slot, no slug) or "overlay" (what ``dong`` adds to
        them: its block at ``slot``, x, y, width, height in CSS px, and the slug).
        """
        setup = None
        if mode == "print":
            setup = PrintSetup(_trim_mm(content, product), _bleed_mm(content, product))
        date = build_date()

        def slug(side):
            return slug_text(product.name, side, setup, date, content.sha256,
                             dong.name if dong else None)

        overlays = None
        if edition == "overlay":
            x, y, width, height = slot
            overlays = {"slug": slug, "slot_style": (
                f"position: absolute; left: {x:.4f}px; top: {y:.4f}px; width: {width:.4f}px; "
                f"height: {height:.4f}px; right: auto; bottom: auto; margin: 0")}
        return self.env.get_template(product.template).render(
            overlays=overlays,
            slot_style=None,
            content=content,
            product=product,
            trim_mm=_trim_mm(content, product),
            qr=_with_alt(make_qr(content.service.url, product.qr_width_mm,
                                 css_colour("ink", mode)), content.service),
            registration=css_colour("registration", mode),
            won=_won_formatter(content.fee_table.free_label),
            print=setup,
            slug=None if edition == "common" else slug,
            screen_css=screen_css(),
            dong=dong,
            # The 구 edition fills the slot with the 구's own block; the pages every
            # 동 edition shares ("common") leave it empty for the 동's block.
            desk=_desk(content) if dong is None and edition == "whole" else None,
            dong_image=self._serve_image(dong, mode),
            dong_slot_mm=product.dong_slot_mm,
        )

    def _serve_image(self, dong: Dong | None, mode: str) -> str | None:
        """The 동 image for this mode (CMYK JPEG for print, RGB PNG for screen), served
        from memory; None without an image."""
        if dong is None or dong.image is None:
            return None
        key = f"{dong.image.sha256[:20]}-{mode}"
        if mode == "print":
            key = f"{key}-{self.output.sha256[:12]}"
            return self.fetcher.serve(f"{key}.jpg", dong.image.for_print(self.output.data),
                                      "image/jpeg")
        return self.fetcher.serve(f"{key}.png", dong.image.for_screen(), "image/png")

    def render(self, content: Content, name: str, mode: str = "screen",
               dong: Dong | None = None, *, draft: bool = False) -> RenderedProduct:
        """Render product ``name``; raise ContentOverflowError if anything does not fit."""
        return self.render_product(content, PRODUCTS[name], mode, dong, draft=draft)

    def render_product(self, content: Content, product: Product, mode: str = "screen",
                       dong: Dong | None = None, *, edition: str = "whole",
                       slot: tuple[float, float, float, float] | None = None,
                       draft: bool = False) -> RenderedProduct:
        """Render ``product`` (a 동 edition when ``dong`` is given), failing on overflow,
        on a file outside the project, or on a 동 image too coarse for print.

        ``edition`` and ``slot`` as for :meth:`html`: "common" pages and a 동's
        "overlay" pages, stamped together (:mod:`leaflets.compose`), make the same
        pages as a "whole" render of that 동's edition, for a fraction of the work.

        ``draft`` (screen only): the same pages and checks, written as a plain
        uncompressed PDF without the PDF/UA structure: for a picture made at once from
        it (the live preview), never for a file anybody keeps. Half the writing time.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; allowed: {', '.join(MODES)}")
        if draft and mode != "screen":
            raise ValueError("a draft is a screen render")
        warnings = _check_image(product, mode, dong)
        self.fetcher.refused.clear()
        self.fetcher.memory.clear()
        document = self._layout(self.html(content, product, mode, dong, edition=edition,
                                          slot=slot))
        if self.fetcher.refused:
            raise LeafletsError(f"허용되지 않은 파일 요청: {', '.join(self.fetcher.refused)}")
        slot_pages = None  # which product page each page is, for the slot check
        if edition == "overlay":  # the slug pages (print), then the block page
            slot_pages = [None] * (len(product.pages) if mode == "print" else 0)
            slot_pages.append(product.dong_page)
        try:
            slot_px = _check_fits(document, product, dong, slot_pages)
        except ContentOverflowError as error:
            # The 구 edition names the content field; a 동's block names dongs.toml.
            field = (overflowing_field(document, content, product, error.page)
                     if edition == "whole" and dong is None else None)
            raise (error.naming(field) if field else error) from None
        if slot_pages is not None and len(document.pages) != len(slot_pages):
            raise LeafletsError(f"{product.name}: 동 덧씌움 쪽 수가 {len(document.pages)}쪽 "
                                f"(예상 {len(slot_pages)}쪽) 입니다")
        bleed = _bleed_mm(content, product) if mode == "print" else 0.0
        seed = f"{content.sha256}:{product.name}:{mode}:{dong.name if dong else ''}:{edition}"
        finish = finisher(bleed, output=self.output) if mode == "print" else None
        pdf = (document.write_pdf(uncompressed_pdf=True) if draft
               else _write(document, MODES[mode], finish, seed))
        return RenderedProduct(product, mode, pdf, len(document.pages),
                               _trim_mm(content, product), bleed, tuple(warnings), slot_px)

    def _layout(self, html: str):
        """Lay out one of our documents. Its stylesheet (the same for every 동 edition
        of a product) is parsed once and reused: a third of a small overlay's cost.

        WeasyPrint takes a parsed sheet as a user style sheet; with no other author
        sheet and no presentational hints that cascades as the in-page <style> did
        (a test renders both ways and compares the pixels)."""
        parts = _STYLE.match(html)
        if parts is None:  # no stylesheet of ours to reuse
            return weasyprint.HTML(string=html, base_url=str(ROOT) + "/",
                                   url_fetcher=self.fetcher).render(font_config=self.fonts,
                                                                    cache=self.cache)
        head, css, rest = parts.groups()
        stylesheet = self.stylesheets.get(css)
        if stylesheet is None:
            stylesheet = weasyprint.CSS(string=css, base_url=str(ROOT) + "/",
                                        url_fetcher=self.fetcher, font_config=self.fonts)
            if len(self.stylesheets) >= 16:
                self.stylesheets.pop(next(iter(self.stylesheets)))
            self.stylesheets[css] = stylesheet
        return weasyprint.HTML(string=head + rest, base_url=str(ROOT) + "/",
                               url_fetcher=self.fetcher).render(
            font_config=self.fonts, cache=self.cache, stylesheets=[stylesheet])

    def render_document(self, template: str, seed: str, *,
                        images: dict[str, tuple[bytes, str]] | None = None, **context) -> bytes:
        """An office document (the spec sheet): A4, RGB, tagged, from ``template``.

        ``images`` ({name: (bytes, media type)}) are served from memory as
        ``leaflets-image:<name>`` (pictures made by the program, such as proofs)."""
        html = self.env.get_template(template).render(screen_css=screen_css(), **context)
        self.fetcher.refused.clear()
        self.fetcher.memory.clear()
        for name, (data, media_type) in (images or {}).items():
            self.fetcher.serve(name, data, media_type)
        document = weasyprint.HTML(string=html, base_url=str(ROOT) + "/",
                                   url_fetcher=self.fetcher).render(font_config=self.fonts,
                                                                    cache=self.cache)
        if self.fetcher.refused:
            raise LeafletsError(f"허용되지 않은 파일 요청: {', '.join(self.fetcher.refused)}")
        return _write(document, "pdf/ua-1", None, seed)

    def render_sheet(self, plan, title: str, data_sha256: str) -> bytes:
        """The slug page of an imposed sheet, one page per side (impose.pdf draws the
        marks and the control strip)."""
        width, height = plan.sheet_mm

        def slug(side):
            return sheet_slug(plan, side, title, build_date(), data_sha256)

        html = self.env.get_template("sheet.html.j2").render(
            plan=plan, title=title, W=width, H=height, slug=slug)
        self.fetcher.refused.clear()
        document = weasyprint.HTML(string=html, base_url=str(ROOT) + "/",
                                   url_fetcher=self.fetcher)
        seed = f"{data_sha256}:{title}:{plan.sheet.name}:{plan.method}:{plan.n_up}:{plan.sheets}"
        return _write(document.render(font_config=self.fonts, cache=self.cache), PDF_VARIANT,
                      finisher(None, output=self.output), seed)  # the sheet's OutputIntent


def _write(document, variant, finish, seed: str) -> bytes:
    """``document`` as PDF bytes that depend only on the inputs: the creation date is the
    build date, the file identifier and XMP document ID derive from ``seed``."""
    moment = f"{build_date()}T00:00:00+00:00"
    document.metadata.created = document.metadata.modified = moment
    digest = hashlib.sha256(seed.encode()).hexdigest()
    stable_uuid = str(uuid.UUID(digest[:32]))

    def finisher(doc, pdf):
        if finish is not None:
            finish(doc, pdf)
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Stream) and obj.stream and not obj.compress:
                data = b"".join(c if isinstance(c, bytes) else str(c).encode()
                                for c in obj.stream)
                if b"xmp.did:" in data:
                    obj.stream = [_XMP_ID.sub(f"xmp.did:{stable_uuid}".encode(), data)]

    return document.write_pdf(pdf_variant=variant, finisher=finisher,
                              pdf_identifier=digest[:32].encode())


_XMP_ID = re.compile(rb"xmp\.did:[0-9a-fA-F-]{36}")
# Our templates have one <style> in <head>; data is escaped, so "</style>" is ours.
_STYLE = re.compile(r"(?s)(.*?<style>)(.*?)(</style>.*)")



def print_renderer(output: OutputCondition, renderer: Renderer | None = None) -> Renderer:
    """``renderer`` if it renders for ``output`` (production.toml's [output] profile),
    else a new Renderer that does: every print file follows the job's profile."""
    if renderer is not None and renderer.output == output:
        return renderer
    return Renderer(output=output)


def rasterize(pdf: bytes, dpi: int = PROOF_DPI, *, crop_to_trim: bool = False,
              pages: list[int] | None = None):
    """Yield one PIL image per page of ``pdf`` (or of the 1-based ``pages``) at ``dpi``,
    optionally of the TrimBox only."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        for index in ([n - 1 for n in pages] if pages else range(len(document))):
            page = document[index]
            if crop_to_trim:
                left, bottom, right, top = page.get_trimbox()
                page.set_cropbox(left, bottom, right, top)
            yield page.render(scale=dpi / 72, may_draw_forms=False).to_pil()
    finally:
        document.close()


def _check_image(product: Product, mode: str, dong: Dong | None) -> list[str]:
    """Refuse a 동 image too coarse for print; for proofs, warn."""
    if dong is None or dong.image is None:
        return []
    box = (product.dong_image_mm, product.dong_image_mm)
    ppi = dong.image.effective_ppi(box)
    if ppi >= MIN_PRINT_PPI:
        return []
    problem = (f"그림 해상도가 {ppi:.0f} ppi 입니다 ({product.title}에 "
               f"{product.dong_image_mm:g} mm 크기로 들어감)")
    if mode == "print":
        pixels = math.ceil(product.dong_image_mm / 25.4 * MIN_PRINT_PPI)
        raise DataError(dong.path, f"{dong.name}.image", problem + ". 인쇄용은 "
                        f"{MIN_PRINT_PPI} ppi 이상이어야 합니다",
                        value=dong.image.source, allowed=f"가로·세로 {pixels} 픽셀 이상")
    return [f"{dong.name}: {problem} — 인쇄용은 {MIN_PRINT_PPI} ppi 이상 필요"]


def proof_pngs(pdf: bytes, pages: list[int] | None = None):
    """PNG proofs (bytes) of ``pdf``'s pages (1-based ``pages``, default all) at PROOF_DPI."""
    for image in rasterize(pdf, PROOF_DPI, pages=pages):
        yield png_bytes(image, PROOF_DPI)


def png_bytes(image, dpi: int) -> bytes:
    """``image`` (RGB or RGBA) as a PNG that records ``dpi``.

    Written here rather than by Pillow: Pillow tries every row filter on every row,
    which on these mostly flat pages costs twice the time for a larger file
    (measured on an A4 proof at 150 dpi: 31 ms and 251 KB against 13 ms and
    207 KB with no filter and zlib level 3). Tests read the result back with Pillow.
    """
    mode = "RGBA" if "A" in image.mode or "transparency" in image.info else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    width, height = image.size
    raw, stride = memoryview(image.tobytes()), width * len(mode)
    packer = zlib.compressobj(3)
    parts = []  # row by row: no second page-sized buffer
    for y in range(height):
        parts.append(packer.compress(b"\0"))
        parts.append(packer.compress(raw[y * stride:(y + 1) * stride]))
    parts.append(packer.flush())
    per_metre = round(dpi / 0.0254)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    colour_type = 6 if mode == "RGBA" else 2
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
            + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
            + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def _trim_mm(content: Content, product: Product) -> tuple[float, float]:
    """The trim: fixed by the product's design (print media), else the content file's."""
    return product.trim_mm or content.trim_mm(product.name)


def _bleed_mm(content: Content, product: Product) -> float:
    return product.bleed_mm if product.bleed_mm is not None else content.bleed_mm(product.name)


def _with_alt(qr, service):
    """The QR symbol with its alternate text, the PDF/UA Figure's /Alt (an SVG title)."""
    title = Markup("<title>{}</title>").format(f"{service.name} 바로가기 QR코드: {service.url}")
    svg = str(qr.svg)
    at = svg.index(">") + 1
    return dataclasses.replace(qr, svg=Markup(svg[:at]) + title + Markup(svg[at:]))


def _desk(content: Content):
    """The 구 edition's block: the content file's [desk], else the service's address."""
    if content.desk is not None:
        return content.desk
    return Desk(f"『{content.service.name}』 바로가기", content.service.url)


def _won_formatter(free_label):
    def won(amount: int) -> str:
        return free_label if amount == 0 else f"{amount:,}원"
    return won


def _check_fits(document, product: Product, dong: Dong | None = None, slot_pages=None):
    """Fail unless the content fills exactly the product's pages, inside the safe area,
    with the 동 block inside its slot and nothing else in it. Return the slot
    (x, y, width, height in CSS px). ``slot_pages`` says which product page each
    page of an overlay stands for (None: a page without the slot)."""
    if slot_pages is None:
        slot_pages = list(range(1, len(product.pages) + 1))
    expected = len(slot_pages)
    slot = None
    if len(document.pages) > expected:
        raise ContentOverflowError(
            product.name, expected,
            f"{expected}쪽 분량을 넘어 {len(document.pages)}쪽이 되었습니다",
        )
    safe = product.safe_mm * PX_PER_MM
    for number, page in enumerate(document.pages, start=1):
        right, bottom = page.width - safe, page.height - safe
        for box in _ink_boxes(page._page_box):
            if (box.position_x < safe - 0.5 or box.position_y < safe - 0.5
                    or box.position_x + box.width > right + 0.5
                    or box.position_y + box.height > bottom + 0.5):
                raise ContentOverflowError(
                    product.name, slot_pages[number - 1] or number,
                    f"'{_describe(box)}'이(가) 재단선 안쪽 "
                    f"{product.safe_mm:g} mm 여백을 벗어났습니다",
                )
        if slot_pages[number - 1] is not None:
            slot = _check_slot(page._page_box, product, slot_pages[number - 1], dong) or slot
    return slot


def _check_slot(page_box, product: Product, number: int, dong: Dong | None):
    """The 동 slot holds the 동 block, all of it, and nothing else; return its box."""
    slots = list(_find_class(page_box, "dong-slot"))
    if number != product.dong_page:
        return None
    if len(slots) != 1:
        raise ContentOverflowError(product.name, number, "동 안내 자리가 템플릿에 없습니다")
    slot = slots[0]
    top, left = slot.content_box_y(), slot.content_box_x()
    bottom, right = top + slot.height, left + slot.width
    inside = {id(box) for box in _ink_boxes(slot)}
    for box in _ink_boxes(page_box):
        box_bottom, box_right = box.position_y + box.height, box.position_x + box.width
        if id(box) in inside:
            if (box.position_y < top - 0.5 or box_bottom > bottom + 0.5
                    or box.position_x < left - 0.5 or box_right > right + 0.5):
                who = f"{dong.name}의 " if dong else ""
                raise ContentOverflowError(
                    product.name, number,
                    f"{who}동 안내 '{_describe(box)}'이(가) 정해진 자리"
                    f"({slot.height / PX_PER_MM:.0f} mm 높이)를 넘습니다",
                    "dongs.toml 의 안내 문구·창구·주소를 줄여 주세요")
        elif (box.position_y < bottom and box_bottom > top
              and box.position_x < right and box_right > left):
            raise ContentOverflowError(
                product.name, number,
                f"'{_describe(box)}'이(가) 동 안내 자리를 침범합니다")
    # The block's backgrounds and padding too: a stamped block must not reach past it.
    for child in getattr(slot, "children", ()):
        if getattr(child, "element_tag", None) != "div":
            continue
        child_top, child_left = child.border_box_y(), child.border_box_x()
        if (child_top < top - 0.5 or child_left < left - 0.5
                or child_top + child.border_height() > bottom + 0.5
                or child_left + child.border_width() > right + 0.5):
            who = f"{dong.name}의 " if dong else ""
            raise ContentOverflowError(
                product.name, number,
                f"{who}동 안내가 정해진 자리({slot.height / PX_PER_MM:.0f} mm 높이)를 넘습니다",
                "dongs.toml 의 안내 문구·창구·주소를 줄여 주세요")
    return left, top, slot.width, slot.height


def _find_class(box, name):
    element = getattr(box, "element", None)
    if element is not None and name in (element.get("class") or "").split() \
            and getattr(box, "element_tag", None) == "div":
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _find_class(child, name)


def _ink_boxes(box):
    """Text and images that must stay in the safe area (not print furniture)."""
    element = getattr(box, "element", None)
    if element is not None and "furniture" in (element.get("class") or "").split():
        return
    if isinstance(box, boxes.TextBox):
        if box.text.strip():
            yield box
    elif isinstance(box, boxes.ReplacedBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _ink_boxes(child)


def _describe(box) -> str:
    return box.text.strip()[:20] if isinstance(box, boxes.TextBox) else "QR코드·그림"
