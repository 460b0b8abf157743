"""Walk a PDF's content streams and report what a prepress check needs.

A small interpreter over pypdf's parsed operators: it follows the graphics
state (CTM, colour spaces and colours, font size, text matrix) through page
content and every Form XObject, and records each colour operator, each
colour space and image used, each run of text with its effective size,
fill colour and position, and each fill, stroke and text with its colour,
overprint, line width and extent. Pure reading: nothing is rendered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, IndirectObject

RGB_SPACES = {"/DeviceRGB", "/CalRGB", "/RGB"}
CMYK_SPACES = {"/DeviceCMYK", "/CMYK"}
GRAY_SPACES = {"/DeviceGray", "/CalGray", "/G"}
_DEVICE_BY_OP = {b"g": "/DeviceGray", b"G": "/DeviceGray", b"rg": "/DeviceRGB",
                 b"RG": "/DeviceRGB", b"k": "/DeviceCMYK", b"K": "/DeviceCMYK"}


@dataclass(frozen=True)
class ColourSpace:
    """A resolved colour space: its family and number of components."""

    family: str  # "/DeviceRGB", "/ICCBased", "/Separation", ...
    components: int
    name: str = ""  # colorant name for /Separation

    @property
    def is_rgb(self) -> bool:
        return self.family in RGB_SPACES or (self.family == "/ICCBased" and self.components == 3)


@dataclass(frozen=True)
class ColourUse:
    """One colour-setting operator, or a colour space / image found in resources."""

    page: int
    where: str  # "페이지 내용", "Form /Fm1", "이미지 /Im0"
    what: str  # operator or resource kind
    space: ColourSpace
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class TextRun:
    """A string shown with Tj/TJ/'/\", with its graphics state."""

    page: int
    where: str
    size_pt: float
    space: ColourSpace
    values: tuple[float, ...]
    x: float  # text origin in default user space (points)
    y: float


@dataclass(frozen=True)
class Paint:
    """One painting operator (a fill, a stroke, a string of text) with the colour,
    overprint and line width in force, and where it paints."""

    page: int
    where: str
    kind: str  # "fill", "stroke" or "text"
    space: ColourSpace
    values: tuple[float, ...]
    overprint: bool
    width_pt: float | None  # a stroke's line width in default user space (points)
    box: tuple[float, float, float, float] | None  # left, bottom, right, top (points)


@dataclass
class _State:
    ctm: tuple = (1, 0, 0, 1, 0, 0)
    fill_space: ColourSpace = ColourSpace("/DeviceGray", 1)
    fill: tuple = (0.0,)
    stroke_space: ColourSpace = ColourSpace("/DeviceGray", 1)
    stroke: tuple = (0.0,)
    font_size: float = 0.0
    line_width: float = 1.0
    fill_overprint: bool = False
    stroke_overprint: bool = False


@dataclass
class Scan:
    """Everything found in one document."""

    colours: list[ColourUse] = field(default_factory=list)
    texts: list[TextRun] = field(default_factory=list)
    fonts: list[tuple[int, str, dict]] = field(default_factory=list)  # page, name, font dict
    paints: list[Paint] = field(default_factory=list)


def scan(reader: PdfReader, pages: list[int] | None = None) -> Scan:
    """Interpret every page of ``reader`` (or the 1-based ``pages``)."""
    result = Scan()
    for number, page in enumerate(reader.pages, start=1):
        if pages is not None and number not in pages:
            continue
        resources = _resolve(page.get("/Resources")) or {}
        contents = _resolve(page.get("/Contents"))
        if contents is not None:
            parts = [_resolve(part) for part in
                     (contents if isinstance(contents, ArrayObject) else [contents])]
            if all(_ENDS_WITH_OPERATOR.search(part.get_data()) for part in parts[:-1]):
                operations = [op for part in parts for op in _operations(part, reader)]
            else:  # an operator's operands run on into the next stream: parse them joined
                operations = ContentStream(contents, reader).operations
            _run(reader, operations, resources, number, "페이지 내용", _State(), result, set())
        group = _resolve(page.get("/Group"))
        if group and "/CS" in group:
            space = _space(group["/CS"], resources)
            result.colours.append(ColourUse(number, "페이지 투명 그룹", "Group", space))
    return result


