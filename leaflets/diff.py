"""What a content change changes: a field table and outlined before/after proofs.

For approval (결재) of a fee change: every changed field with its value
before and after, and for every page whose proof changed, one PNG with the
two renders side by side and the changed regions outlined in red (the
pixel difference of the two renders, grouped into rectangles).
"""

from __future__ import annotations

import subprocess
import tomllib
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from leaflets.content import Content, parse_content
from leaflets.errors import LeafletsError
from leaflets.products import PRODUCTS
from leaflets.project import FONTS
from leaflets.render import Renderer, rasterize

DIFF_DPI = 100
THRESHOLD = 40  # per-channel difference that counts as changed (anti-aliasing is less)
BLOCK = 4  # pixels per cell when grouping changes into regions
GAP = 3  # cells: changes closer than this join one region
OUTLINE = (220, 20, 60)
MARGIN = 3  # pixels of clear space between a change and its outline
LINE = 3  # pixels, the outline's width
REACH = 48  # pixels a frame's side may move out to clear a word
INK = 40  # difference from the background that makes a pixel ink, not to be covered

LABELS = {  # every field of the content file, as staff name it on a 결재 document
    "service.name": "서비스 이름", "service.url": "QR 주소", "service.publisher": "발행처",
    "fee_table.title": "수수료 표 제목", "fee_table.free_label": "무료 표시",
    "fee_table.document_label": "수수료 표 첫째 칸 제목",
    "fee_table.counter_label": "수수료 표 민원창구 칸 제목",
    "fee_table.kiosk_label": "수수료 표 무인발급기 칸 제목",
    "fee_table.online_label": "수수료 표 민원24 칸 제목",
    "howto.title": "이용 방법 제목", "howto.note": "이용 방법 참고",
    "qr.caption": "QR 안내 문구",
    "poster-a4.trim_mm": "포스터 재단 크기", "poster-a4.bleed_mm": "포스터 도련",
    "poster-a4.headline": "포스터 제목", "poster-a4.lead": "포스터 안내 문구",
    "pocket.trim_mm": "리플릿 재단 크기", "pocket.bleed_mm": "리플릿 도련",
    "pocket.front_title": "리플릿 앞면 제목", "pocket.back_headline": "리플릿 뒷면 제목",
    "pocket.lead": "리플릿 안내 문구",
    "pocket.howto.steps": "리플릿 이용 방법", "pocket.howto.note": "리플릿 이용 방법 참고",
    "desk.title": "전용창구 제목", "desk.text": "전용창구 안내 문구",
}
UNITS = {"trim_mm": " mm", "bleed_mm": " mm"}
FEE_COLUMNS = {"counter": "민원창구", "kiosk": "무인발급기", "online": "민원24"}


@dataclass(frozen=True)
class Change:
    field: str  # 항목
    before: str  # 변경 전
    after: str  # 변경 후


@dataclass(frozen=True)
class PageDiff:
    product: str
    page: int
    regions: tuple[tuple[int, int, int, int], ...]  # pixel boxes in the after render
    before: Image.Image  # the old render, changes outlined
    after: Image.Image  # the new render, changes outlined
    image: Image.Image  # before | after, side by side with their headings


def load_version(spec: str, data_path: Path) -> tuple[bytes, str]:
    """The bytes of a content file: ``spec`` is a file, or a git revision of ``data_path``."""
    path = Path(spec)
    if path.is_file():
        return path.read_bytes(), str(path)
    data_path = Path(data_path).resolve()
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=data_path.parent,
                             capture_output=True, text=True, check=True).stdout.strip()
        relative = data_path.relative_to(top).as_posix()
        shown = subprocess.run(["git", "show", f"{spec}:{relative}"], cwd=top,
                               capture_output=True, check=True)
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError):
        raise LeafletsError(f"'{spec}': 파일도 아니고, {data_path.name}의 git 버전(예: HEAD, "
                            "HEAD~1)도 아닙니다") from None
    return shown.stdout, f"{spec}:{relative}"


def field_changes(old: bytes, new: bytes) -> list[Change]:
    """Changed fields, fees matched by document name, in the file's order."""
    before, after = _flatten(tomllib.loads(old.decode())), _flatten(tomllib.loads(new.decode()))
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        if before.get(key) != after.get(key):
            changes.append(Change(key, before.get(key, "(없음)"), after.get(key, "(없음)")))
    return changes


