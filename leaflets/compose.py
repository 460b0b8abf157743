"""Stamp a 동's overlay onto the common pages: every pypdf call of the 동 editions.

A 동 edition differs from the common pages only inside the reserved slot and,
in print files, in the slug. The renderer lays out the common pages once per
build and each 동's overlay (its block and slug, on pages of the same size);
:func:`stamp` draws overlay page *i* over common page *i* as a Form XObject,
so a 동 edition costs a small layout instead of a whole one.

Screen files are tagged (PDF/UA-1): the overlay's structure elements are
grafted into the common file's structure tree, their marked content pointing
into the Form XObject, so a screen reader still reads the 동 block.
"""

from __future__ import annotations

import hashlib
import io
import re

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
)

FORM_NAME = "/LeafletsDong"
_XMP_ID = re.compile(rb"xmp\.did:[0-9a-fA-F-]{36}")


def stamp(common: bytes, overlay: bytes, pages: list[int], seed: str) -> bytes:
    """``common`` with ``overlay``'s page i drawn over its page i for i in ``pages``
    (0-based); file identifier and XMP document ID derived from ``seed``."""
    reader = parsed(common)
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header
    source = PdfReader(io.BytesIO(overlay))
    tree = _StructureGraft(writer, source)
    for index in pages:
        page, drawn = writer.pages[index], source.pages[index]
        form = DecodedStreamObject()
        form.set_data(drawn.get_contents().get_data())
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(drawn.mediabox),
            NameObject("/Resources"): drawn["/Resources"].clone(writer),
        })
        form = form.flate_encode()
        reference = writer._add_object(form)
        tree.graft(drawn, page, form, reference)
        resources = page["/Resources"]
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        name = f"{FORM_NAME}{index}"  # pages may share one resource dictionary
        resources["/XObject"][NameObject(name)] = reference
        _draw_after(writer, page, f"q {name} Do Q".encode())
    _identify(writer, seed)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_READERS: dict[bytes, PdfReader] = {}


def parsed(pdf: bytes) -> PdfReader:
    """One parsed reader per shared file (common pages, sheet furniture) and process:
    pypdf keeps the objects it has read, so every 동 after the first copies them
    instead of parsing them again. Callers only read from it (or clone it)."""
    key = hashlib.sha256(pdf).digest()
    if key not in _READERS:
        if len(_READERS) >= 8:
            _READERS.pop(next(iter(_READERS)))
        _READERS[key] = PdfReader(io.BytesIO(pdf))
    return _READERS[key]


def _draw_after(writer, page, command: bytes):
    """Isolate the page's own content in q/Q, then run ``command``."""
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(b"\nQ\n" + command + b"\n")
    contents = page.raw_get("/Contents")
    existing = contents.get_object()
    items = list(existing) if isinstance(existing, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *items, writer._add_object(after)])


def _identify(writer, seed: str):
    """The same identifiers ``leaflets.render`` gives a file rendered whole."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    identifier = ByteStringObject(digest[:32].encode())
    writer._ID = ArrayObject([identifier, identifier])
    metadata = writer._root_object.get("/Metadata")
    if metadata is not None:
        stream = metadata.get_object()
        uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        stream.set_data(_XMP_ID.sub(f"xmp.did:{uuid}".encode(), stream.get_data()))


class _StructureGraft:
    """Moves the overlay's structure elements under the common file's document element."""

    def __init__(self, writer, source):
        self.writer = writer
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
        self.copied = set()

    def graft(self, drawn, page, form, form_ref):
        """Copy the elements whose content is on overlay page ``drawn``."""
        if not self.active or "/StructParents" not in drawn:
            return
        key = self.next_key
        self.next_key += 1
        form[NameObject("/StructParents")] = NumberObject(key)
        by_mcid = ArrayObject()
        self.numbers.extend([NumberObject(key), self.writer._add_object(by_mcid)])
        if "/ParentTreeNextKey" in self.root:
            self.root[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        kids = self.document.get("/K")
        if not isinstance(kids, ArrayObject):
            kids = ArrayObject([] if kids is None else [kids])
            self.document[NameObject("/K")] = kids
        context = (page.indirect_reference, form_ref, by_mcid)
        for element in _kids(self.overlay_top):
            if isinstance(element, DictionaryObject) and _on_page(element, drawn):
                kids.append(self._copy(element, self.document.indirect_reference, context))

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
                    by_mcid.append(NumberObject(0))
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
