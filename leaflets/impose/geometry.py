"""Rectangles, affine maps and grid fills in millimetres (origin bottom-left, y up)."""

from __future__ import annotations

from dataclasses import dataclass

EPSILON = 1e-6


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def top(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Rect) -> bool:
        """True when the interiors intersect (touching edges do not count)."""
        return (self.x < other.right - EPSILON and other.x < self.right - EPSILON
                and self.y < other.top - EPSILON and other.y < self.top - EPSILON)

    def contains(self, other: Rect) -> bool:
        return (other.x >= self.x - EPSILON and other.y >= self.y - EPSILON
                and other.right <= self.right + EPSILON and other.top <= self.top + EPSILON)

    def inset(self, d: float) -> Rect:
        return Rect(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)

    def moved(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def mirrored(self, width: float) -> Rect:
        """This rectangle after the sheet (``width`` wide) is turned side to side."""
        return Rect(width - self.right, self.y, self.w, self.h)


# An affine map (a, b, c, d, e, f): x' = a x + c y + e, y' = b x + d y + f, as in PDF.
Matrix = tuple[float, float, float, float, float, float]


def compose(first: Matrix, then: Matrix) -> Matrix:
    """The map that applies ``first``, then ``then``."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def mirror(width: float) -> Matrix:
    """Turning side to side: x -> width - x."""
    return (-1, 0, 0, 1, width, 0)


def place(rect: Rect, rotation: int, scale: float, piece: tuple[float, float]) -> Matrix:
    """The map from piece coordinates (trim, origin bottom-left) into ``rect`` on the sheet.

    ``rotation`` is 0 or 90 (counter-clockwise); ``rect`` is the trim area on
    the sheet, already rotated and scaled.
    """
    width, height = piece
    if rotation == 0:
        return (scale, 0, 0, scale, rect.x, rect.y)
    if rotation == 90:
        return (0, scale, -scale, 0, rect.x + scale * height, rect.y)
    raise ValueError(f"rotation must be 0 or 90, not {rotation}")


def grid(area: Rect, cell_w: float, cell_h: float, gutter: float) -> list[Rect]:
    """The largest grid of ``cell_w`` x ``cell_h`` cells from ``area``'s bottom-left."""
    if cell_w <= 0 or cell_h <= 0:
        return []
    columns = int((area.w + gutter + EPSILON) // (cell_w + gutter))
    rows = int((area.h + gutter + EPSILON) // (cell_h + gutter))
    return [Rect(area.x + i * (cell_w + gutter), area.y + j * (cell_h + gutter), cell_w, cell_h)
            for j in range(rows) for i in range(columns)]


def bounds(rects) -> Rect:
    rects = list(rects)
    x, y = min(r.x for r in rects), min(r.y for r in rects)
    return Rect(x, y, max(r.right for r in rects) - x, max(r.top for r in rects) - y)


def clip_segment(start, end, obstacles, limit: Rect, minimum: float):
    """Shorten an axis-aligned segment where it would enter an obstacle or leave ``limit``.

    The segment runs from ``start`` towards ``end``. Returns (start, new end),
    or None when the start itself is blocked or less than ``minimum`` is left.
    Running along an obstacle's edge does not enter it.
    """
    (x1, y1), (x2, y2) = start, end
    horizontal = abs(y2 - y1) < EPSILON
    # Work in (along, across) coordinates: the segment moves along one axis.
    a1, a2, c = (x1, x2, y1) if horizontal else (y1, y2, x1)
    sign = 1 if a2 >= a1 else -1

    def span(rect):  # (low, high) along, (low, high) across
        if horizontal:
            return (rect.x, rect.right), (rect.y, rect.top)
        return (rect.y, rect.top), (rect.x, rect.right)

    (low, high), (across_low, across_high) = span(limit)
    if not (low - EPSILON <= a1 <= high + EPSILON
            and across_low - EPSILON <= c <= across_high + EPSILON):
        return None
    reach = min(a2, high) if sign > 0 else max(a2, low)
    for obstacle in obstacles:
        (o_low, o_high), (o_across_low, o_across_high) = span(obstacle)
        if not o_across_low + EPSILON < c < o_across_high - EPSILON:
            continue
        if o_low + EPSILON < a1 < o_high - EPSILON:
            return None
        if sign > 0 and a1 - EPSILON <= o_low < reach:
            reach = o_low
        elif sign < 0 and reach < o_high <= a1 + EPSILON:
            reach = o_high
    if abs(reach - a1) < minimum:
        return None
    return (start, (reach, c)) if horizontal else (start, (c, reach))
