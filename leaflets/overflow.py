"""Which content field made a page overflow.

The fit check (:func:`leaflets.render._check_fits`) knows that something does
not fit; a staff member needs to know *what* to shorten. This module maps the
laid-out boxes back to the fields of ``minwon24.toml`` by their text, and
names the field at fault:

1. a text outside the safe area: the field that text belongs to;
2. otherwise (a spill onto an extra page, a QR code pushed out, the 동 slot
   invaded): the field that grew most, i.e. takes the most height beyond the
   lines written in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

from leaflets.content import Content, HowTo
from leaflets.products import Product

PX_PER_MM = 96 / 25.4
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Field:
    """One text of the content file, as a staff member names it."""

    label: str  # Korean, e.g. "이용 방법 3단계"
    path: str  # where it is in minwon24.toml, e.g. "howto.steps[3]"
    text: str

    def __str__(self):
        return f"{self.label} ({self.path})"


def overflowing_field(document, content: Content, product: Product,
                      page: int | None = None) -> Field | None:
    """The field to shorten so that ``document`` fits ``product``'s pages, or None.

    ``page``: the page the fit check complained about, for a complaint that is
    neither the safe area nor a spill (the 동 slot invaded)."""
    fields = product_fields(content, product)
    texts = {}
    found = []  # (page number, box, field or None) for every text box
    for number, sheet in enumerate(document.pages, start=1):
        _collect(sheet._page_box, [], fields, texts, found, number)
    everywhere = set(range(1, len(document.pages) + 1))
    if len(document.pages) > len(product.pages):
        # Once something spills, every later page shifts: what grew is the culprit.
        return _grown_most(found, everywhere)
    fields_of = {id(box): field for _, box, field in found}
    safe = product.safe_mm * PX_PER_MM
    for number, sheet in enumerate(document.pages, start=1):
        for box in _ink(sheet._page_box):
            if (box.position_x < safe - 0.5 or box.position_y < safe - 0.5
                    or box.position_x + box.width > sheet.width - safe + 0.5
                    or box.position_y + box.height > sheet.height - safe + 0.5):
                return (fields_of.get(id(box)) or _grown_most(found, {number})
                        or _grown_most(found, everywhere))
    return _grown_most(found, {page}) if page else None


def _grown_most(found, pages) -> Field | None:
    """The field on ``pages`` whose text takes the most height beyond its written lines:
    what pushed the rest out when the culprit itself still fits (a QR code, a spill)."""
    rows = {}
    for number, box, field in found:
        if field is not None and number in pages:
            row = rows.setdefault(field, {})
            key = (number, round(box.position_y))
            row[key] = max(row.get(key, 0.0), box.height)
    grown = []
    for field, heights in rows.items():
        extra = len(heights) - field.text.count("\n") - 1
        if extra > 0:
            grown.append((extra * sum(heights.values()) / len(heights), field))
    return max(grown, key=lambda entry: entry[0])[1] if grown else None


def product_fields(content: Content, product: Product) -> list[Field]:
    """The content file's texts printed on ``product``, with their names."""
    table = content.fee_table
    fields = [Field("발행 부서", "service.publisher", content.service.publisher),
              Field("QR코드 안내 문구", "qr.caption", content.qr_caption),
              Field("수수료 표 제목", "fee_table.title", table.title)]
    fields += [Field(f"수수료 표 칸 이름 ({key})", f"fee_table.{key}", getattr(table, key))
               for key in ("document_label", "counter_label", "kiosk_label",
                           "online_label", "free_label")]
    fields += [Field(f"수수료 {n}행 서류 이름", f"fees[{n}].document", fee.document)
               for n, fee in enumerate(content.fees, start=1)]
    if product.name == "poster-a4":
        part, name = content.poster, "poster-a4"
        fields += [Field("큰 제목", f"{name}.headline", part.headline)]
    else:
        part, name = content.pocket, "pocket"
        fields += [Field("앞면 제목", f"{name}.front_title", part.front_title),
                   Field("뒷면 큰 제목", f"{name}.back_headline", part.back_headline)]
    fields.append(Field("안내 문단", f"{name}.lead", part.lead))
    fields += _howto_fields(getattr(part, "howto", content.howto), content.howto, name)
    desk = getattr(content, "desk", None)  # the optional [desk]
    if desk is not None:
        fields += [Field("구 안내 제목", "desk.title", desk.title),
                   Field("구 안내 문구", "desk.text", desk.text)]
    return fields


def _howto_fields(howto: HowTo, shared: HowTo, name: str) -> list[Field]:
    def where(key):  # the product's own [name.howto] or the shared [howto]
        return "howto" if getattr(howto, key) == getattr(shared, key) else f"{name}.howto"
    fields = [Field("이용 방법 제목", f"{where('title')}.title", howto.title),
              Field("이용 방법 안내(※)", f"{where('note')}.note", howto.note)]
    fields += [Field(f"이용 방법 {n}단계", f"{where('steps')}.steps[{n}]", step)
               for n, step in enumerate(howto.steps, start=1)]
    return fields


def _plain(text: str) -> str:
    return _SPACE.sub("", text.replace("**", ""))


def _text_of(box, texts) -> str:
    key = id(box)
    if key not in texts:
        if isinstance(box, boxes.TextBox):
            texts[key] = _plain(box.text)
        else:
            texts[key] = "".join(_text_of(child, texts)
                                 for child in getattr(box, "children", ()))
    return texts[key]


def _collect(box, ancestors, fields, texts, found, number):
    element = getattr(box, "element", None)
    if element is not None and "furniture" in (element.get("class") or "").split():
        return
    if isinstance(box, boxes.TextBox) and box.text.strip():
        found.append((number, box, _field_for([*ancestors, box], fields, texts)))
    for child in getattr(box, "children", ()):
        _collect(child, [*ancestors, box], fields, texts, found, number)


def _ink(box):
    """Text and images that must stay in the safe area, in page order."""
    element = getattr(box, "element", None)
    if element is not None and "furniture" in (element.get("class") or "").split():
        return
    if isinstance(box, boxes.TextBox) and box.text.strip() \
            or isinstance(box, boxes.ReplacedBox):
        yield box
    for child in getattr(box, "children", ()):
        yield from _ink(child)


def _field_for(chain, fields, texts) -> Field | None:
    """The field that holds the largest box around the text (a word like "민원24"
    is in many fields, its line in one; "분" of the "구 분" header is in a step,
    but "구분" only in the header's label)."""
    holding = []
    for box in reversed(chain):
        text = _text_of(box, texts)
        inside = [field for field in fields if text and text in _plain(field.text)]
        if not inside:
            break
        holding = inside
    return holding[0] if len(holding) == 1 else None