def _resolve(obj):
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _space(obj, resources) -> ColourSpace:
    """Resolve a colour space name or array to a ColourSpace."""
    obj = _resolve(obj)
    if isinstance(obj, str) and obj in ("/Pattern",):
        return ColourSpace("/Pattern", 1)
    if isinstance(obj, str):
        named = (_resolve(resources.get("/ColorSpace")) or {}).get(obj)
        if named is not None:
            return _space(named, {})
        family = obj
        return ColourSpace(family, {"/DeviceRGB": 3, "/RGB": 3, "/DeviceCMYK": 4, "/CMYK": 4}
                           .get(family, 1))
    family = str(obj[0])
    if family == "/ICCBased":
        stream = _resolve(obj[1])
        return ColourSpace(family, int(stream.get("/N", 0)))
    if family in ("/CalRGB", "/Lab"):
        return ColourSpace(family, 3)
    if family == "/CalGray":
        return ColourSpace(family, 1)
    if family in ("/Separation",):
        return ColourSpace(family, 1, str(obj[1]))
    if family == "/DeviceN":
        names = [str(_resolve(n)) for n in _resolve(obj[1])]
        return ColourSpace(family, len(names), " ".join(names))
    if family in ("/Indexed", "/I"):
        base = _space(obj[1], resources)
        return ColourSpace(base.family, base.components)
    if family == "/Pattern":
        return ColourSpace("/Pattern", 1)
    return ColourSpace(family, 0)


def _multiply(a, b):
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _area_scale(m) -> float:
    """How much a matrix scales lengths on average (a line width, a dash)."""
    return abs(m[0] * m[3] - m[1] * m[2]) ** 0.5


def _point(m, x, y):
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


_PATH_POINTS = {b"m": 1, b"l": 1, b"c": 3, b"v": 2, b"y": 2}
_FILLS = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_STROKES = {b"S", b"s", b"B", b"B*", b"b", b"b*"}


def _scale(m) -> float:
    """Vertical scale factor of a matrix (how much a text size grows)."""
    return (m[2] ** 2 + m[3] ** 2) ** 0.5


# A content stream that ends with an operator (not an operand) can be parsed alone.
_ENDS_WITH_OPERATOR = re.compile(
    rb"(?:^|[\s\]>)])(?!(?:true|false|null)\s*$)[A-Za-z'\"][A-Za-z0-9*'\"]*\s*$")
_PARSED: dict[bytes, list] = {}  # content stream digest -> operations
_PARSED_KEEP = 64


def _operations(stream, reader) -> list:
    """The parsed operators of one content stream. Parsing is the slow part of a scan,
    and the 동 editions of a build share their common pages' streams byte for byte:
    each distinct stream is parsed once per process (the result is only read)."""
    data = stream.get_data()
    key = hashlib.sha256(data).digest()
    operations = _PARSED.get(key)
    if operations is None:
        operations = ContentStream(stream, reader).operations
        if len(_PARSED) >= _PARSED_KEEP:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = operations
    return operations


def _run(reader, operations, resources, page, where, state, result, seen):
    stack = []
    text_matrix = line_matrix = (1, 0, 0, 1, 0, 0)
    leading = 0.0
    path = []  # points of the current path, in default user space
    for operands, operator in operations:
        op = operator
        if op in _PATH_POINTS:
            values = [float(v) for v in operands]
            path.extend(_point(state.ctm, values[i], values[i + 1])
                        for i in range(0, 2 * _PATH_POINTS[op], 2))
        elif op == b"re":
            x, y, w, h = (float(v) for v in operands)
            path.extend(_point(state.ctm, px, py)
                        for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)))
        elif op in _FILLS or op in _STROKES or op == b"n":
            _paint(op, path, page, where, state, result)
            path = []
        elif op == b"w":
            state.line_width = float(operands[0])
        elif op == b"gs":
            states = _resolve(resources.get("/ExtGState")) or {}
            _set_state(state, _resolve(states.get(operands[0])) or {})
        elif op == b"q":
            stack.append(replace(state))
        elif op == b"Q":
            if stack:
                state = stack.pop()
        elif op == b"cm":
            state.ctm = _multiply(tuple(float(v) for v in operands), state.ctm)
        elif op in (b"cs", b"CS"):
            space = _space(operands[0], resources)
            result.colours.append(ColourUse(page, where, op.decode(), space))
            if op == b"cs":
                state.fill_space, state.fill = space, _initial(space)
            else:
                state.stroke_space, state.stroke = space, _initial(space)
        elif op in (b"sc", b"scn", b"SC", b"SCN"):
            values = tuple(float(v) for v in operands if isinstance(v, int | float))
            space = state.fill_space if op in (b"sc", b"scn") else state.stroke_space
            result.colours.append(ColourUse(page, where, op.decode(), space, values))
            if op in (b"sc", b"scn"):
                state.fill = values
            else:
                state.stroke = values
        elif op in _DEVICE_BY_OP:
            values = tuple(float(v) for v in operands)
            space = ColourSpace(_DEVICE_BY_OP[op], len(values))
            result.colours.append(ColourUse(page, where, op.decode(), space, values))
            if op.islower():
                state.fill_space, state.fill = space, values
            else:
                state.stroke_space, state.stroke = space, values
        elif op == b"BT":
            text_matrix = line_matrix = (1, 0, 0, 1, 0, 0)
        elif op == b"Tf":
            state.font_size = float(operands[1])
            fonts = _resolve(resources.get("/Font")) or {}
            font = _resolve(fonts.get(operands[0]))
            if font is not None:
                result.fonts.append((page, str(operands[0]), font))
        elif op == b"TL":
            leading = float(operands[0])
        elif op == b"Tm":
            text_matrix = line_matrix = tuple(float(v) for v in operands)
        elif op in (b"Td", b"TD"):
            tx, ty = float(operands[0]), float(operands[1])
            if op == b"TD":
                leading = -ty
            text_matrix = line_matrix = _multiply((1, 0, 0, 1, tx, ty), line_matrix)
        elif op == b"T*":
            text_matrix = line_matrix = _multiply((1, 0, 0, 1, 0, -leading), line_matrix)
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            if op in (b"'", b'"'):
                text_matrix = line_matrix = _multiply((1, 0, 0, 1, 0, -leading), line_matrix)
            full = _multiply(text_matrix, state.ctm)
            size = abs(state.font_size) * _scale(full)
            result.texts.append(TextRun(page, where, size, state.fill_space, state.fill,
                                        full[4], full[5]))
            result.paints.append(Paint(page, where, "text", state.fill_space, state.fill,
                                       state.fill_overprint, None,
                                       (full[4], full[5], full[4] + size, full[5] + size)))
        elif op == b"Do":
            _do(reader, operands[0], resources, page, state, result, seen)
        elif op == b"INLINE IMAGE":
            settings = operands.get("settings", {}) if isinstance(operands, dict) else {}
            cs = settings.get("/CS") or settings.get("/ColorSpace")
            if cs is not None:
                result.colours.append(ColourUse(page, where, "인라인 이미지",
                                                _space(cs, resources)))
        elif op == b"sh":
            shading = _resolve((_resolve(resources.get("/Shading")) or {}).get(operands[0]))
            if shading is not None and "/ColorSpace" in shading:
                result.colours.append(ColourUse(page, where, "음영(shading)",
                                                _space(shading["/ColorSpace"], resources)))


