"""The screen PDFs (for the 구 homepage) against the Matterhorn Protocol failure
conditions a machine can check: tagged, language and title declared and shown,
alternate text on every figure, headings nested, table headers, and no page
content outside the structure. Checked on the 구 edition and on a stamped 동
edition, whose block is grafted into the common file's structure tree."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image
from pypdf.generic import ContentStream, DecodedStreamObject, NameObject

from leaflets.dongs import load_dongs
from leaflets.editions import dong_edition, make_common
from leaflets.production import load_production
from leaflets.project import DEFAULT_PRODUCTION

PRODUCT_NAMES = ("poster-a4", "pocket")
DOCUMENTS = [f"{edition}/{name}" for edition in ("구", "옥수동") for name in PRODUCT_NAMES]
DONG = ('[[dongs]]\nname = "옥수동"\ndesk = "1층 3번 창구"\nhours = "평일 09:00~18:00"\n'
        'phone = "02-000-0000"\nmessage = "온라인으로 편하게 발급받으세요"\nimage = "logo.png"\n')

# Operators that put marks on the page (ISO 32000-1, tables 51, 59, 77, 92, 107).
PAINTING = {b"Tj", b"TJ", b"'", b'"', b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b",
            b"b*", b"sh", b"INLINE IMAGE"}


@pytest.fixture(scope="module")
def dong(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accessible-dong")
    picture = Image.new("RGB", (400, 400), (255, 255, 255))
    picture.paste((40, 90, 160), (60, 60, 340, 340))
    picture.save(folder / "logo.png")
    (folder / "dongs.toml").write_text(DONG, encoding="utf-8")
    return load_dongs(folder / "dongs.toml").get("옥수동")


@pytest.fixture(scope="module")
def screen_pdfs(renderer, default_content, default_pdfs, dong):
    """The screen PDFs of the 구 edition and of 옥수동's edition (stamped, as built)."""
    production = load_production(DEFAULT_PRODUCTION)
    common = make_common(default_content, production, renderer)
    built = {path: data for path, (_, data) in
             dong_edition(default_content, production, dong, renderer, common)}
    pdfs = {f"구/{name}": default_pdfs[name] for name in PRODUCT_NAMES}
    pdfs.update({f"옥수동/{name}": built[f"dongs/옥수동/{name}.pdf"] for name in PRODUCT_NAMES})
    return pdfs


def reader_of(pdf: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf))


def elements(reader: pypdf.PdfReader):
    """Every structure element, depth first: the logical reading order."""

    def walk(node):
        yield node
        for kid in children(node):
            yield from walk(kid)

    for top in children(reader.trailer["/Root"]["/StructTreeRoot"]):
        yield from walk(top)


def children(element) -> list:
    """The structure elements among ``element``'s kids (not its marked content)."""
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object()
    return [kid.get_object() for kid in (kids if isinstance(kids, list) else [kids])
            if hasattr(kid.get_object(), "get") and "/S" in kid.get_object()]


def unmarked_painting(reader: pypdf.PdfReader) -> list[tuple]:
    """Painting operators outside any marked-content sequence that has an MCID or is
    an /Artifact, on every page and in every Form XObject it draws; plus MCIDs the
    parent tree does not resolve to a structure element. Empty when all is tagged."""
    problems = []
    numbers = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    parents = dict(zip(numbers[::2], numbers[1::2], strict=True))

    def owners(holder):
        key = holder.get("/StructParents")
        return None if key is None else parents.get(key).get_object()

    def scan(stream, resources, stack, where, holder):
        for operands, op in ContentStream(stream, reader).operations:
            if op in (b"BDC", b"BMC"):
                properties = operands[1] if op == b"BDC" else None
                if isinstance(properties, NameObject):
                    properties = resources["/Properties"][properties].get_object()
                mcid = properties.get("/MCID") if properties is not None else None
                if mcid is not None:
                    table = owners(holder)
                    if table is None or mcid >= len(table) or \
                            "/S" not in table[mcid].get_object():
                        problems.append((where, "MCID without structure element", mcid))
                stack.append((operands[0], mcid))
            elif op == b"EMC":
                stack.pop()
            elif op == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject["/Subtype"] == "/Form":
                    scan(xobject, xobject.get("/Resources", resources), list(stack),
                         f"{where} {operands[0]}", xobject)
                elif not _tagged(stack):
                    problems.append((where, "image", str(operands[0])))
            elif op in PAINTING and not _tagged(stack):
                problems.append((where, op.decode(), [str(tag) for tag, _ in stack]))

    for number, page in enumerate(reader.pages, start=1):
        scan(page.get_contents(), page["/Resources"], [], f"page {number}", page)
    return problems


