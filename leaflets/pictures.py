"""A 동's uploaded picture, made fit for print once, when it is uploaded.

A picture is decoded once (with the same byte and pixel caps as the dongs
file's reader), refused when it cannot print well — too small for 300 ppi at
its placed size, an extreme strip, or more ink than the press takes after
conversion to the print profile — and otherwise stored with no more pixels
than 300 ppi at the largest placed size needs. Every later render, preview
and preflight then reads a small file.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from leaflets.dongs import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MIN_PRINT_PPI, to_print_cmyk
from leaflets.errors import DataError
from leaflets.preflight import MAX_TAC
from leaflets.products import PRODUCTS

MAX_ASPECT = 8  # longer side / shorter side: a thinner strip prints as a line
PLACED_MM = max(product.dong_image_mm for product in PRODUCTS.values())
NEEDED_PX = math.ceil(PLACED_MM / 25.4 * MIN_PRINT_PPI)  # longer side, 300 ppi at PLACED_MM


def normalise(data: bytes, path: str | Path, field: str) -> tuple[str, bytes]:
    """(suffix, bytes) of the picture to store, or DataError naming ``field``."""
    if len(data) > MAX_IMAGE_BYTES:
        raise DataError(path, field, f"그림 파일이 너무 큽니다 ({len(data) / 1048576:.1f} MB)",
                        allowed=f"{MAX_IMAGE_BYTES // 1048576} MB 이하")
    image = _decode(data, path, field)
    width, height = image.size
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise DataError(path, field, f"그림이 너무 가늘고 깁니다 ({width}×{height} 픽셀)",
                        allowed=f"가로·세로 비율 {MAX_ASPECT}:1 이하")
    if max(width, height) < NEEDED_PX:
        raise DataError(path, field, f"그림이 너무 작습니다 ({width}×{height} 픽셀). 인쇄용은 "
                        f"{MIN_PRINT_PPI} ppi 이상이어야 합니다",
                        allowed=f"긴 쪽 {NEEDED_PX} 픽셀 이상 (포스터 {PLACED_MM:g} mm)")
    if max(width, height) > NEEDED_PX:
        image.thumbnail((NEEDED_PX, NEEDED_PX), Image.Resampling.LANCZOS)
    ink = _max_ink(image)
    if ink > MAX_TAC:
        raise DataError(path, field, f"그림의 잉크 총량이 {ink:.0f}% 입니다 (인쇄용 CMYK로 "
                        "바꾼 값). 너무 진한 부분이 인쇄에서 번집니다",
                        allowed=f"{MAX_TAC}% 이하: 더 밝은 그림으로 바꿔 주세요")
    out = io.BytesIO()
    if image.mode == "CMYK":
        image.save(out, "JPEG", quality=95, subsampling=0)
        return ".jpg", out.getvalue()
    image.save(out, "PNG", optimize=True)
    return ".png", out.getvalue()


def _decode(data: bytes, path, field) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ("PNG", "JPEG"):
                    raise DataError(path, field, f"PNG나 JPEG가 아닙니다 (실제 형식: "
                                    f"{image.format})", allowed="PNG, JPEG")
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise DataError(path, field, f"그림이 너무 큽니다 ({image.width}×"
                                    f"{image.height} 픽셀)",
                                    allowed=f"{MAX_IMAGE_PIXELS:,} 픽셀 이하")
                image.load()
                image = ImageOps.exif_transpose(image)
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(path, field, "그림이 너무 큽니다 (압축 폭탄 의심)",
                        allowed=f"{MAX_IMAGE_PIXELS:,} 픽셀 이하") from None
    except Exception as error:  # noqa: BLE001  Pillow raises many kinds for broken files
        raise DataError(path, field, f"그림을 읽을 수 없습니다 ({type(error).__name__})",
                        allowed="PNG, JPEG") from None
    if image.mode == "CMYK":
        return image
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    return image


def _max_ink(image: Image.Image) -> float:
    """The highest total ink (%) of any pixel once in the print profile (FOGRA39)."""
    return max(map(sum, to_print_cmyk(image).get_flattened_data())) * 100 / 255
