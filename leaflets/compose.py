"""Stamp a 동's overlay onto the common pages: every pypdf call of the 동 editions.

A 동 edition differs from the common pages only inside the reserved slot and,
in print files, in the slug. The renderer lays out the common pages once per
build and each 동's overlay (its block and slug, on pages of the same size);
a :class:`Stamper` draws overlay pages over the common ones as Form XObjects,
so a 동 edition costs a small layout instead of a whole one. The same
overlay, clipped to the trim, is drawn at every placement of an office sheet.

Screen files are tagged (PDF/UA-1): the overlay's structure elements are
grafted into the common file's structure tree, their marked content pointing
into the Form XObject, so a screen reader still reads the 동 block.

A Stamper copies its common file once; each :meth:`Stamper.write` records
every change it makes to that copy and undoes them after writing, so a
thousand 동 cost a thousand small writes, not a thousand copies.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    RectangleObject,
)

FORM_NAME = "/LeafletsDong"
_XMP_ID = re.compile(rb"xmp\.did:[0-9a-fA-F-]{36}")
_MISSING = object()


@dataclass(frozen=True)
class Draw:
    """Overlay page ``source`` (0-based) drawn on common page ``target``, through
    ``matrix`` (PDF cm operands; None: as it is), clipped to its ``clip`` box."""

    target: int
    source: int
    matrix: tuple[float, ...] | None = None
    clip: str = "/MediaBox"


def stamp(common: bytes, overlay: bytes, draws: list[Draw], seed: str) -> bytes:
    """``common`` with ``draws`` of ``overlay``'s pages; file identifier and XMP
    document ID derived from ``seed``."""
    return stamper(common).write(overlay, draws, seed)


class Stamper:
    """One common file, ready to be written out with any overlay drawn on it."""

    def __init__(self, common: bytes):
        reader = parsed(common)
        self.writer = PdfWriter(clone_from=reader)
        self.writer.pdf_header = reader.pdf_header

    def write(self, overlay: bytes, draws: list[Draw], seed: str) -> bytes:
        """The common file with ``draws`` of ``overlay``'s pages, as PDF bytes."""
        writer, edits = self.writer, _Edits()
        count = len(writer._objects)
        source = PdfReader(io.BytesIO(overlay))
        try:
            tree = _StructureGraft(writer, source, edits)
            forms, commands = {}, {}
            for draw in draws:
                if draw.source not in forms:
                    forms[draw.source] = _form(writer, source.pages[draw.source], draw.clip)
                reference = forms[draw.source]
                page = writer.pages[draw.target]
                if draw.matrix is None and draw.clip == "/MediaBox":
                    tree.graft(source.pages[draw.source], page, reference)
                resources = page["/Resources"]
                if "/XObject" not in resources:
                    edits.set(resources, "/XObject", DictionaryObject())
                name = f"{FORM_NAME}{draw.source}"  # pages may share one resource dictionary
                edits.set(resources["/XObject"], name, reference)
                matrix = "" if draw.matrix is None else \
                    " ".join(f"{v:.5f}" for v in draw.matrix) + " cm "
                commands.setdefault(draw.target, []).append(f"q {matrix}{name} Do Q")
            for target, lines in commands.items():
                _draw_after(writer, writer.pages[target], "\n".join(lines).encode(), edits)
            _identify(writer, seed, edits)
            buffer = io.BytesIO()
            writer.write(buffer)
            return buffer.getvalue()
        finally:
            edits.undo()
            del writer._objects[count:]
            writer._id_translated.pop(id(source), None)


def _form(writer, page, clip) -> IndirectObject:
    """``page`` of an overlay copied into ``writer`` as a Form XObject clipped to ``clip``."""
    box = page.get(clip) or page.mediabox
    form = DecodedStreamObject()
    form.set_data(page.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(float(v)) for v in box),
        NameObject("/Resources"): retag_fonts(page["/Resources"].clone(writer)),
    })
    return writer._add_object(form.flate_encode())


_TAG = re.compile(r"^/[A-Z]{6}\+")