def _paint(op, path, page, where, state, result):
    """Record the fill and the stroke a path-painting operator makes."""
    if op == b"n" or not path:
        return
    xs, ys = [p[0] for p in path], [p[1] for p in path]
    if op in _FILLS:
        result.paints.append(Paint(page, where, "fill", state.fill_space, state.fill,
                                   state.fill_overprint, None,
                                   (min(xs), min(ys), max(xs), max(ys))))
    if op in _STROKES:
        width = state.line_width * _area_scale(state.ctm)
        half = width / 2
        result.paints.append(Paint(page, where, "stroke", state.stroke_space, state.stroke,
                                   state.stroke_overprint, width,
                                   (min(xs) - half, min(ys) - half,
                                    max(xs) + half, max(ys) + half)))


def _initial(space: ColourSpace) -> tuple[float, ...]:
    """The colour ``cs`` sets: full tint for Separation and DeviceN, else zeros."""
    tint = 1.0 if space.family in ("/Separation", "/DeviceN") else 0.0
    return (tint,) * max(space.components, 1)


def _set_state(state, extgstate):
    """Apply the entries of an ExtGState the checks follow: line width and overprint
    (/OP sets both stroke and fill overprint unless /op is given)."""
    if "/LW" in extgstate:
        state.line_width = float(extgstate["/LW"])
    if "/OP" in extgstate:
        state.stroke_overprint = _true(extgstate["/OP"])
        if "/op" not in extgstate:
            state.fill_overprint = _true(extgstate["/OP"])
    if "/op" in extgstate:
        state.fill_overprint = _true(extgstate["/op"])


def _true(value) -> bool:
    """A PDF boolean (pypdf's BooleanObject is truthy even when false)."""
    return getattr(_resolve(value), "value", value) is True


def _do(reader, name, resources, page, state, result, seen):
    xobjects = _resolve(resources.get("/XObject")) or {}
    ref = xobjects.get(name)
    xobject = _resolve(ref)
    if xobject is None:
        return
    subtype = xobject.get("/Subtype")
    if subtype == "/Image":
        if "/ColorSpace" in xobject:
            space = _space(xobject["/ColorSpace"], resources)
            result.colours.append(ColourUse(page, f"이미지 {name}", "Image", space))
        return
    if subtype != "/Form":
        return
    key = getattr(ref, "idnum", id(xobject))
    if key in seen:  # a form drawing itself: stop
        return
    form_resources = _resolve(xobject.get("/Resources")) or resources
    group = _resolve(xobject.get("/Group"))
    if group and "/CS" in group:
        result.colours.append(ColourUse(page, f"Form {name}", "Group",
                                        _space(group["/CS"], form_resources)))
    form_state = replace(state)
    matrix = xobject.get("/Matrix")
    if matrix is not None:
        form_state.ctm = _multiply(tuple(float(v) for v in matrix), state.ctm)
    _run(reader, _operations(xobject, reader), form_resources, page, f"Form {name}",
         form_state, result, seen | {key})