def _flatten(doc: dict) -> dict[str, str]:
    flat = {}
    for fee in doc.get("fees", []):
        name = str(fee.get("document", "?"))
        for key, label in FEE_COLUMNS.items():
            value = fee.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                flat[f"수수료 · {name} · {label}"] = "무료" if value == 0 else f"{value:,}원"
            else:
                flat[f"수수료 · {name} · {label}"] = str(value)
    for number, step in enumerate(doc.get("howto", {}).get("steps", []), start=1):
        flat[f"이용 방법 {number}단계"] = str(step)

    def walk(node, path):
        for key, value in node.items():
            dotted = f"{path}.{key}" if path else key
            if dotted in ("fees", "howto.steps"):
                continue
            label = LABELS.get(dotted, dotted)
            if isinstance(value, dict):
                walk(value, dotted)
            elif isinstance(value, list) and all(isinstance(v, int | float) for v in value):
                flat[label] = " × ".join(f"{v:g}" for v in value) + UNITS.get(key, "")
            elif isinstance(value, list):
                for number, item in enumerate(value, start=1):
                    flat[f"{label} {number}단계"] = str(item)
            else:
                flat[label] = f"{value:g}{UNITS.get(key, '')}" if isinstance(
                    value, int | float) and not isinstance(value, bool) else str(value)

    walk(doc, "")
    return flat


def page_diffs(old: Content, new: Content, renderer: Renderer) -> list[PageDiff]:
    """Every proof page whose pixels changed, with the changed regions."""
    diffs = []
    for name in PRODUCTS:
        before = list(rasterize(renderer.render(old, name, "screen").pdf, DIFF_DPI))
        after = list(rasterize(renderer.render(new, name, "screen").pdf, DIFF_DPI))
        for number, (a, b) in enumerate(zip(before, after, strict=False), start=1):
            a, b = a.convert("RGB"), b.convert("RGB")
            same = a.size == b.size
            regions = changed_regions(a, b) if same else ((0, 0, b.width, b.height),)
            if regions:
                marked_a, marked_b = outlined(a, b, regions), outlined(b, a, regions)
                diffs.append(PageDiff(name, number, regions, marked_a, marked_b,
                                      _side_by_side(marked_a, marked_b)))
    return diffs


def changed_regions(a: Image.Image, b: Image.Image) -> tuple[tuple[int, int, int, int], ...]:
    """Rectangles (left, top, right, bottom) around the pixels that differ."""
    difference = ImageChops.difference(a, b).convert("L").point(
        lambda v: 255 if v >= THRESHOLD else 0)
    if difference.getbbox() is None:
        return ()
    cells = difference.reduce(BLOCK).point(lambda v: 255 if v else 0)
    grown = cells.filter(ImageFilter.MaxFilter(2 * GAP + 1))
    width, height = grown.size
    pixels = grown.load()
    marked = cells.load()
    seen = set()
    regions = []
    for y in range(height):
        for x in range(width):
            if not pixels[x, y] or (x, y) in seen:
                continue
            queue, box = deque([(x, y)]), [width, height, -1, -1]
            seen.add((x, y))
            while queue:
                cx, cy = queue.popleft()
                if marked[cx, cy]:
                    box = [min(box[0], cx), min(box[1], cy), max(box[2], cx), max(box[3], cy)]
                for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                    if 0 <= nx < width and 0 <= ny < height and pixels[nx, ny] \
                            and (nx, ny) not in seen:
                        seen.add((nx, ny))
                        queue.append((nx, ny))
            if box[2] >= 0:
                regions.append((box[0] * BLOCK, box[1] * BLOCK,
                                min(a.width, (box[2] + 1) * BLOCK),
                                min(a.height, (box[3] + 1) * BLOCK)))
    return tuple(sorted(regions, key=lambda r: (r[1], r[0])))


def outlined(image: Image.Image, other: Image.Image,
             regions: tuple[tuple[int, int, int, int], ...]) -> Image.Image:
    """``image`` with a red frame around each region, drawn outside what changed.

    Each frame keeps ``MARGIN`` pixels clear around every pixel that differs from
    ``other`` near the region (anti-aliased edges included) and is clamped to the
    image. Its sides move out (up to ``REACH``) past the ink of either render, so
    that it goes round the whole word ("500원", not "5|00원"); where no clear line is
    that near, the frame passes behind the ink. It is never painted on a changed
    pixel nor on ink."""
    image, other = image.convert("RGB"), other.convert("RGB")
    if image.size != other.size:  # a page that changed size: one frame around all of it
        changed = Image.new("L", image.size, 255)
        other = image
    else:
        changed = ImageChops.difference(image, other).convert("L").point(
            lambda v: 255 if v else 0)
    result = image.copy()
    for box in regions:
        inner = _grown(changed, box)
        background = _most_common(image, _band(image.size, inner, MARGIN + LINE))
        keep = ImageChops.lighter(changed, ImageChops.lighter(
            _ink(image, background), _ink(other, background)))
        band = _band(image.size, _clear_of(keep, inner), LINE)
        result.paste(OUTLINE, mask=ImageChops.subtract(band, keep))
    return result


