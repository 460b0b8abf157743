"""Sheet plans, tested without any PDF: geometry, optimality, turn alignment."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaflets.impose.geometry import Rect, apply, grid
from leaflets.impose.plan import (
    EDGE_MM,
    MARK_LENGTH_MM,
    MARK_OFFSET_MM,
    OFFICE_BAND_MM,
    OFFICE_BLEED_MM,
    OFFICE_MARK_MM,
    OFFICE_MIN_SCALE,
    ImpositionError,
    all_plans,
    choose,
    fill,
    plan_office,
    plan_press,
    printable,
    slug_text,
)
from leaflets.production import Production, Run, Sheet, load_production
from leaflets.project import DEFAULT_PRODUCTION

PRODUCTION = load_production(DEFAULT_PRODUCTION)
POCKET, POSTER = PRODUCTION.run("pocket"), PRODUCTION.run("poster-a4")


def test_default_runs_on_gukjeonji():
    """Four rows of pockets (4 x 154 mm) left 20 mm of 636 for a 10 mm gripper, marks
    at both ends and the strip: with their room reserved, three rows fit (24-up)."""
    sheet = PRODUCTION.sheet("국전지")
    pocket = plan_press(POCKET, sheet, (105, 148), 3.0)
    assert (pocket.method, pocket.n_up, pocket.sheets) == ("work-and-turn", 24, 438)
    assert len(pocket.sides) == 1 and len(pocket.sides[0].placements) == 24
    sheetwise = plan_press(POCKET, sheet, (105, 148), 3.0, "sheetwise")
    assert (sheetwise.n_up, sheetwise.sheets, len(sheetwise.sides)) == (29, 363, 2)
    poster = plan_press(POSTER, sheet, (210, 297), 3.0)  # 국8절: 8 A4 still fit
    assert (poster.method, poster.n_up, poster.sheets) == ("single", 8, 657)
    assert choose(POCKET, PRODUCTION, (105, 148), 3.0).sheet.name == "4×6전지"


def test_choose_takes_fewest_sheets_then_least_waste():
    plans = all_plans(POCKET, PRODUCTION, (105, 148), 3.0)
    chosen = choose(POCKET, PRODUCTION, (105, 148), 3.0)
    assert chosen.sheets == min(p.sheets for p in plans)
    ties = [p for p in plans if p.sheets == chosen.sheets]
    assert chosen.used_percent == max(p.used_percent for p in ties)
    twins = Production(PRODUCTION.path, PRODUCTION.runs, (
        Sheet("넓은", (480, 340), 10, 8, 0), Sheet("딱 맞는", (470, 338), 10, 8, 0),
        PRODUCTION.office_sheet))
    # By hand: a cell is 111 x 154 mm (trim + 3 mm bleed). Less 8 + 5 mm (edge, marks) at
    # each side, 10 + 5 at the gripper and 9.5 + 5 at the tail, printable 454 x 310.5 and
    # 444 x 308.5 mm: 4 across, 2 down on both, so 8 up and 10,500 / 8 -> 1,313 sheets
    # each; the smaller uses 8 x 105 x 148 / (470 x 338) = 78.3 % of its paper, the
    # larger 76.2 %: the tie goes to the smaller.
    a, b = (plan_press(POCKET, s, (105, 148), 3.0) for s in twins.press_sheets)
    assert (a.n_up, a.sheets, b.n_up, b.sheets) == (8, 1313, 8, 1313)
    assert (round(a.used_percent, 1), round(b.used_percent, 1)) == (76.2, 78.3)
    assert choose(POCKET, twins, (105, 148), 3.0).sheet.name == "딱 맞는"


def test_nothing_fits_is_a_clear_error():
    tiny = Production(PRODUCTION.path, PRODUCTION.runs, (
        Sheet("엽서", (150, 100), 5, 5, 0), PRODUCTION.office_sheet))
    with pytest.raises(ImpositionError, match="엽서"):
        choose(POSTER, tiny, (210, 297), 3.0)


sizes = st.floats(min_value=20, max_value=200).map(lambda v: round(v, 1))
sheets = st.builds(
    lambda w, h, g, m, gut: Sheet("시험", (max(w, h), min(w, h)), g, m, gut),
    st.floats(min_value=200, max_value=1100).map(round),
    st.floats(min_value=200, max_value=800).map(round),
    st.sampled_from([0, 5, 10, 12]), st.sampled_from([0, 3, 8]), st.sampled_from([0, 2, 5]),
)


def _run(double_sided, method="work-and-turn"):
    return Run("pocket" if double_sided else "poster-a4", 1000, "아트지", (4, 4 if double_sided
                                                                            else 0),
               (), method, 5.0, ())


@settings(max_examples=150, deadline=None)
@given(sheet=sheets, piece=st.tuples(sizes, sizes), bleed=st.sampled_from([0, 2, 3, 5]),
       method=st.sampled_from(["single", "sheetwise", "work-and-turn"]))
def test_cells_never_overlap_and_stay_printable(sheet, piece, bleed, method):
    run = _run(method != "single", method if method != "single" else "work-and-turn")
    plan = plan_press(run, sheet, piece, bleed, None if method == "single" else method)
    if plan is None:
        return
    area = printable(sheet, bleed)
    for side in plan.sides:
        cells = [p.trim.inset(-bleed) for p in side.placements]
        for cell in cells:
            assert area.contains(cell)
        for a, b in itertools.combinations(cells, 2):
            assert not a.overlaps(b)
        trims = [p.trim for p in side.placements]
        for start, end in side.marks:
            segment = Rect(min(start[0], end[0]), min(start[1], end[1]),
                           abs(end[0] - start[0]), abs(end[1] - start[1]))
            assert not any(segment.overlaps(trim) for trim in trims)  # never on live area
            assert segment.y >= sheet.gripper_mm - 1e-6  # nothing in the gripper
            assert segment.right <= plan.sheet_mm[0] + 1e-6 and segment.x >= -1e-6
            assert segment.top <= plan.sheet_mm[1] + 1e-6  # on the sheet, far edge too


@settings(max_examples=150, deadline=None)
@given(sheet=sheets, piece=st.tuples(sizes, sizes), bleed=st.sampled_from([0, 3]),
       method=st.sampled_from(["sheetwise", "work-and-turn"]))
def test_every_back_lands_behind_its_own_front(sheet, piece, bleed, method):
    plan = plan_press(_run(True, method), sheet, piece, bleed, method)
    if plan is None:
        return
    width = plan.sheet_mm[0]
    placements = [p for side in plan.sides for p in side.placements]
    fronts = [p for p in placements if p.page == 0]
    backs = [p for p in placements if p.page == 1]
    assert len(fronts) == len(backs) > 0
    w, h = piece
    for front in fronts:
        # The back whose trim, turned side to side, covers the front's trim.
        [back] = [b for b in backs if _close(b.trim.mirrored(width), front.trim)]
        for x, y in [(0, 0), (w, 0), (0, h), (w, h), (w / 3, h / 5)]:
            # A point of the front is behind the back's mirror-image point, turned.
            fx, fy = apply(front.matrix, x, y)
            bx, by = apply(back.matrix, w - x, y)
            assert (width - bx, by) == pytest.approx((fx, fy), abs=1e-6)


def _close(a: Rect, b: Rect) -> bool:
    return all(abs(u - v) < 1e-6 for u, v in zip((a.x, a.y, a.w, a.h), (b.x, b.y, b.w, b.h),
                                                   strict=True))


@settings(max_examples=80, deadline=None)
@given(sheet=sheets, piece=st.tuples(sizes, sizes))
def test_work_and_turn_is_symmetric_about_the_sheet_centre(sheet, piece):
    plan = plan_press(_run(True), sheet, piece, 3.0, "work-and-turn")
    if plan is None:
        return
    width = plan.sheet_mm[0]
    [side] = plan.sides
    marks = {_rounded(m) for m in side.marks}
    mirrored = {_rounded((((width - a[0]), a[1]), ((width - b[0]), b[1]))) for a, b in side.marks}
    assert marks == mirrored  # after the turn the marks fall on themselves


def _rounded(segment):
    a, b = sorted((round(p[0], 3), round(p[1], 3)) for p in segment)
    return a, b


def _brute_force(width, height, w, h):
    """Most w x h rectangles (same orientation, integer positions) in width x height.

    Exhaustive: the first undecided unit square is either the corner of a
    rectangle or left empty; a branch that cannot beat the best so far
    (placed + free squares // area) is cut.
    """
    best = 0
    order = [(x, y) for y in range(height) for x in range(width)]
    done = set()

    def search(start, count):
        nonlocal best
        best = max(best, count)
        index = next((i for i in range(start, len(order)) if order[i] not in done), None)
        if index is None:
            return
        free = width * height - len(done)
        if count + free // (w * h) <= best:
            return
        x, y = order[index]
        block = {(x + i, y + j) for i in range(w) for j in range(h)}
        if x + w <= width and y + h <= height and not block & done:
            done.update(block)
            search(index + 1, count + 1)
            done.difference_update(block)
        done.add((x, y))  # or leave this square empty
        search(index + 1, count)
        done.discard((x, y))

    search(0, 0)
    return best


@settings(max_examples=60, deadline=None)
@given(width=st.integers(2, 7), height=st.integers(2, 7), w=st.integers(1, 4),
       h=st.integers(1, 4))
def test_no_layout_of_the_same_rotation_fits_more(width, height, w, h):
    area = Rect(0, 0, width, height)
    assert len(grid(area, w, h, 0)) == _brute_force(width, height, w, h)
    upright = [c for c, r in fill(area, (w, h), 0, 0, mixed=False) if r == 0]
    assert len(upright) <= len(grid(area, w, h, 0))


def test_mixed_rotation_is_used_where_it_fits_more():
    area = Rect(0, 0, 105, 60)  # 2 x 2 upright leave a 25 mm strip: one more, turned
    cells = fill(area, (40, 25), 0, 0)
    straight = max(len(grid(area, 40, 25, 0)), len(grid(area, 25, 40, 0)))
    assert straight == 4 and len(cells) == 5
    assert len(cells) > straight
    assert {rotation for _, rotation in cells} == {0, 90}


def test_office_sheet_pocket_four_up_scaled_to_the_printable_area():
    """By hand: A4 less the 5 mm border and the 6 mm slug band leaves 200 x 281 mm; cut
    marks take 1 + 4 mm beyond the outer bleeds, so two cells (trim x s + 2 x 2 mm of
    bleed) share 190 mm across: s = (190 - 8) / 210 = 86.7 %; down, 271 mm would allow
    (271 - 8) / 296 = 88.9 %. The poster, alone on its sheet: (190 - 4) / 210 = 88.6 %."""
    plan = plan_office(POCKET, PRODUCTION.office_sheet, (105, 148))
    assert (plan.n_up, plan.sheet_mm, plan.method, len(plan.sides), plan.bleed_mm) == (
        4, (210, 297), "office-duplex", 2, OFFICE_BLEED_MM)
    assert plan.scale == pytest.approx(182 / 210) and plan.scale >= OFFICE_MIN_SCALE
    poster = plan_office(POSTER, PRODUCTION.office_sheet, (210, 297))
    assert (poster.n_up, poster.method, len(poster.sides)) == (1, "office", 1)
    assert poster.scale == pytest.approx(186 / 210)
    fronts, backs = plan.sides[0].placements, plan.sides[1].placements
    assert sorted((b.trim.mirrored(210).x, b.trim.y) for b in backs) == sorted(
        (f.trim.x, f.trim.y) for f in fronts)


OFFICE_PLANS = [(POCKET, (105, 148)), (POSTER, (210, 297)),
                (PRODUCTION.run("pocket"), (148, 210)),  # an A5 piece: two up
                (PRODUCTION.run("pocket"), (90, 50))]  # a card: many up


@pytest.mark.parametrize(("run", "piece"), OFFICE_PLANS)
def test_office_cells_carry_their_own_bleed_and_marks_stay_printable(run, piece):
    """Every copy has its bleed all round, clear of every other copy's trim; cut marks
    at the four corners of every copy, outside every bleed, inside the printable area
    (the border and the slug band left free)."""
    sheet = PRODUCTION.office_sheet
    plan = plan_office(run, sheet, piece)
    assert plan.bleed_mm >= 2.0
    width, height = plan.sheet_mm
    printable_area = Rect(0, 0, width, height).inset(sheet.margin_mm)
    printable_area = Rect(printable_area.x, printable_area.y, printable_area.w,
                          printable_area.h - OFFICE_BAND_MM)
    for side in plan.sides:
        trims = [p.trim for p in side.placements]
        cells = [t.inset(-plan.bleed_mm) for t in trims]
        for number, cell in enumerate(cells):
            assert printable_area.contains(cell), (side.label, cell)
            assert not any(cell.overlaps(trim) for other, trim in enumerate(trims)
                           if other != number), (side.label, cell)
        for mark in side.marks:
            box = _box(mark)
            assert printable_area.contains(box), mark
            assert not any(box.overlaps(cell) for cell in cells), mark
            assert _length(mark) >= OFFICE_MARK_MM - 1e-6, mark
        assert not side.slug.overlaps(printable_area)
        for corner, vertical, horizontal in _office_corners(side):
            assert vertical and horizontal, (side.label, corner)


def _office_corners(side):
    """(corner, vertical marks on its x beyond it, horizontal marks on its y beyond it)."""
    for trim in (p.trim for p in side.placements):
        for x, sx in ((trim.x, -1), (trim.right, 1)):
            for y, sy in ((trim.y, -1), (trim.top, 1)):
                # marks are drawn to 1/10,000 mm
                vertical = [m for m in side.marks if _on_line(m, x, 0, 1e-4)
                            and (_box(m).y >= y if sy > 0 else _box(m).top <= y)]
                horizontal = [m for m in side.marks if _on_line(m, y, 1, 1e-4)
                              and (_box(m).x >= x if sx > 0 else _box(m).right <= x)]
                yield (x, y), vertical, horizontal


def test_office_grid_keeps_the_scale_rule():
    """The most copies at no less than OFFICE_MIN_SCALE: a card 90 x 50 mm fits 2 x 4 at
    full size, where 3 columns would need 3 x 94 = 282 mm."""
    card = plan_office(POCKET, PRODUCTION.office_sheet, (90, 50))
    assert (card.n_up, card.scale) == (8, 1.0)
    huge = plan_office(POSTER, PRODUCTION.office_sheet, (297, 420))  # A3: one copy
    assert huge.n_up == 1 and huge.scale < OFFICE_MIN_SCALE


def test_office_slug_says_how_many_sheets_make_how_many_copies():
    plan = plan_office(POCKET, PRODUCTION.office_sheet, (105, 148))
    text = slug_text(plan, plan.sides[0], "포켓용 리플릿", "2024-05-01", "ab" * 32)
    assert "A4 2,625장 → 10,500부 (한 장에 4부, 양면 긴 쪽 넘김 · 주문 10,000부 + 여분 500부)" \
        in text, text
    assert "축소 86.7%" in text and "칸마다 도련 2 mm" in text and "앞면" in text
    assert "여분 포함" not in text
    poster = plan_office(POSTER, PRODUCTION.office_sheet, (210, 297))
    text = slug_text(poster, poster.sides[0], "A4 포스터", "2024-05-01", "ab" * 32)
    assert "A4 5,250장 → 5,250부 (한 장에 1부, 단면 · 주문 5,000부 + 여분 250부)" in text


def _marks_at_corners(plan, side):
    """For each trim corner of each cell, the crop marks on its two trim lines: a
    vertical one on the corner's x (on its side of the block: below for a bottom
    corner, above for a top one) and a horizontal one on its y; each at least
    ``MARK_LENGTH_MM`` long, at least ``MARK_OFFSET_MM`` from every trim and outside
    every cell's bleed."""
    cells = [p.trim.inset(-plan.bleed_mm) for p in side.placements]
    trims = [p.trim for p in side.placements]
    found = []
    for trim in trims:
        for x, sx in ((trim.x, -1), (trim.right, 1)):
            for y, sy in ((trim.y, -1), (trim.top, 1)):
                vertical = [m for m in side.marks if _on_line(m, x, 0)
                            and (min(m[0][1], m[1][1]) >= y if sy > 0
                                 else max(m[0][1], m[1][1]) <= y)]
                horizontal = [m for m in side.marks if _on_line(m, y, 1)
                              and (min(m[0][0], m[1][0]) >= x if sx > 0
                                   else max(m[0][0], m[1][0]) <= x)]
                found.append(((x, y), vertical, horizontal))
    for mark in side.marks:
        box = _box(mark)
        assert _length(mark) >= MARK_LENGTH_MM - 1e-6, mark
        assert not any(box.overlaps(cell) for cell in cells), mark
        assert all(_distance(box, trim) >= MARK_OFFSET_MM - 1e-6 for trim in trims), mark
    return found


