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
    compose,
    grid,
    mirror,
    place,
)
from leaflets.production import METHODS, Production, Run, Sheet

EDGE_MM = 3.0  # nothing but the control strip this close to a sheet edge
MARK_OFFSET_MM = 3.0  # from the trim to the start of a crop mark (never inside the bleed)
MARK_LENGTH_MM = 5.0
TARGET_RADIUS_MM = 1.6
TARGET_REACH_MM = TARGET_RADIUS_MM * 1.5  # the cross hairs
SIDE_LAY_MM = 5.0  # length of the side-lay marks beside the gripper
STRIP_EDGE_MM = 1.0  # from the tail edge to the control strip
STRIP_MM = 5.0  # height of the control strip
PATCH_W_MM = 4.0
INK_ZONE_MM = 32.0  # one ink key of a sheet-fed press: the strip repeats per zone
BAND_MM = 3.0  # the slug, between the strip and the marks
TAIL_FURNITURE_MM = STRIP_EDGE_MM + STRIP_MM + 0.5 + BAND_MM
_C, _M, _Y, _K = (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)
SOLIDS = (_C, _M, _Y, _K)
# Four patches after the solids, a different group in each ink zone: two-colour
# overprints, the three-colour grey balance beside K 50 %, tints 25/50/75 %.
ZONE_GROUPS = (
    ((1, 1, 0, 0), (1, 0, 1, 0), (0, 1, 1, 0), (0, 0, 0, 0.75)),
    ((0.5, 0.4, 0.4, 0), (0, 0, 0, 0.5), (0.5, 0, 0, 0), (0, 0.5, 0, 0)),
    ((0.25, 0, 0, 0), (0, 0.25, 0, 0), (0, 0, 0.25, 0), (0, 0, 0, 0.25)),
    ((0.75, 0, 0, 0), (0, 0.75, 0, 0), (0, 0, 0.75, 0), (0, 0, 0.5, 0)),
)
SLUG_MAX_MM = 320.0
OFFICE_BAND_MM = 6.0  # for the slug, inside the printable area
OFFICE_MARK_MM = 4.0  # cut marks: fit the border at a legible length, keep 2 x 2 pockets
OFFICE_BLEED_MM = 2.0  # a hand-cutting error shows the page's own bleed, never a neighbour
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


CMYK = tuple[float, float, float, float]


@dataclass(frozen=True)
class Side:
    """One printed side of the sheet: one plate per colour.

    ``marks`` are the crop marks, ``lay_marks`` the side-lay marks by the
    gripper; both, and the ``targets``, print in registration colour.
    ``strip`` holds the control strip's patches, ``colour_bar`` their bounds.
    """

    label: str
    placements: tuple[Placement, ...]
    marks: tuple[Segment, ...]
    targets: tuple[tuple[float, float], ...]
    colour_bar: Rect | None
    slug: Rect
    strip: tuple[tuple[Rect, CMYK], ...] = ()
    lay_marks: tuple[Segment, ...] = ()


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
    stock: str = ""
    colours: str = ""  # "4/4" or "4/0"

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


def mark_reserve(bleed: float) -> float:
    """Room a crop mark needs beyond a cell's bleed."""
    return max(bleed, MARK_OFFSET_MM) + MARK_LENGTH_MM - bleed


def printable(sheet: Sheet, bleed: float = 0.0) -> Rect:
    """Where cells (trim + bleed) may go on a press sheet.

    Gripper (bottom), sides and tail (top) come from the sheet; beyond them
    the crop marks of the outer cells need :func:`mark_reserve`, the tail
    also the control strip, the slug and the registration targets.
    """
    width, height = sheet.size_mm
    reserve = mark_reserve(bleed)
    side = max(sheet.margin_mm, EDGE_MM) + reserve
    bottom = max(sheet.gripper_mm, EDGE_MM) + reserve
    top = max(sheet.tail_mm, TAIL_FURNITURE_MM) + reserve
    return Rect(side, bottom, width - 2 * side, height - bottom - top)


