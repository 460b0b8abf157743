"""홈페이지 배너: PNG banners at exact pixel sizes, drawn with the project's fonts.

The layout is planned first (:func:`plan_banner`, frozen data: every line's
text, size and place, and the QR's box), then drawn (:func:`draw_banner`), so
tests check the sizes and the text without reading pixels back as text.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from leaflets.errors import LeafletsError
from leaflets.media.mail import qr_png
from leaflets.media.plan import Facts
from leaflets.project import FONTS

MIN_TEXT_PX = 14  # nothing smaller is read on a homepage
QR_MIN_PX = 150  # below this a phone camera does not read a QR from a screen
LINE_HEIGHT = 1.3
BACKGROUND, INK, ACCENT = (11, 79, 156), (255, 255, 255), (255, 216, 77)
# (role, size relative to the body, bold, colour); dropped from the end when space is short
ROLES = (("title", 1.6, True, INK), ("fee", 1.0, True, ACCENT), ("headline", 0.9, False, INK),
         ("url", 0.8, False, INK))
KEEP = 2  # the title and the fee line are never dropped


@dataclass(frozen=True)
class TextLine:
    text: str
    size_px: int
    x: int
    y: int  # top of the line box
    bold: bool
    colour: tuple[int, int, int]
    role: str


@dataclass(frozen=True)
class BannerPlan:
    size: tuple[int, int]
    lines: tuple[TextLine, ...]
    qr: tuple[int, int, int] | None  # x, y, side in px


@functools.cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("NanumSquareB.ttf" if bold else "NanumSquareR.ttf")),
                              size)


def banner_texts(facts: Facts) -> dict[str, str]:
    """The banner's texts by role, from the same facts as every other medium."""
    fee = max(facts.fees, key=lambda row: row.saving)
    return {"title": facts.service,
            "fee": f"{fee.document} {facts.counter_label} {fee.counter} → "
                   f"{facts.service} {fee.online}",
            "headline": facts.headline,
            "url": facts.url.split("://", 1)[-1].rstrip("/")}


def plan_banner(facts: Facts, size: tuple[int, int]) -> BannerPlan:
    """Lay out a ``size`` banner: the largest type that fits, never under 14 px; the QR
    only when it can be at least 150 px."""
    width, height = size
    margin = max(10, round(min(width, height) * 0.06))
    qr_side = min(height - 2 * margin, int((width - 2 * margin) * 0.4))
    qr = None
    if qr_side >= QR_MIN_PX:
        qr = (width - margin - qr_side, (height - qr_side) // 2, qr_side)
    text_width = (qr[0] - margin if qr else width) - 2 * margin
    texts = banner_texts(facts)
    for count in range(len(ROLES), KEEP - 1, -1):
        roles = ROLES[:count]
        smallest = min(scale for _, scale, _, _ in roles)
        low = next(body for body in range(MIN_TEXT_PX, 10 * MIN_TEXT_PX)
                   if round(body * smallest) >= MIN_TEXT_PX)
        best, high = None, max(low, round(height * 0.2))
        while low <= high:  # the largest body size whose lines fit the height
            body = (low + high) // 2
            lines = _set(roles, texts, body, margin, text_width)
            bottom = lines[-1].y + round(lines[-1].size_px * LINE_HEIGHT)
            if bottom <= height - margin:
                best, low = (lines, bottom), body + 1
            else:
                high = body - 1
        if best is not None:
            lines, bottom = best
            shift = (height - margin - bottom) // 2  # centre the block vertically
            return BannerPlan(size, tuple(_moved(line, shift) for line in lines), qr)
    raise LeafletsError(f"배너 {width}×{height}px: 글자를 {MIN_TEXT_PX}px 이상으로 넣을 "
                        f"자리가 없습니다. production.toml [media] 의 크기를 키우세요")


def _set(roles, texts, body, left, width) -> list[TextLine]:
    lines, y = [], left
    for role, scale, bold, colour in roles:
        size = round(body * scale)
        for text in _wrap(texts[role], _font(bold, size), width):
            lines.append(TextLine(text, size, left, y, bold, colour, role))
            y += round(size * LINE_HEIGHT)
        y += round(body * 0.3)
    return lines


def _wrap(text: str, font, width: int) -> list[str]:
    """Break at spaces only (어절); a word wider than ``width`` makes the layout fail."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if any(font.getlength(line) > width for line in lines):
        return lines * 100  # cannot fit: tall enough to be refused by the caller
    return lines


def _moved(line: TextLine, dy: int) -> TextLine:
    return TextLine(line.text, line.size_px, line.x, line.y + dy, line.bold, line.colour,
                    line.role)


def draw_banner(plan: BannerPlan, facts: Facts) -> bytes:
    """The PNG of ``plan``."""
    image = Image.new("RGB", plan.size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    for line in plan.lines:
        draw.text((line.x, line.y), line.text, font=_font(line.bold, line.size_px),
                  fill=line.colour)
    if plan.qr:
        x, y, side = plan.qr
        qr = Image.open(io.BytesIO(qr_png(facts.url, side))).convert("RGB")
        white = Image.new("RGB", (side, side), (255, 255, 255))
        white.paste(qr, ((side - qr.width) // 2, (side - qr.height) // 2))
        image.paste(white, (x, y))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
