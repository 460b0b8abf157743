"""Content + template -> PDF: the only module that calls WeasyPrint.

One :class:`Renderer` holds the Jinja2 environment, the WeasyPrint font
configuration and image cache, so a build renders every document in one
process with fonts loaded once.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import jinja2
import pypdfium2
import weasyprint
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

from leaflets.content import Content
from leaflets.errors import ContentOverflowError, LeafletsError
from leaflets.fetcher import ProjectFetcher
from leaflets.korean import keep_words
from leaflets.products import PRODUCTS, Product
from leaflets.project import FONTS, ROOT, TEMPLATES
from leaflets.qr import make_qr

PX_PER_MM = 96 / 25.4  # CSS pixels, as WeasyPrint lays out
PROOF_DPI = 150


@dataclass(frozen=True)
class RenderedProduct:
    """One product rendered to PDF bytes."""

    product: Product
    pdf: bytes
    pages: int
    trim_mm: tuple[float, float]


class Renderer:
    """Renders products from content, reusing fonts and caches across calls."""

    def __init__(self, templates=TEMPLATES):
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["words"] = keep_words
        self.fonts = FontConfiguration()
        self.cache = {}
        self.fetcher = ProjectFetcher([FONTS, templates])

    def html(self, content: Content, product: Product) -> str:
        """The HTML of ``product`` for ``content`` (all data escaped)."""
        template = self.env.get_template(product.template)
        return template.render(
            content=content,
            product=product,
            trim_mm=content.trim_mm(product.name),
            qr=make_qr(content.service.url, product.qr_width_mm),
            won=_won_formatter(content.fee_table.free_label),
        )

    def render(self, content: Content, name: str) -> RenderedProduct:
        """Render product ``name``; raise ContentOverflowError if anything does not fit."""
        return self.render_product(content, PRODUCTS[name])

    def render_product(self, content: Content, product: Product) -> RenderedProduct:
        """Render ``product``, failing on overflow or on a file outside the project."""
        self.fetcher.refused.clear()
        document = weasyprint.HTML(
            string=self.html(content, product),
            base_url=str(ROOT) + "/",
            url_fetcher=self.fetcher,
        ).render(font_config=self.fonts, cache=self.cache)
        if self.fetcher.refused:
            raise LeafletsError(f"허용되지 않은 파일 요청: {', '.join(self.fetcher.refused)}")
        _check_fits(document, product)
        pdf = document.write_pdf(uncompressed_pdf=False)
        return RenderedProduct(product, pdf, len(document.pages), content.trim_mm(product.name))


def rasterize(pdf: bytes, dpi: int = PROOF_DPI):
    """Yield one PIL image per page of ``pdf`` at ``dpi``."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        for page in document:
            yield page.render(scale=dpi / 72).to_pil()
    finally:
        document.close()


def _won_formatter(free_label):
    def won(amount: int) -> str:
        return free_label if amount == 0 else f"{amount:,}원"
    return won


def _check_fits(document, product: Product):
    """Fail unless the content fills exactly the product's pages, inside the safe area."""
    expected = len(product.pages)
    if len(document.pages) > expected:
        raise ContentOverflowError(
            product.name, expected,
            f"{expected}쪽 분량을 넘어 {len(document.pages)}쪽이 되었습니다",
        )
    safe = product.safe_mm * PX_PER_MM
    for number, page in enumerate(document.pages, start=1):
        right, bottom = page.width - safe, page.height - safe
        for box in page._page_box.descendants():
            if not _is_ink(box):
                continue
            if (box.position_x < safe - 0.5 or box.position_y < safe - 0.5
                    or box.position_x + box.width > right + 0.5
                    or box.position_y + box.height > bottom + 0.5):
                raise ContentOverflowError(
                    product.name, number,
                    f"'{_describe(box)}'이(가) 재단선 안쪽 "
                    f"{product.safe_mm:g} mm 여백을 벗어났습니다",
                )


def _is_ink(box) -> bool:
    """Text and images must stay in the safe area; backgrounds may bleed."""
    if isinstance(box, boxes.TextBox):
        return bool(box.text.strip())
    return isinstance(box, boxes.ReplacedBox)


def _describe(box) -> str:
    return box.text.strip()[:20] if isinstance(box, boxes.TextBox) else "QR코드·그림"