def retag_fonts(resources):
    """Give each font subset in ``resources`` (a copy, about to join another file) a tag
    made from its own glyph data. WeasyPrint names a font's subsets alike in every
    file, and two different subsets under one name in one file are an error (ISO
    32000-1, 9.6.4) that a RIP may resolve by using the wrong one."""
    fonts = resources.get("/Font")
    for font in (fonts.get_object().values() if fonts is not None else ()):
        font = font.get_object()
        named = [font]
        for descendant in font.get("/DescendantFonts", []):
            descendant = descendant.get_object()
            named.append(descendant)
            if "/FontDescriptor" in descendant:
                named.append(descendant["/FontDescriptor"].get_object())
        if "/FontDescriptor" in font:
            named.append(font["/FontDescriptor"].get_object())
        data = b"".join(d[key].get_object().get_data() for d in named
                        for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in d)
        digest = hashlib.sha256(data).digest()
        tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
        for obj in named:
            for key in ("/BaseFont", "/FontName"):
                if key in obj and _TAG.match(str(obj[key])):
                    obj[NameObject(key)] = NameObject(_TAG.sub(f"/{tag}+", str(obj[key])))
    return resources


class _Edits:
    """Changes made to a Stamper's copy, undone in reverse order."""

    def __init__(self):
        self.log = []

    def set(self, container: dict, key: str, value):
        if isinstance(container, DictionaryObject):
            key = NameObject(key)
        self.log.append((container, key, container.get(key, _MISSING)))
        container[key] = value

    def extend(self, array, items):
        self.log.append((array, None, len(array)))
        array.extend(items)

    def undo(self):
        for container, key, old in reversed(self.log):
            if key is None:
                del container[old:]
            elif old is _MISSING:
                del container[key]
            else:
                container[key] = old
        self.log.clear()


def _draw_after(writer, page, command: bytes, edits: _Edits):
    """Isolate the page's own content in q/Q, then run ``command``."""
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ\n" + command + b"\n")
    contents = page.raw_get("/Contents")
    existing = contents.get_object()
    items = list(existing) if isinstance(existing, ArrayObject) else [contents]
    edits.set(page, "/Contents", ArrayObject(
        [writer._add_object(before), *items, writer._add_object(after)]))


def _identify(writer, seed: str, edits: _Edits):
    """The same identifiers ``leaflets.render`` gives a file rendered whole."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    identifier = ByteStringObject(digest[:32].encode())
    edits.set(writer.__dict__, "_ID", ArrayObject([identifier, identifier]))
    metadata = writer._root_object.get("/Metadata")
    if metadata is not None:
        stream = metadata.get_object()
        uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        edits.log.append((_StreamData(stream), "data", stream.get_data()))  # set_data later
        stream.set_data(_XMP_ID.sub(f"xmp.did:{uuid}".encode(), stream.get_data()))


class _StreamData:
    """Lets :class:`_Edits` put a stream's data back."""

    def __init__(self, stream):
        self.stream = stream

    def __setitem__(self, _, data):
        self.stream.set_data(data)


