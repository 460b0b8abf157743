"""The print media of the same content: the 소식지·반상회보 block and the 배너기.

Rendered by the same :class:`~leaflets.render.Renderer` as the poster and the
pocket leaflet (PDF/X-4, CMYK, bleed, marks, slug) and checked by the same
preflight, with each product's own limits (:data:`leaflets.products.PRINT_MEDIA`):
the 배너기 is read from metres away, so its images need 100 ppi at 1:1 and its
type may not go under 60 pt. Nothing here writes a file.
"""

from __future__ import annotations

import dataclasses

from leaflets.artifacts import Artifact, PreflightFailed, sha256
from leaflets.content import Content
from leaflets.production import MediaSettings
from leaflets.products import PRINT_MEDIA, Product

FOLDER = "media/print"
KIND = "print-media"  # not "print": packaging and imposition take only the offset runs


def print_products(settings: MediaSettings) -> dict[str, Product]:
    """The print media with their sizes settled (the 배너기's from production.toml)."""
    products = dict(PRINT_MEDIA)
    products["xbanner"] = dataclasses.replace(products["xbanner"],
                                              trim_mm=settings.xbanner_mm)
    return products


# The print media a 동 edition has of its own: the 소식지 block names where to come
# and call. The 배너기 names no place (it stands in the 민원실 it would name) and is
# the same for all 17: the 구's file serves every 동.
DONG_PRINT_MEDIA = ("newsletter",)


def print_media_files(content: Content, settings: MediaSettings, renderer, spots=(),
                      dong=None):
    """[(relative path, (Artifact, bytes))] of the print media, every one preflighted;
    raise PreflightFailed (after rendering all) if any fails. With ``dong``, its
    edition's (:data:`DONG_PRINT_MEDIA`, with its block) under ``dongs/<동>/``."""
    from leaflets.preflight import preflight

    files, failed = [], []
    prefix = f"dongs/{dong.slug}/" if dong is not None else ""
    for name, product in print_products(settings).items():
        if dong is not None and name not in DONG_PRINT_MEDIA:
            continue
        result = renderer.render_product(content, product, "print", dong)
        path = f"{prefix}{FOLDER}/{name}.pdf"
        report = preflight(result.pdf, path, bleed_mm=result.bleed_mm,
                           safe_mm=product.safe_mm, url=content.service.url,
                           spots=tuple(spots), min_ppi=product.min_image_ppi,
                           min_text_pt=product.min_text_pt)
        if not report.passed:
            failed.append(report)
        files.append((path, (Artifact(name, KIND, path, sha256(result.pdf), result.pages,
                                      result.trim_mm, bleed_mm=result.bleed_mm,
                                      preflight="passed",
                                      dong=dong.name if dong is not None else None),
                               result.pdf)))
    if failed:
        raise PreflightFailed(failed)
    return files
