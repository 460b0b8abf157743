"""Sheet plans: which page goes where on a press or office sheet. Pure code.

A plan is plain frozen data: the placements of product pages (each with the
affine map from the page's trim to the sheet), the crop marks, registration
targets, colour bar and slug box of every sheet side, the n-up and the
number of sheets a run needs. No PDF is involved; ``impose.pdf`` draws it.

Coordinates are millimetres, origin at the sheet's bottom-left, y up. Press
sheets lie landscape with the gripper edge at the bottom; office sheets
portrait with an unprintable border all round.

Double-sided work, turned side to side (the gripper edge stays):

- ``sheetwise``: side A carries every front, side B every back;
- ``work-and-turn``: one plate carries fronts on the left half and their
  backs on the right; after the turn each back lands behind its own front.

Either way a back is placed by ``mirror(W) . front . mirror(w)``, so that
its trim lands exactly behind the front's and reads upright after a turn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from leaflets.impose.geometry import (
    Matrix,
    Rect,
    bounds,
    clip_segment,
    compose,
    grid,
    mirror,
    place,
)
from leaflets.production import METHODS, Production, Run, Sheet

MARK_GAP_MM = 1.0  # from the bleed edge to the start of a crop mark
MARK_LENGTH_MM = 5.0
MARK_MIN_MM = 1.5  # shorter than this after clipping: left out
TARGET_RADIUS_MM = 2.0
PATCH_MM = 5.0
COLOUR_BAR = (  # CMYK patches, left to right
    (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1),
    (0.5, 0, 0, 0), (0, 0.5, 0, 0), (0, 0, 0.5, 0), (0, 0, 0, 0.5),
    (0.25, 0, 0, 0), (0, 0.25, 0, 0), (0, 0, 0.25, 0), (0, 0, 0, 0.25),
)
SLUG_WIDTH_MM = 150.0
OFFICE_BAND_MM = 6.0  # for the slug, inside the printable area
OFFICE_MARK_MM = 4.0  # room for cut marks around the block
OFFICE_MIN_SCALE = 0.85  # below this, fewer cells per office sheet


class ImpositionError(ValueError):
    """No sheet can hold the product."""


Segment = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Placement:
    page: int  # index of the product page: 0 front, 1 back
    trim: Rect  # where the page's trim lands on the sheet
    rotation: int  # 0 or 90 degrees counter-clockwise (for a back: its front's)
    matrix: Matrix  # piece millimetres (trim origin) -> sheet millimetres


@dataclass(frozen=True)
class Side:
    """One printed side of the sheet: one plate per colour."""

    label: str
    placements: tuple[Placement, ...]
    marks: tuple[Segment, ...]
    targets: tuple[tuple[float, float], ...]
    colour_bar: Rect | None
    slug: Rect


@dataclass(frozen=True)
class SheetPlan:
    product: str
    sheet: Sheet
    method: str  # "single", "sheetwise", "work-and-turn" or "office-duplex"
    sheet_mm: tuple[float, float]  # width, height as laid out
    trim_mm: tuple[float, float]
    bleed_mm: float
    scale: float
    sides: tuple[Side, ...]
    n_up: int  # finished pieces per sheet
    quantity: int  # copies ordered
    sheets: int  # sheets to print, overs included
    used_percent: float  # trim area of the pieces / sheet area

    @property
    def cells_per_side(self) -> int:
        return len(self.sides[0].placements)


def fill(area: Rect, piece: tuple[float, float], bleed: float, gutter: float, *,
         rotate: bool = True, mixed: bool = True, even_columns: bool = False):
    """The largest fill of ``area`` with cells of piece + bleed: [(cell, rotation)].

    Tries the piece upright, turned 90°, and (when ``mixed``) two blocks side
    by side or one above the other, one upright and one turned.
    """
    width, height = piece[0] + 2 * bleed, piece[1] + 2 * bleed
    options = [[(cell, 0) for cell in grid(area, width, height, gutter)]]
    if rotate:
        options.append([(cell, 90) for cell in grid(area, height, width, gutter)])
    if even_columns:
        options = [_even_columns(option) for option in options]
    elif rotate and mixed:
        options.extend(_two_blocks(area, (width, height), gutter))
    return max(options, key=len)


def _even_columns(cells):
    """Drop the last column when there is an odd number (work-and-turn pairs columns)."""
    columns = sorted({round(cell.x, 6) for cell, _ in cells})
    if len(columns) % 2:
        cells = [(cell, r) for cell, r in cells if round(cell.x, 6) != columns[-1]]
    return cells


def _two_blocks(area, cell, gutter):
    width, height = cell
    for first, second in (((width, height, 0), (height, width, 90)),
                          ((height, width, 90), (width, height, 0))):
        w1, h1, r1 = first
        w2, h2, r2 = second
        for k in range(1, int((area.w + gutter) // (w1 + gutter)) + 1):
            split = k * (w1 + gutter)
            left = grid(Rect(area.x, area.y, split - gutter, area.h), w1, h1, gutter)
            right = grid(Rect(area.x + split, area.y, area.w - split, area.h), w2, h2, gutter)
            yield [(c, r1) for c in left] + [(c, r2) for c in right]
        for k in range(1, int((area.h + gutter) // (h1 + gutter)) + 1):
            split = k * (h1 + gutter)
            low = grid(Rect(area.x, area.y, area.w, split - gutter), w1, h1, gutter)
            high = grid(Rect(area.x, area.y + split, area.w, area.h - split), w2, h2, gutter)
            yield [(c, r1) for c in low] + [(c, r2) for c in high]


def printable(sheet: Sheet) -> Rect:
    """Where cells may go on a press sheet: inside gripper and margins."""
    width, height = sheet.size_mm
    return Rect(sheet.margin_mm, sheet.gripper_mm, width - 2 * sheet.margin_mm,
                height - sheet.gripper_mm - sheet.margin_mm)


def plan_press(run: Run, sheet: Sheet, piece: tuple[float, float], bleed: float,
               method: str | None = None) -> SheetPlan | None:
    """Lay ``run`` out on a press ``sheet``; None when nothing fits."""
    method = ("single" if not run.double_sided else method or run.method)
    area = printable(sheet)
    cells = fill(area, piece, bleed, sheet.gutter_mm, even_columns=method == "work-and-turn")
    if not cells:
        return None
    block = bounds(cell for cell, _ in cells)
    dx = area.x + (area.w - block.w) / 2 - block.x
    dy = area.y + (area.h - block.h) / 2 - block.y
    width, height = sheet.size_mm
    fronts = [_placement(0, cell.moved(dx, dy).inset(bleed), rotation, 1.0, piece)
              for cell, rotation in cells]
    if method == "work-and-turn":
        fronts = [f for f in fronts if f.trim.x + f.trim.w / 2 < width / 2]
        plates = [fronts + [_back_of(f, width, piece) for f in fronts]]
        labels = ["앞뒤 (돌려찍기)"]
    elif method == "sheetwise":
        plates = [fronts, [_back_of(f, width, piece) for f in fronts]]
        labels = ["앞면", "뒷면"]
    else:
        plates, labels = [fronts], ["단면"]
    colour_bar = Rect(sheet.margin_mm, height - sheet.margin_mm + 1.5,
                      PATCH_MM * len(COLOUR_BAR), PATCH_MM)
    slug = Rect(width - sheet.margin_mm - SLUG_WIDTH_MM, height - sheet.margin_mm + 1.5,
                SLUG_WIDTH_MM, PATCH_MM)
    targets = ((sheet.margin_mm / 2, height / 2), (width - sheet.margin_mm / 2, height / 2))
    limit = Rect(0, sheet.gripper_mm, width, height - sheet.gripper_mm)
    sides = []
    for number, (plate, label) in enumerate(zip(plates, labels, strict=True)):
        turned = number == 1  # side B of sheetwise: furniture mirrored too
        bar = colour_bar.mirrored(width) if turned else colour_bar
        box = slug.mirrored(width) if turned else slug
        furniture = [bar, box, *(_target_box(t) for t in targets)]
        obstacles = furniture + [r.mirrored(width) for r in furniture]
        marks = _cell_marks([p.trim for p in plate], bleed, obstacles, limit)
        sides.append(Side(label, tuple(plate), marks, targets, bar, box))
    pieces = len(plates[0]) if method != "sheetwise" else len(fronts)
    return _finish(run, sheet, method, (width, height), piece, bleed, 1.0, sides, pieces)


def plan_office(run: Run, sheet: Sheet, piece: tuple[float, float]) -> SheetPlan:
    """The product on an office sheet (A4, duplex with a long-edge flip for 2-page pieces).

    Office printers cannot print the border (``margin_mm``) nor bleed: cells
    are the trim only, as many as fit (pocket leaflets 2 x 2 on A4), scaled
    down just enough to fit with their cut marks and the slug.
    """
    width, height = min(sheet.size_mm), max(sheet.size_mm)  # portrait
    border = sheet.margin_mm
    room_w = width - 2 * border - 2 * OFFICE_MARK_MM
    room_h = height - 2 * border - OFFICE_BAND_MM - 2 * OFFICE_MARK_MM

    def scale_for(columns, rows):
        return min(1.0, room_w / (columns * piece[0]), room_h / (rows * piece[1]))

    grids = [(c, r) for c in (4, 3, 2, 1) for r in (4, 3, 2, 1)
             if scale_for(c, r) >= OFFICE_MIN_SCALE]
    columns, rows = max(grids, key=lambda g: (g[0] * g[1], scale_for(*g)), default=(1, 1))
    scale = scale_for(columns, rows)
    cell_w, cell_h = piece[0] * scale, piece[1] * scale
    x0 = (width - columns * cell_w) / 2
    body_top = height - border - OFFICE_BAND_MM
    y0 = border + (body_top - border - rows * cell_h) / 2
    fronts = [_placement(0, Rect(x0 + i * cell_w, y0 + j * cell_h, cell_w, cell_h), 0, scale,
                         piece)
              for j in range(rows) for i in range(columns)]
    block = bounds(f.trim for f in fronts)
    marks = _cut_line_marks(block, columns, rows)
    slug = Rect(border + 2, height - border - OFFICE_BAND_MM + 1, width - 2 * border - 4, 4)
    plates = [fronts]
    if run.double_sided:
        plates.append([_back_of(f, width, piece) for f in fronts])
    sides = [Side(label, tuple(plate), marks, (), None, slug)
             for plate, label in zip(plates, ("앞면", "뒷면"), strict=False)]
    method = "office-duplex" if run.double_sided else "office"
    return _finish(run, sheet, method, (width, height), piece, 0.0, scale, sides, len(fronts))


def choose(run: Run, production: Production, piece: tuple[float, float], bleed: float, *,
           sheet: str | None = None, method: str | None = None) -> SheetPlan:
    """The press plan needing the fewest sheets (ties: least waste).

    Candidates are ``sheet`` if given, else the run's own list, else every
    press sheet of the catalogue.
    """
    names = (sheet,) if sheet else run.sheets or tuple(s.name for s in production.press_sheets)
    plans = [plan_press(run, production.sheet(name), piece, bleed, method) for name in names]
    plans = [p for p in plans if p is not None]
    if not plans:
        raise ImpositionError(
            f"'{run.product}' ({piece[0]:g}×{piece[1]:g} mm, 도련 {bleed:g} mm)이(가) "
            f"들어가는 종이가 없습니다: {', '.join(names)}")
    return min(plans, key=lambda p: (p.sheets, -p.used_percent))


def all_plans(run: Run, production: Production, piece, bleed, method=None) -> list[SheetPlan]:
    """Every press sheet that can hold the run, best first."""
    plans = [plan_press(run, s, piece, bleed, method) for s in production.press_sheets]
    return sorted((p for p in plans if p is not None), key=lambda p: (p.sheets, -p.used_percent))


def slug_text(plan: SheetPlan, side: Side, title: str, date: str, data_sha256: str) -> str:
    """The sheet's slug: job, sheet, side, n-up, quantity and sheets."""
    width, height = (f"{v:g}" for v in plan.sheet_mm)
    how = {"single": "단면", "office": "단면", "office-duplex": "양면 (긴 쪽 넘김)",
           **METHODS}[plan.method]
    scale = f" · 축소 {plan.scale * 100:.1f}%" if plan.scale < 0.9995 else ""
    return (f"{plan.product} {title} · {plan.sheet.name} {width}×{height} mm · {side.label} · "
            f"{plan.n_up}면 {how}{scale} · {plan.quantity:,}부 · {plan.sheets:,}장(여분 포함) · "
            f"{date} · 내용 {data_sha256[:8]}")