def _on_line(mark, value, axis, tolerance=1e-6):
    (x1, y1), (x2, y2) = mark
    along_other = (x1, x2) if axis == 0 else (y1, y2)
    return all(abs(v - value) < tolerance for v in along_other)


def _box(mark):
    (x1, y1), (x2, y2) = mark
    return Rect(min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))


def _length(mark):
    (x1, y1), (x2, y2) = mark
    return abs(x2 - x1) + abs(y2 - y1)


def _distance(box, rect):
    dx = max(rect.x - box.right, box.x - rect.right, 0)
    dy = max(rect.y - box.top, box.y - rect.top, 0)
    return max(dx, dy)


@pytest.mark.parametrize("sheet_name", [s.name for s in PRODUCTION.press_sheets])
@pytest.mark.parametrize("method", ["single", "sheetwise", "work-and-turn"])
def test_every_cell_corner_has_crop_marks_of_full_length(sheet_name, method):
    run = POSTER if method == "single" else POCKET
    piece = (210, 297) if method == "single" else (105, 148)
    plan = plan_press(run, PRODUCTION.sheet(sheet_name), piece, 3.0,
                      None if method == "single" else method)
    if plan is None:
        return
    for side in plan.sides:
        for corner, vertical, horizontal in _marks_at_corners(plan, side):
            assert vertical and horizontal, (sheet_name, method, side.label, corner)