def _grown(changed: Image.Image, box) -> tuple[int, int, int, int]:
    """``box`` grown to every changed pixel near it, then by the margin, clamped."""
    width, height = changed.size
    reach = GAP * BLOCK
    near = (max(0, box[0] - reach), max(0, box[1] - reach),
            min(width, box[2] + reach), min(height, box[3] + reach))
    found = changed.crop(near).getbbox()
    left, top, right, bottom = box if found is None else (
        min(box[0], near[0] + found[0]), min(box[1], near[1] + found[1]),
        max(box[2], near[0] + found[2]), max(box[3], near[1] + found[3]))
    return (max(0, left - MARGIN), max(0, top - MARGIN),
            min(width, right + MARGIN), min(height, bottom + MARGIN))


def _clear_of(keep: Image.Image, inner) -> tuple[int, int, int, int]:
    """``inner`` (left, top, right, bottom; right and bottom exclusive) with each side
    moved out, by at most ``REACH``, until the line drawn there crosses no ink."""
    width, height = keep.size
    box = list(inner)
    limits = (max(0, inner[0] - REACH), max(0, inner[1] - REACH),
              min(width, inner[2] + REACH), min(height, inner[3] + REACH))

    def strip(side, at):
        left, top, right, bottom = box
        return {0: (at - LINE, top - LINE, at, bottom + LINE),
                1: (left - LINE, at - LINE, right + LINE, at),
                2: (at, top - LINE, at + LINE, bottom + LINE),
                3: (left - LINE, at, right + LINE, at + LINE)}[side]

    for _ in range(4):  # moving one side lengthens the others: settle a few times
        before = tuple(box)
        for side, step in ((0, -1), (1, -1), (2, 1), (3, 1)):
            at = box[side]
            while keep.crop(strip(side, at)).getbbox() is not None and at != limits[side]:
                at += step
            if keep.crop(strip(side, at)).getbbox() is None:
                box[side] = at
        if tuple(box) == before:
            break
    return tuple(box)


def _band(size, inner, line: int) -> Image.Image:
    """A mask: a frame ``line`` pixels wide just outside ``inner``, clamped to ``size``."""
    left, top, right, bottom = inner
    band = Image.new("L", size, 0)
    ImageDraw.Draw(band).rectangle(
        (max(0, left - line), max(0, top - line),
         min(size[0], right + line) - 1, min(size[1], bottom + line) - 1),
        outline=255, width=line)
    return band


def _most_common(image: Image.Image, mask: Image.Image) -> tuple[int, int, int]:
    """The colour ``mask`` covers most: the paper or tint the frame crosses."""
    box = mask.getbbox() or (0, 0, 1, 1)
    pixels, chosen = image.crop(box).get_flattened_data(), mask.crop(box).get_flattened_data()
    counts = Counter(p for p, m in zip(pixels, chosen, strict=True) if m)
    return counts.most_common(1)[0][0] if counts else (255, 255, 255)


def _ink(image: Image.Image, background) -> Image.Image:
    """Pixels clearly unlike ``background``: text, rules, pictures (a mask)."""
    return ImageChops.difference(image, Image.new("RGB", image.size, background)) \
        .convert("L").point(lambda v: 255 if v >= INK else 0)


def _side_by_side(a, b):
    gap, header = 24, 40
    canvas = Image.new("RGB", (a.width + b.width + gap, max(a.height, b.height) + header),
                       (255, 255, 255))
    canvas.paste(a, (0, header))
    canvas.paste(b, (a.width + gap, header))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(FONTS / "NanumSquareB.ttf"), 22)
    draw.text((8, 8), "변경 전", fill=(0, 0, 0), font=font)
    draw.text((a.width + gap + 8, 8), "변경 후", fill=(0, 0, 0), font=font)
    return canvas


def load_pair(old_spec: str, new_spec: str | None, data_path: Path):
    """Both versions as (bytes, label, Content)."""
    old_bytes, old_label = load_version(old_spec, data_path)
    if new_spec is None:
        new_bytes, new_label = Path(data_path).read_bytes(), str(data_path)
    else:
        new_bytes, new_label = load_version(new_spec, data_path)
    return ((old_bytes, old_label, parse_content(old_bytes, old_label)),
            (new_bytes, new_label, parse_content(new_bytes, new_label)))


def format_changes(changes: list[Change]) -> str:
    """The Korean table: 항목, 변경 전, 변경 후."""
    from leaflets.korean import display_width, pad

    if not changes:
        return "바뀐 항목이 없습니다.\n"
    rows = [("항목", "변경 전", "변경 후")] + [(c.field, c.before, c.after) for c in changes]
    widths = [max(display_width(row[i].replace("\n", " ")) for row in rows) + 2
              for i in range(3)]
    lines = []
    for number, row in enumerate(rows):
        lines.append("".join(pad(cell.replace("\n", " "), width)
                             for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("".join("-" * (width - 2) + "  " for width in widths).rstrip())
    return "\n".join(lines) + "\n"