def plan_press(run: Run, sheet: Sheet, piece: tuple[float, float], bleed: float,
               method: str | None = None) -> SheetPlan | None:
    """Lay ``run`` out on a press ``sheet``; None when nothing fits."""
    method = ("single" if not run.double_sided else method or run.method)
    area = printable(sheet, bleed)
    if area.w <= 0 or area.h <= 0:
        return None
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
    strip = _control_strip(width, height)
    colour_bar = bounds(rect for rect, _ in strip)
    band_y = height - TAIL_FURNITURE_MM
    side_room = max(sheet.margin_mm, EDGE_MM)
    target_x, target_y = side_room + TARGET_REACH_MM, _target_height(fronts, height)
    targets = ((target_x, target_y), (width - target_x, target_y))
    slug = Rect(side_room, band_y, min(width - 2 * side_room, SLUG_MAX_MM), BAND_MM)
    lay_y = max(sheet.gripper_mm, EDGE_MM) + mark_reserve(bleed) / 2
    lay_marks = (((EDGE_MM, lay_y), (EDGE_MM + SIDE_LAY_MM, lay_y)),
                 ((width - EDGE_MM, lay_y), (width - EDGE_MM - SIDE_LAY_MM, lay_y)))
    lay_boxes = [Rect(EDGE_MM, lay_y - 0.5, SIDE_LAY_MM, 1),
                 Rect(width - EDGE_MM - SIDE_LAY_MM, lay_y - 0.5, SIDE_LAY_MM, 1)]
    # Marks keep to the sheet less its edges, above the gripper, below the tail band.
    limit = Rect(EDGE_MM, max(sheet.gripper_mm, EDGE_MM), width - 2 * EDGE_MM,
                 band_y - max(sheet.gripper_mm, EDGE_MM))
    sides = []
    for number, (plate, label) in enumerate(zip(plates, labels, strict=True)):
        turned = number == 1  # side B of sheetwise: furniture mirrored too
        box = slug.mirrored(width) if turned else slug
        furniture = [*(_target_box(t) for t in targets), *lay_boxes]
        marks = _cell_marks([p.trim for p in plate], bleed, furniture, limit)
        sides.append(Side(label, tuple(plate), marks, targets, colour_bar, box, strip,
                          lay_marks))
    pieces = len(plates[0]) if method != "sheetwise" else len(fronts)
    return _finish(run, sheet, method, (width, height), piece, bleed, 1.0, sides, pieces)


def _target_height(fronts, height) -> float:
    """Height of the side targets: between two trim lines, near the middle, so that
    no crop mark runs into them."""
    lines = sorted({round(v, 4) for f in fronts for v in (f.trim.y, f.trim.top)})
    gaps = [(a + b) / 2 for a, b in zip(lines, lines[1:], strict=False)
            if b - a >= 2 * TARGET_REACH_MM + 2]
    return min(gaps, key=lambda y: abs(y - height / 2), default=height / 2)


def _control_strip(width: float, height: float) -> tuple[tuple[Rect, CMYK], ...]:
    """Patches across the whole tail: per ink zone the four solids, then one group."""
    y = height - STRIP_EDGE_MM - STRIP_MM
    patches = []
    zone = 0
    while zone * INK_ZONE_MM < width - 1e-6:
        inks = SOLIDS + ZONE_GROUPS[zone % len(ZONE_GROUPS)]
        for n, cmyk in enumerate(inks):
            x = zone * INK_ZONE_MM + n * PATCH_W_MM
            if x < width - 1e-6:
                patches.append((Rect(x, y, min(PATCH_W_MM, width - x), STRIP_MM), cmyk))
        zone += 1
    return tuple(patches)