def crop(pdf: bytes, index: int, box: tuple[float, float, float, float]) -> bytes:
    """Page ``index`` of ``pdf`` alone, its media cut to ``box`` (points: left, bottom,
    right, top): what a raster of that area needs, and nothing else."""
    writer = PdfWriter()
    page = writer.add_page(PdfReader(io.BytesIO(pdf)).pages[index])
    for key in ("/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
        if key in page:
            del page[key]
    page.mediabox = RectangleObject(box)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def slot_box(page, slot_px: tuple[float, float, float, float]) -> tuple[float, ...]:
    """The 동 slot (CSS px from the trim's top-left corner: x, y, width, height) in the
    points of ``page`` (left, bottom, right, top)."""
    trim = [float(v) for v in page.get("/TrimBox", page.mediabox)]
    left, top = min(trim[0], trim[2]), max(trim[1], trim[3])
    x, y, width, height = (v * 0.75 for v in slot_px)  # 96 px = 72 pt
    return (left + x, top - y - height, left + x + width, top - y)


_READERS: dict[bytes, PdfReader] = {}
_STAMPERS: dict[bytes, Stamper] = {}


def parsed(pdf: bytes) -> PdfReader:
    """One parsed reader per shared file (common pages, sheet furniture) and process:
    pypdf keeps the objects it has read, so every 동 after the first copies them
    instead of parsing them again. Callers only read from it (or clone it)."""
    return _cached(_READERS, pdf, lambda: PdfReader(io.BytesIO(pdf)))


def stamper(common: bytes) -> Stamper:
    """One Stamper per common file and process."""
    return _cached(_STAMPERS, common, lambda: Stamper(common))


def _cached(cache: dict, pdf: bytes, make):
    key = hashlib.sha256(pdf).digest()
    if key not in cache:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


class _StructureGraft:
    """Moves the overlay's structure elements under the common file's document element."""

    def __init__(self, writer, source, edits: _Edits):
        self.writer, self.edits = writer, edits
        self.root = writer._root_object.get("/StructTreeRoot")
        overlay_root = source.trailer["/Root"].get("/StructTreeRoot")
        self.active = self.root is not None and overlay_root is not None
        if not self.active:
            return
        self.root = self.root.get_object()
        self.overlay_top = _document_element(overlay_root.get_object())
        self.document = _document_element(self.root)
        numbers = self.root["/ParentTree"].get_object()["/Nums"]
        self.numbers = numbers
        self.next_key = max((int(numbers[i]) for i in range(0, len(numbers), 2)), default=-1) + 1

    def graft(self, drawn, page, form_ref):
        """Copy the elements whose content is on overlay page ``drawn``."""
        if not self.active or "/StructParents" not in drawn:
            return
        key = self.next_key
        self.next_key += 1
        form_ref.get_object()[NameObject("/StructParents")] = NumberObject(key)
        by_mcid = ArrayObject()
        self.edits.extend(self.numbers, [NumberObject(key), self.writer._add_object(by_mcid)])
        if "/ParentTreeNextKey" in self.root:
            self.edits.set(self.root, "/ParentTreeNextKey", NumberObject(self.next_key))
        context = (page.indirect_reference, form_ref, by_mcid)
        block, slot = self._block(drawn), self._slot(page)
        if block is not None and slot is not None:
            # The block's elements go where the empty slot is, in reading order.
            self.edits.set(slot, "/K", ArrayObject(
                self._copy(element, slot.indirect_reference, context) for element in block))
            return
        kids = self.document.get("/K")
        kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
        if not isinstance(kids, ArrayObject):
            kids = ArrayObject([] if kids is None else [kids])
            self.edits.set(self.document, "/K", kids)
        copies = [self._copy(element, self.document.indirect_reference, context)
                  for element in _kids(self.overlay_top)
                  if isinstance(element, DictionaryObject) and _on_page(element, drawn)]
        self.edits.extend(kids, copies)

    def _block(self, drawn):
        """The overlay's block elements: inside its slot element, the one structure
        element of the page's sheet (templates/overlay.html.j2); None if not so."""
        sheets = [e for e in _kids(self.overlay_top)
                  if isinstance(e, DictionaryObject) and _on_page(e, drawn)]
        if len(sheets) != 1:
            return None
        slots = [e for e in _kids(sheets[0]) if isinstance(e, DictionaryObject)]
        if len(slots) != 1:
            return None
        return [e for e in _kids(slots[0]) if isinstance(e, DictionaryObject)] or None

    def _slot(self, page):
        """The common page's empty slot: its only /Div without content; None if not so."""
        empty = []

        def walk(element):
            kids = list(_kids(element))
            if element.get("/S") == "/Div" and not kids:
                empty.append(element)
            for kid in kids:
                if isinstance(kid, DictionaryObject):
                    walk(kid)

        for top in _kids(self.document):
            if isinstance(top, DictionaryObject) and _on_page(top, page):
                walk(top)
        return empty[0] if len(empty) == 1 else None

    def _copy(self, element, parent, context):
        page, form, by_mcid = context
        copy = DictionaryObject()
        reference = self.writer._add_object(copy)
        for name, value in element.items():
            if name not in ("/P", "/Pg", "/K"):
                copy[NameObject(name)] = value.clone(self.writer)
        copy[NameObject("/P")] = parent
        copy[NameObject("/Pg")] = page
        kids = ArrayObject()
        for kid in _kids(element):
            if isinstance(kid, int):
                while len(by_mcid) <= kid:
                    by_mcid.append(NullObject())
                by_mcid[kid] = reference
                kids.append(DictionaryObject({
                    NameObject("/Type"): NameObject("/MCR"),
                    NameObject("/Pg"): page,
                    NameObject("/Stm"): form,
                    NameObject("/MCID"): NumberObject(kid),
                }))
            elif isinstance(kid, DictionaryObject) and "/S" in kid:
                kids.append(self._copy(kid, reference, context))
        copy[NameObject("/K")] = kids
        return reference


def _document_element(root):
    """The element directly under a structure tree root (WeasyPrint: /Document)."""
    kids = list(_kids(root))
    return kids[0] if len(kids) == 1 and isinstance(kids[0], DictionaryObject) else root


def _kids(element):
    kids = element.get("/K")
    if kids is None:
        return
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid, NumberObject) or (isinstance(kid, int) and not isinstance(kid, bool)):
            yield int(kid)
        else:
            yield kid


def _on_page(element, page) -> bool:
    target = page.indirect_reference
    pg = element.get("/Pg")
    if pg is not None and pg.idnum == target.idnum:
        return True
    return any(isinstance(kid, DictionaryObject) and _on_page(kid, page)
               for kid in _kids(element))
