"""What a content change changes: a field table and outlined before/after proofs.

For approval (결재) of a fee change: every changed field with its value
before and after, and for every page whose proof changed, one PNG with the
two renders side by side and the changed regions outlined in red (the
pixel difference of the two renders, grouped into rectangles).
"""

from __future__ import annotations

import subprocess
import tomllib
from collections import deque
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

LABELS = {
    "service.name": "서비스 이름", "service.url": "QR 주소", "service.publisher": "발행처",
    "fee_table.title": "수수료 표 제목", "fee_table.free_label": "무료 표시",
    "howto.title": "이용 방법 제목", "howto.note": "이용 방법 참고",
    "qr_caption": "QR 안내 문구",
    "poster-a4.headline": "포스터 제목", "poster-a4.lead": "포스터 안내 문구",
    "pocket.front_title": "리플릿 앞면 제목", "pocket.back_headline": "리플릿 뒷면 제목",
    "pocket.lead": "리플릿 안내 문구",
}
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
    image: Image.Image  # before | after, outlined


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
            if isinstance(value, dict):
                walk(value, dotted)
            else:
                flat[LABELS.get(dotted, dotted)] = str(value)

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
                diffs.append(PageDiff(name, number, regions, _side_by_side(a, b, regions)))
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


def _side_by_side(a, b, regions):
    gap, header = 24, 40
    canvas = Image.new("RGB", (a.width + b.width + gap, max(a.height, b.height) + header),
                       (255, 255, 255))
    canvas.paste(a, (0, header))
    canvas.paste(b, (a.width + gap, header))
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(FONTS / "NanumSquareB.ttf"), 22)
    draw.text((8, 8), "변경 전", fill=(0, 0, 0), font=font)
    draw.text((a.width + gap + 8, 8), "변경 후", fill=(0, 0, 0), font=font)
    for left, top, right, bottom in regions:
        for offset in (0, a.width + gap):
            draw.rectangle((left + offset - 3, top + header - 3, right + offset + 2,
                            bottom + header + 2), outline=OUTLINE, width=3)
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