def sheets_needed(run: Run, n_up: int) -> int:
    """Sheets to print for ``run`` at ``n_up`` pieces a sheet, overs included."""
    return math.ceil(run.quantity_with_overs / n_up)


def for_quantity(plan: SheetPlan, run: Run) -> SheetPlan:
    """The same layout for another quantity of the run (the layout does not depend on it)."""
    return replace(plan, quantity=run.quantity, sheets=sheets_needed(run, plan.n_up))


def _finish(run, sheet, method, sheet_mm, piece, bleed, scale, sides, pieces):
    used = pieces * piece[0] * piece[1] * scale ** 2 / (sheet_mm[0] * sheet_mm[1]) * 100
    return SheetPlan(run.product, sheet, method, sheet_mm, piece, bleed, scale, tuple(sides),
                     pieces, run.quantity, sheets_needed(run, pieces), used)


def _placement(page, trim, rotation, scale, piece) -> Placement:
    return Placement(page, trim, rotation, place(trim, rotation, scale, piece))


def _back_of(front: Placement, sheet_width: float, piece) -> Placement:
    """The back page behind ``front`` after the sheet is turned side to side."""
    matrix = compose(compose(mirror(piece[0]), front.matrix), mirror(sheet_width))
    return Placement(1, front.trim.mirrored(sheet_width), front.rotation, matrix)