def test_pocket_on_gukjeonji_has_gripper_row_marks_and_full_tail_marks():
    """The sheet of the issue: the gripper-side row had no vertical crop marks, the
    tail-side ones were 1.4 mm long."""
    plan = plan_press(POCKET, PRODUCTION.sheet("국전지"), (105, 148), 3.0)
    [side] = plan.sides
    low = min(p.trim.y for p in side.placements)
    high = max(p.trim.top for p in side.placements)
    below = [m for m in side.marks if _box(m).w == 0 and _box(m).top <= low]
    above = [m for m in side.marks if _box(m).w == 0 and _box(m).y >= high]
    columns = {round(v, 4) for p in side.placements for v in (p.trim.x, p.trim.right)}
    assert {round(m[0][0], 4) for m in below} == columns
    assert {round(m[0][0], 4) for m in above} == columns
    assert all(_length(m) >= 5.0 for m in below + above)
    assert all(_box(m).y >= PRODUCTION.sheet("국전지").gripper_mm for m in below)


@settings(max_examples=60, deadline=None)
@given(sheet=sheets, piece=st.tuples(sizes, sizes), bleed=st.sampled_from([0, 2, 3, 5]),
       method=st.sampled_from(["single", "sheetwise", "work-and-turn"]))
def test_only_the_control_strip_within_3_mm_of_an_edge(sheet, piece, bleed, method):
    run = _run(method != "single", method if method != "single" else "work-and-turn")
    plan = plan_press(run, sheet, piece, bleed, None if method == "single" else method)
    if plan is None:
        return
    width, height = plan.sheet_mm
    inner = Rect(0, 0, width, height).inset(EDGE_MM)
    for side in plan.sides:
        cells = [p.trim.inset(-bleed) for p in side.placements]
        marks = [_box(m) for m in side.marks]
        furniture = ([_box(m) for m in side.lay_marks] + [side.slug]
                     + [Rect(x - 2.4, y - 2.4, 4.8, 4.8) for x, y in side.targets])
        for thing in cells + marks + furniture:
            assert inner.contains(thing), (side.label, thing)
        for thing in furniture:
            assert not any(thing.overlaps(other) for other in cells + marks), thing
        # The strip: across the whole width, along the tail, above everything else.
        strip = side.colour_bar
        assert (strip.x, strip.right) == (0, width) and strip.top <= height
        assert strip.y >= max(t.top for t in cells + marks + furniture)
        assert sum(rect.w for rect, _ in side.strip) == pytest.approx(width)


def test_control_strip_repeats_solids_in_every_ink_zone():
    plan = plan_press(POCKET, PRODUCTION.sheet("국전지"), (105, 148), 3.0)
    strip = plan.sides[0].strip
    zones = {}
    for rect, cmyk in strip:
        zones.setdefault(int(rect.x // 32), []).append(cmyk)
    assert len(zones) == 30  # 939 mm / 32 mm
    for inks in zones.values():
        assert inks[:4] == [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)][:len(inks)]
    every = [cmyk for _, cmyk in strip]
    for wanted in [(1, 1, 0, 0), (1, 0, 1, 0), (0, 1, 1, 0)] + [
            tuple(t if i == ink else 0 for i in range(4))
            for ink in range(4) for t in (0.25, 0.5, 0.75)]:
        assert wanted in every, wanted
    grey = every.index((0.5, 0.4, 0.4, 0))
    assert every[grey + 1] == (0, 0, 0, 0.5)  # grey balance beside K 50 %