def _tagged(stack) -> bool:
    return any(tag == "/Artifact" or mcid is not None for tag, mcid in stack)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_tagged_pdf(screen_pdfs, document):
    """Matterhorn 01-002, 01-003: a structure tree, and the file says it is marked."""
    root = reader_of(screen_pdfs[document]).trailer["/Root"]
    assert "/StructTreeRoot" in root, document
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"].value is True
    assert "pdfuaid:part" in reader_of(screen_pdfs[document]).xmp_metadata.rdf_root.toxml()


@pytest.mark.parametrize("document", DOCUMENTS)
def test_language_and_title_are_declared_and_shown(screen_pdfs, document):
    """Matterhorn 11-001 (natural language), 06-003 (dc:title), 07-001 (title shown)."""
    reader = reader_of(screen_pdfs[document])
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "ko", document
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] is True or \
        root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    title = reader.metadata.title
    assert title and title.startswith("민원24"), (document, title)
    assert reader.xmp_metadata.dc_title == {"x-default": title}, document


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_figure_has_alternate_text(screen_pdfs, default_content, dong, document):
    """Matterhorn 13-004: the QR says where it leads; a 동's picture gives its title."""
    reader = reader_of(screen_pdfs[document])
    figures = [element for element in elements(reader) if element["/S"] == "/Figure"]
    alts = [str(figure.get("/Alt", "")).strip() for figure in figures]
    assert all(alts), (document, alts)
    service = default_content.service
    expected = [f"{service.name} 바로가기 QR코드: {service.url}"]
    if document.startswith("옥수동"):
        expected.append(dong.title)
    assert sorted(alts) == sorted(expected), document


@pytest.mark.parametrize("document", DOCUMENTS)
def test_headings_nest_without_skipping_a_level(screen_pdfs, document):
    """Matterhorn 14-002, 14-003: numbered headings, first H1, never a level skipped."""
    reader = reader_of(screen_pdfs[document])
    kinds = [str(element["/S"]) for element in elements(reader)]
    assert "/H" not in kinds, document  # numbered headings only
    levels = [int(kind[2:]) for kind in kinds if kind[:2] == "/H" and kind[2:].isdigit()]
    assert levels[0] == 1 and 2 in levels, (document, levels)  # the fee table's heading
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, (document, levels)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_tables_have_rows_with_header_cells(screen_pdfs, document):
    """Matterhorn 15-003 and the table structure of ISO 32000-1, 14.8.4.3.4: the fee
    table is rows of cells, and its first row (the column heads) is header cells."""
    reader = reader_of(screen_pdfs[document])
    tables = [element for element in elements(reader) if element["/S"] == "/Table"]
    assert len(tables) == 1, document
    for table in tables:
        rows = []
        for child in children(table):
            if child["/S"] in ("/THead", "/TBody", "/TFoot"):
                rows.extend(children(child))
            else:
                rows.append(child)
        assert len(rows) > 1 and all(row["/S"] == "/TR" for row in rows), document
        for row in rows:
            assert children(row) and all(cell["/S"] in ("/TH", "/TD")
                                         for cell in children(row)), document
        assert all(cell["/S"] == "/TH" for cell in children(rows[0])), document
        # Each body row is headed by its document's name.
        assert all(children(row)[0]["/S"] == "/TH" for row in rows[1:]), document


@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_content_outside_the_structure(screen_pdfs, document):
    """Matterhorn 01-005: every text, path and image painted is marked content tied to
    a structure element, or an artifact, including the stamped 동 block."""
    reader = reader_of(screen_pdfs[document])
    assert unmarked_painting(reader) == [], document


def test_the_content_check_finds_untagged_text(screen_pdfs):
    """The check above is not blind: a line of text added outside marked content is
    reported."""
    writer = pypdf.PdfWriter(clone_from=reader_of(screen_pdfs["구/poster-a4"]))
    page = writer.pages[0]
    stream = DecodedStreamObject()
    stream.set_data(page.get_contents().get_data() + b"\nBT 10 10 Td (x) Tj ET\n")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    problems = unmarked_painting(reader_of(buffer.getvalue()))
    assert [(where, op) for where, op, _ in problems] == [("page 1", "Tj")]