def _target_box(centre) -> Rect:
    reach = TARGET_RADIUS_MM * 1.5
    return Rect(centre[0] - reach, centre[1] - reach, 2 * reach, 2 * reach)


def _cell_marks(trims, bleed, obstacles, limit) -> tuple[Segment, ...]:
    """Crop marks at each cell's corners, clipped off every live area and the furniture."""
    start, end = bleed + MARK_GAP_MM, bleed + MARK_GAP_MM + MARK_LENGTH_MM
    blocked = list(trims) + list(obstacles)
    marks = set()
    for trim in trims:
        for x, sx in ((trim.x, -1), (trim.right, 1)):
            for y, sy in ((trim.y, -1), (trim.top, 1)):
                for a, b in (((x + sx * start, y), (x + sx * end, y)),
                             ((x, y + sy * start), (x, y + sy * end))):
                    clipped = clip_segment(a, b, blocked, limit, MARK_MIN_MM)
                    if clipped:
                        marks.add(tuple(tuple(round(v, 4) for v in p) for p in clipped))
    return tuple(sorted(marks))


def _cut_line_marks(block: Rect, columns: int, rows: int) -> tuple[Segment, ...]:
    """Office sheets: marks on every cut line, outside the block only."""
    gap, length = 1.0, OFFICE_MARK_MM - 1.5
    marks = []
    for i in range(columns + 1):
        x = block.x + i * block.w / columns
        marks.append(((x, block.top + gap), (x, block.top + gap + length)))
        marks.append(((x, block.y - gap), (x, block.y - gap - length)))
    for j in range(rows + 1):
        y = block.y + j * block.h / rows
        marks.append(((block.x - gap, y), (block.x - gap - length, y)))
        marks.append(((block.right + gap, y), (block.right + gap + length, y)))
    return tuple(marks)