def plan_office(run: Run, sheet: Sheet, piece: tuple[float, float],
                page_bleed: float | None = None) -> SheetPlan:
    """The product on an office sheet (A4, duplex with a long-edge flip for 2-page pieces).

    Office printers cannot print the border (``margin_mm``). Each cell is the
    trim plus ``OFFICE_BLEED_MM`` of the page's own bleed on the sheet, so a
    hand-cutting error shows the page's colour, never a neighbour's; cells are
    ``gutter_mm`` apart (bleed to bleed), so no bleed reaches another trim. Cut
    marks run on every trim line beyond the block, outside every bleed; all of
    it stays inside the border, below the slug band. The grid is the one with
    the most copies at a scale of at least ``OFFICE_MIN_SCALE`` (pocket leaflets
    2 x 2 on A4), scaled down just enough to fit. A page whose own bleed
    (``page_bleed``, mm of the page), scaled, is narrower gets that much.
    """
    width, height = min(sheet.size_mm), max(sheet.size_mm)  # portrait
    area = office_area(sheet)
    room = area.inset(office_mark_reserve())
    bleed, gutter = OFFICE_BLEED_MM, sheet.gutter_mm

    def scale_for(columns, rows):
        across = (room.w - (columns - 1) * gutter - columns * 2 * bleed) / (columns * piece[0])
        down = (room.h - (rows - 1) * gutter - rows * 2 * bleed) / (rows * piece[1])
        return min(1.0, across, down)

    grids = [(c, r) for c in (4, 3, 2, 1) for r in (4, 3, 2, 1)
             if scale_for(c, r) >= OFFICE_MIN_SCALE]
    columns, rows = max(grids, key=lambda g: (g[0] * g[1], scale_for(*g)), default=(1, 1))
    scale = scale_for(columns, rows)
    if page_bleed is not None:
        bleed = min(bleed, math.floor(page_bleed * scale * 100) / 100)
    cell_w, cell_h = piece[0] * scale + 2 * bleed, piece[1] * scale + 2 * bleed
    block_w = columns * cell_w + (columns - 1) * gutter
    block_h = rows * cell_h + (rows - 1) * gutter
    x0, y0 = room.x + (room.w - block_w) / 2, room.y + (room.h - block_h) / 2
    fronts = [_placement(0, Rect(x0 + i * (cell_w + gutter), y0 + j * (cell_h + gutter),
                                 cell_w, cell_h).inset(bleed), 0, scale, piece)
              for j in range(rows) for i in range(columns)]
    plates = [fronts]
    if run.double_sided:
        plates.append([_back_of(f, width, piece) for f in fronts])
    border = sheet.margin_mm
    slug = Rect(border + 2, height - border - OFFICE_BAND_MM + 1, width - 2 * border - 4, 4)
    sides = [Side(label, tuple(plate),
                  _cell_marks([p.trim for p in plate], bleed, (), area, OFFICE_MARK_MM),
                  (), None, slug)
             for plate, label in zip(plates, ("앞면", "뒷면"), strict=False)]
    method = "office-duplex" if run.double_sided else "office"
    plan = _finish(run, sheet, method, (width, height), piece, bleed, scale, sides, len(fronts))
    return replace(plan, stock=sheet.office_stock)  # office paper, not the run's press stock


def office_area(sheet: Sheet) -> Rect:
    """Where an office printer prints: inside the border, below the slug band."""
    width, height = min(sheet.size_mm), max(sheet.size_mm)
    border = sheet.margin_mm
    return Rect(border, border, width - 2 * border, height - 2 * border - OFFICE_BAND_MM)


def office_mark_reserve() -> float:
    """Room an office sheet's cut marks need beyond a cell's bleed."""
    return max(OFFICE_BLEED_MM, MARK_OFFSET_MM) - OFFICE_BLEED_MM + OFFICE_MARK_MM


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
    """The sheet's slug: job, product, sheet, stock, colours, side, method, n-up,
    quantity, sheets with overs, date and content hash. An office sheet says
    instead how many sheets make how many copies, and what the order was."""
    scale = f" · 축소 {plan.scale * 100:.1f}%" if plan.scale < 0.9995 else ""
    if plan.method in ("office", "office-duplex"):
        return (f"{plan.product} {title} · {side.label} · {_office_count(plan)}{scale} · "
                f"칸마다 도련 {plan.bleed_mm:g} mm · {date} · 내용 {data_sha256[:8]}")
    width, height = (f"{v:g}" for v in plan.sheet_mm)
    how = {"single": "단면", **METHODS}[plan.method]
    return (f"{plan.product} {title} · {plan.sheet.name} {width}×{height} mm · "
            f"{plan.stock} · {plan.colours}도 · {side.label} · {plan.n_up}면 {how}{scale} · "
            f"{plan.quantity:,}부 · {plan.sheets:,}장(여분 포함) · {date} · 내용 {data_sha256[:8]}")


def _office_count(plan: SheetPlan) -> str:
    """"사무용 A4 2,625장 → 10,500부 (한 장에 4부, 양면 · 주문 10,000부 + 여분 500부)"."""
    copies = plan.sheets * plan.n_up
    how = "양면 긴 쪽 넘김" if plan.method == "office-duplex" else "단면"
    spare = f" + 여분 {copies - plan.quantity:,}부" if copies > plan.quantity else ""
    return (f"{plan.stock} {plan.sheets:,}장 → {copies:,}부 "
            f"(한 장에 {plan.n_up}부, {how} · 주문 {plan.quantity:,}부{spare})")


def sheet_note(plan: SheetPlan) -> str:
    """What the sheet is for, in Korean, for the manifest: an office sheet is print-clean
    when every copy carries its own bleed."""
    if plan.method not in ("office", "office-duplex"):
        return f"인쇄판: {plan.n_up}면, 칸마다 도련 {plan.bleed_mm:g} mm, 재단선"
    if plan.bleed_mm <= 0:
        return "사무실 프린터용: 도련 없음 (자르는 선이 어긋나면 옆 칸이 보임)"
    return (f"인쇄용: 칸마다 도련 {plan.bleed_mm:g} mm, 재단선 표시, "
            f"{plan.n_up}부 · 축소 {plan.scale * 100:.1f}%")


