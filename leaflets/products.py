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
