"""The printed products: one table, the single source of their fixed facts.

Trim sizes are data (``minwon24.toml``); what is fixed by design lives here:
the template, the page names, the QR symbol width, the smallest type and
where the 동 block goes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    name: str
    title: str  # Korean name shown to staff
    template: str
    pages: tuple[str, ...]  # Korean page names, in order
    qr_width_mm: float  # quiet zone included
    min_text_pt: float  # smallest type the design allows
    safe_mm: float = 5.0  # text keeps at least this far inside the trim
    dong_page: int = 1  # which page (1-based) carries the 동 block
    dong_image_mm: float = 16.0  # the 동 image is fitted into a square this wide
    dong_slot_mm: float = 19.0  # height reserved for the 동 block
    trim_mm: tuple[float, float] | None = None  # fixed by design; None: the content file's
    bleed_mm: float | None = None  # likewise
    min_image_ppi: int = 300  # at the printed size, 1:1


PRODUCTS = {
    "poster-a4": Product(
        name="poster-a4",
        title="A4 포스터 (붙임 2-가)",
        template="poster-a4.html.j2",
        pages=("포스터",),
        qr_width_mm=36.0,
        min_text_pt=14.0,
        dong_page=1,
        dong_image_mm=28.0,
        dong_slot_mm=35.0,
    ),
    "pocket": Product(
        name="pocket",
        title="포켓용 리플릿 (붙임 2-나)",
        template="pocket.html.j2",
        pages=("앞면", "뒷면"),
        qr_width_mm=26.0,
        min_text_pt=9.0,
        dong_page=2,
        dong_image_mm=16.0,
        dong_slot_mm=19.5,
    ),
}


# Print media made from the same content (leaflets.media.printed): not offset runs of
# their own, so never imposed or priced. dong_page 0: no 동 slot.
PRINT_MEDIA = {
    # A quarter of an A4 page as one column of a two-column A4 소식지·반상회보 page,
    # half its height: the reading order of the pocket leaflet (title, lead, table,
    # steps, QR) fits its width, which a 210 × 74 mm strip would cut into columns.
    "newsletter": Product(
        name="newsletter",
        title="소식지·반상회보 광고 (A4의 1/4)",
        template="newsletter.html.j2",
        pages=("소식지",),
        qr_width_mm=24.0,
        min_text_pt=8.0,
        safe_mm=4.0,
        dong_page=0,
        trim_mm=(105.0, 148.5),
        bleed_mm=3.0,
    ),
    # Read at 2–3 m: body type 60 pt or more. Printed large-format inkjet at 1:1, where
    # 100 ppi is sharp at that distance. Its size is production.toml's [media] xbanner_mm.
    "xbanner": Product(
        name="xbanner",
        title="배너기 (X배너)",
        template="xbanner.html.j2",
        pages=("배너",),
        qr_width_mm=160.0,
        min_text_pt=60.0,
        safe_mm=30.0,  # the stand's grommets and rods sit in the corners
        dong_page=0,
        bleed_mm=5.0,
        min_image_ppi=100,
    ),
}