def sheets_needed(run: Run, n_up: int) -> int:
    """Sheets to print for ``run`` at ``n_up`` pieces a sheet, overs included."""
    return math.ceil(run.quantity_with_overs / n_up)


def for_quantity(plan: SheetPlan, run: Run) -> SheetPlan:
    """The same layout for another quantity of the run (the layout does not depend on it)."""
    return replace(plan, quantity=run.quantity, sheets=sheets_needed(run, plan.n_up))


def _finish(run, sheet, method, sheet_mm, piece, bleed, scale, sides, pieces):
    used = pieces * piece[0] * piece[1] * scale ** 2 / (sheet_mm[0] * sheet_mm[1]) * 100
    return SheetPlan(run.product, sheet, method, sheet_mm, piece, bleed, scale, tuple(sides),
                     pieces, run.quantity, sheets_needed(run, pieces), used, run.stock,
                     run.colours_label)


def _placement(page, trim, rotation, scale, piece) -> Placement:
    return Placement(page, trim, rotation, place(trim, rotation, scale, piece))


def _back_of(front: Placement, sheet_width: float, piece) -> Placement:
    """The back page behind ``front`` after the sheet is turned side to side."""
    matrix = compose(compose(mirror(piece[0]), front.matrix), mirror(sheet_width))
    return Placement(1, front.trim.mirrored(sheet_width), front.rotation, matrix)


def _target_box(centre) -> Rect:
    reach = TARGET_REACH_MM
    return Rect(centre[0] - reach, centre[1] - reach, 2 * reach, 2 * reach)


def _cell_marks(trims, bleed, obstacles, limit, length=MARK_LENGTH_MM) -> tuple[Segment, ...]:
    """Crop marks on both trim lines through each corner of every cell.

    From the corner outwards along the trim line, past every cell (kept
    ``MARK_OFFSET_MM`` clear of its trim, never in its bleed) to the first
    free stretch of ``length``: at the block's edge when the cells
    share their bleeds, beside the corner when a gutter leaves room.
    """
    keep = max(bleed, MARK_OFFSET_MM)
    blocked = [trim.inset(-keep) for trim in trims] + list(obstacles)
    lines = {}  # (axis, across) -> sorted obstacle spans along the line
    marks = set()
    for trim in trims:
        for x, sx in ((trim.x, -1), (trim.right, 1)):
            for y, sy in ((trim.y, -1), (trim.top, 1)):
                for axis, along, across, sign in ((0, x + sx * keep, y, sx),
                                                  (1, y + sy * keep, x, sy)):
                    key = (axis, round(across, 6))
                    if key not in lines:
                        lines[key] = _spans(blocked, axis, across)
                    found = _free_stretch(along, sign, lines[key], _range(limit, axis), length)
                    if found is not None and _inside(limit, 1 - axis, across):
                        a, b = (round(v, 4) for v in found)
                        c = round(across, 4)
                        marks.add(((a, c), (b, c)) if axis == 0 else ((c, a), (c, b)))
    return tuple(sorted(marks))


def _range(rect: Rect, axis: int) -> tuple[float, float]:
    return (rect.x, rect.right) if axis == 0 else (rect.y, rect.top)


def _inside(rect: Rect, axis: int, value: float) -> bool:
    low, high = _range(rect, axis)
    return low - 1e-6 <= value <= high + 1e-6


def _spans(blocked, axis, across):
    """Where the line (along ``axis``, at ``across``) runs through an obstacle's
    interior; running along an obstacle's edge does not count."""
    spans = []
    for rect in blocked:
        low, high = _range(rect, 1 - axis)
        if low + 1e-6 < across < high - 1e-6:
            spans.append(_range(rect, axis))
    return sorted(spans)


def _free_stretch(start, sign, spans, limit, length=MARK_LENGTH_MM):
    """The first ``length`` from ``start`` going ``sign`` along a line clear of
    ``spans`` and within ``limit`` (low, high): (start, end), or None."""
    if sign < 0:  # walk the mirror image
        spans = sorted((-high, -low) for low, high in spans)
        limit = (-limit[1], -limit[0])
        start = -start
    position = start
    for low, high in spans:
        if high <= position + 1e-6:
            continue
        if low >= position + length - 1e-6:
            break
        position = high
    if position + length > limit[1] + 1e-6 or position < limit[0] - 1e-6:
        return None
    return (position, position + length) if sign > 0 else (
        -position, -position - length)
