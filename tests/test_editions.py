"""동 editions made by stamping a 동's overlay over the common pages: the same pages a
whole render gives, tagged for screen readers, and independent of the other 동 built."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from PIL import Image, ImageChops
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NullObject,
)

from leaflets.build import PreflightFailed, build
from leaflets.compose import crop, slot_box
from leaflets.dongs import Dong, load_dongs
from leaflets.editions import dong_edition, make_common
from leaflets.errors import ContentOverflowError, DataError
from leaflets.impose.pdf import impose
from leaflets.impose.plan import plan_office
from leaflets.preflight import MAX_TAC, Parts, cmyk_rasters, ink_bound, page_tac, preflight
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DATA, DEFAULT_PRODUCTION
from leaflets.render import rasterize
from tests.conftest import read_pages

FULL = ('[[dongs]]\nname = "옥수동"\ndesk = "1층 3번 창구"\nhours = "평일 09:00~18:00"\n'
        'phone = "02-000-0000"\nmessage = "온라인으로 편하게 발급받으세요"\nimage = "logo.png"\n')


@pytest.fixture(scope="module")
def edition(tmp_path_factory, renderer, default_content):
    """옥수동 with every field and a picture: its files, and the 동 itself."""
    folder = tmp_path_factory.mktemp("edition")
    picture = Image.new("RGB", (400, 400), (255, 255, 255))
    picture.paste((200, 40, 40), (60, 60, 340, 340))
    picture.save(folder / "logo.png")
    (folder / "dongs.toml").write_text(FULL, encoding="utf-8")
    dong = load_dongs(folder / "dongs.toml").get("옥수동")
    production = load_production(DEFAULT_PRODUCTION)
    common = make_common(default_content, production, renderer)
    files = {path.removeprefix("dongs/옥수동/"): data
             for path, (_, data) in dong_edition(default_content, production, dong, renderer,
                                                 common)}
    return files, dong, common


@pytest.mark.parametrize("name", list(PRODUCTS))
@pytest.mark.parametrize("mode", ["screen", "print"])
def test_stamped_pages_look_like_the_whole_render(edition, renderer, default_content, name,
                                                  mode):
    files, dong, _ = edition
    stamped = files[f"{name}.pdf" if mode == "screen" else f"print/{name}.pdf"]
    whole = renderer.render(default_content, name, mode, dong).pdf
    for number, (a, b) in enumerate(zip(rasterize(stamped, 150), rasterize(whole, 150),
                                        strict=True), start=1):
        assert a.size == b.size
        difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
        # Text may land a fraction of a pixel apart (the block is laid out on its own
        # page): anti-aliased edges only, never a missing or moved glyph.
        strongest = max(high for _, high in difference.getextrema())
        changed = difference.convert("L").point(lambda v: 255 if v > 24 else 0).histogram()[255]
        assert strongest <= 64 and changed <= 40, (name, mode, number, strongest, changed)


def test_stamped_print_files_pass_preflight_and_name_the_dong_in_the_slug(edition,
                                                                           default_content):
    files, _, _ = edition
    for name in PRODUCTS:
        pdf = files[f"print/{name}.pdf"]
        report = preflight(pdf, name, url=default_content.service.url)
        assert report.passed, report
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            assert "· 옥수동 · 재단" in page.extract_text()


def test_the_dong_block_is_tagged_for_screen_readers(edition):
    """Every marked-content sequence of the stamped block belongs to a structure element
    of the document, through the Form XObject's entry in the parent tree."""
    files, _, _ = edition
    for name, product in PRODUCTS.items():
        reader = pypdf.PdfReader(io.BytesIO(files[f"{name}.pdf"]))
        page = reader.pages[product.dong_page - 1]
        (form,) = [x.get_object() for key, x in page["/Resources"]["/XObject"].items()
                   if key.startswith("/LeafletsDong")]
        mcids = {int(m) for m in re.findall(rb"/MCID (\d+)", form.get_data())}
        assert mcids, name
        tree = reader.trailer["/Root"]["/StructTreeRoot"]
        numbers = tree["/ParentTree"]["/Nums"]
        entries = dict(zip(numbers[::2], numbers[1::2], strict=True))
        owners = entries[form["/StructParents"]].get_object()
        for mcid in mcids:
            element = owners[mcid].get_object()
            assert any(kid.get("/Stm").idnum == form.indirect_reference.idnum
                       and kid["/MCID"] == mcid for kid in element["/K"]), (name, mcid)
            chain = [element]
            while "/P" in chain[-1] and chain[-1].get("/S") != "/Document":
                chain.append(chain[-1]["/P"].get_object())
            assert chain[-1].get("/S") == "/Document", name
        # Read where it is printed: inside the slot, before the page's last element
        # (the poster's QR footer, the leaflet's publisher line), not at the end.
        slot, sheet = chain[-3], chain[-2]
        siblings = [kid.get_object() for kid in sheet["/K"]]
        assert slot in siblings[:-1], name


def test_a_dong_built_alone_is_byte_identical_to_the_same_dong_built_with_all(
        tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    build(DEFAULT_DATA, tmp_path / "all", all_dongs=True, jobs=2)
    build(DEFAULT_DATA, tmp_path / "one", dong_names=("옥수동",), jobs=1)
    alone = sorted((tmp_path / "one" / "dongs" / "옥수동").rglob("*"))
    assert [p.name for p in alone if p.is_file()]
    for path in alone:
        if path.is_file():
            twin = tmp_path / "all" / path.relative_to(tmp_path / "one")
            assert twin.read_bytes() == path.read_bytes(), path.name


def test_office_sheets_carry_the_block_on_every_copy_and_only_there(edition):
    """The office sheet is the common sheet with the 동's block drawn at each copy's
    slot (a 4-up pocket back shows it four times; its front, which has no slot, never)."""
    files, _, _ = edition
    expected = {"poster-a4": [1], "pocket": [0, 4]}
    for name, per_side in expected.items():
        sides = read_pages(files[f"office/{name}-A4.pdf"])
        counts = [side.text.count("옥수동 주민센터") for side in sides]
        assert counts == per_side, (name, counts)


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_office_sheets_look_like_sheets_imposed_from_the_whole_render(edition, renderer,
                                                                      default_content, name):
    files, dong, _ = edition
    production = load_production(DEFAULT_PRODUCTION)
    (run,) = [run for run in production.runs if run.product == name]
    plan = plan_office(run, production.office_sheet, default_content.trim_mm(name))
    furniture = renderer.render_sheet(plan, PRODUCTS[name].title, default_content.sha256)
    whole = impose(plan, renderer.render(default_content, name, "print", dong).pdf, furniture)
    for a, b in zip(rasterize(files[f"office/{name}-A4.pdf"], 100), rasterize(whole, 100),
                    strict=True):
        difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
        changed = difference.convert("L").point(lambda v: 255 if v > 24 else 0).histogram()[255]
        assert changed <= 60, (name, changed)


def test_each_dong_file_has_its_own_identifier(tmp_path):
    build(DEFAULT_DATA, tmp_path / "out", dong_names=("옥수동", "송정동"), jobs=1)
    for path in ("print/pocket.pdf", "pocket.pdf", "office/pocket-A4.pdf"):
        ids = {pypdf.PdfReader(tmp_path / "out" / "dongs" / dong / path).trailer["/ID"][0]
               for dong in ("옥수동", "송정동")}
        assert len(ids) == 2, path


def _subsets(resources, found):
    """{BaseFont name: {font file data}} of ``resources`` and the forms it draws."""
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        (descendant,) = font["/DescendantFonts"]
        data = descendant.get_object()["/FontDescriptor"]["/FontFile2"].get_data()
        found.setdefault(str(font["/BaseFont"]), set()).add(data)
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            _subsets(xobject["/Resources"], found)
    return found


def test_each_font_subset_in_a_stamped_file_has_its_own_name(edition):
    """Common pages and overlay embed different subsets of the same font: one name for
    two subsets would let a RIP draw the block's text with the wrong glyphs."""
    files, _, _ = edition
    for path in ("print/pocket.pdf", "pocket.pdf", "office/pocket-A4.pdf"):
        subsets = {}
        for page in pypdf.PdfReader(io.BytesIO(files[path])).pages:
            _subsets(page["/Resources"], subsets)
        assert len(subsets) >= 3, (path, sorted(subsets))
        assert all(len(data) == 1 for data in subsets.values()), (path, sorted(subsets))


def test_an_input_error_in_a_worker_arrives_with_its_type_and_fields(tmp_path):
    Image.new("RGB", (120, 120), (30, 90, 200)).save(tmp_path / "logo.png")
    (tmp_path / "dongs.toml").write_text('[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n',
                                         encoding="utf-8")
    with pytest.raises(DataError) as caught:  # one 동 over two workers, by product
        build(DEFAULT_DATA, tmp_path / "out", dongs_path=tmp_path / "dongs.toml",
              dong_names=("옥수동",), jobs=2)
    assert caught.value.field == "옥수동.image" and "ppi" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_ink_checked_by_parts_matches_a_raster_of_the_whole_file(edition, renderer,
                                                                 default_content, name):
    files, dong, common = edition
    stamped = files[f"print/{name}.pdf"]
    index = PRODUCTS[name].dong_page - 1
    base = common.print[name]
    overlay = renderer.render_product(default_content, PRODUCTS[name], "print", dong,
                                      edition="overlay", slot=base.slot_px).pdf
    box = slot_box(pypdf.PdfReader(io.BytesIO(base.pdf)).pages[index], base.slot_px)
    block_page = len(PRODUCTS[name].pages)  # after the slug pages
    ((block,),) = cmyk_rasters([crop(overlay, block_page, box)])
    report = preflight(stamped, name, url=default_content.service.url,
                       parts=Parts(*common.checked[name], ((index + 1, block, box, None),)))
    (summary,) = [f for f in report.findings if f.check == "tac" and f.ok]
    by_parts = float(re.search(r"최대 (\d+)%", summary.detail).group(1))
    whole = page_tac(stamped, cmyk_rasters([stamped])[0])[index]
    assert abs(by_parts - whole) <= 1, (summary.detail, whole)
    assert "동 안내 0%" not in summary.detail  # the raster of the slot holds the block


@pytest.mark.parametrize("jobs", [1, 2])  # 2: one 동 split by product over two workers
def test_too_much_ink_in_a_dong_picture_is_found_where_a_whole_raster_finds_it(
        tmp_path, renderer, default_content, jobs):
    Image.new("CMYK", (400, 400), (255, 255, 255, 255)).save(tmp_path / "logo.jpg",
                                                             quality=95)
    (tmp_path / "dongs.toml").write_text('[[dongs]]\nname = "옥수동"\nimage = "logo.jpg"\n',
                                         encoding="utf-8")
    with pytest.raises(PreflightFailed) as caught:
        build(DEFAULT_DATA, tmp_path / "out", dongs_path=tmp_path / "dongs.toml",
              dong_names=("옥수동",), jobs=jobs)
    assert not (tmp_path / "out").exists()
    assert sorted(r.name for r in caught.value.reports) == [
        "옥수동/print/pocket.pdf", "옥수동/print/poster-a4.pdf"]  # both, however split
    dong = load_dongs(tmp_path / "dongs.toml").get("옥수동")
    where = re.compile(r"x (-?[\d.]+) mm, y (-?[\d.]+) mm")
    for report in caught.value.reports:
        name = report.name.removeprefix("옥수동/print/").removesuffix(".pdf")
        (found,) = report.failures("tac")
        whole = renderer.render(default_content, name, "print", dong)
        (expected,) = preflight(whole.pdf, name, url=default_content.service.url).failures("tac")
        assert found.where == expected.where, (found, expected)
        got, want = (tuple(map(float, where.search(f.detail).groups())) for f in (found, expected))
        assert abs(got[0] - want[0]) <= 1 and abs(got[1] - want[1]) <= 1, (found, expected)


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_a_block_without_pictures_is_bounded_by_its_colours(edition, renderer,
                                                           default_content, name):
    """Without a picture the block's ink is bounded by the colours it sets: never less
    than a raster of its slot measures, and (K100 text overprinting the block's tint)
    within the press's limit, so no raster is needed."""
    _, _, common = edition
    base, block_page = common.print[name], len(PRODUCTS[name].pages)
    box = slot_box(pypdf.PdfReader(io.BytesIO(base.pdf)).pages[PRODUCTS[name].dong_page - 1],
                   base.slot_px)
    plain = Dong(name="옥수동", desk="1층 3번 창구", message="온라인으로 편하게 발급받으세요")
    overlay = renderer.render_product(default_content, PRODUCTS[name], "print", plain,
                                      edition="overlay", slot=base.slot_px).pdf
    ((raster,),) = cmyk_rasters([crop(overlay, block_page, box)])
    measured = page_tac(crop(overlay, block_page, box), [raster])[0]
    bound = ink_bound(overlay, block_page)
    assert measured > 100 and measured - 0.5 <= bound <= MAX_TAC, (bound, measured)
    pictured = edition[1]  # the fixture's 옥수동 has a picture: it must be measured
    assert ink_bound(renderer.render_product(
        default_content, PRODUCTS[name], "print", pictured, edition="overlay",
        slot=base.slot_px).pdf, block_page) is None


def _page_pdf(content: bytes, resources: dict | None = None) -> bytes:
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(100, 100)
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    if resources:
        page[NameObject("/Resources")] = DictionaryObject(resources)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_the_colour_bound_sees_rich_black_and_adds_up_plates_under_overprint():
    assert ink_bound(_page_pdf(b"0.2 0.1 0 1 k 0 0 10 10 re f"), 0) == pytest.approx(130)
    assert ink_bound(_page_pdf(b"1 1 1 1 k 0 0 10 10 re f"), 0) == pytest.approx(400)
    assert ink_bound(_page_pdf(b"0 0 1 rg 0 0 10 10 re f"), 0) is None  # RGB: unknown ink
    overprint = {NameObject("/ExtGState"): DictionaryObject({NameObject("/G0"): DictionaryObject(
        {NameObject("/OP"): BooleanObject(True), NameObject("/op"): BooleanObject(True)})})}
    # K100 overprinting a 60/40/30 tint keeps the tint's plates under it: 230 %, not 130 %
    # (the richest colour) nor 100 % (the black); a raster of such a page measures 230 %.
    tint_then_black = b"0.6 0.4 0.3 0 k 0 0 10 10 re f /G0 gs 0 0 0 1 k 2 2 5 5 re f"
    assert ink_bound(_page_pdf(tint_then_black, overprint), 0) == pytest.approx(230)
    assert ink_bound(_page_pdf(tint_then_black), 0) == pytest.approx(130)  # knocks out
    off = {NameObject("/ExtGState"): DictionaryObject({NameObject("/G0"): DictionaryObject(
        {NameObject("/OP"): BooleanObject(False), NameObject("/op"): BooleanObject(False)})})}
    assert ink_bound(_page_pdf(tint_then_black, off), 0) == pytest.approx(130)
    # A named colour space starts at an unknown amount of ink (a Separation /All at 400 %).
    spot = {NameObject("/ColorSpace"): DictionaryObject({NameObject("/CS0"): ArrayObject([
        NameObject("/Separation"), NameObject("/All"), NameObject("/DeviceCMYK"),
        NullObject()])})}
    assert ink_bound(_page_pdf(b"/CS0 cs 0 0 10 10 re f", spot), 0) is None
    transfer = {NameObject("/ExtGState"): DictionaryObject({NameObject("/G0"): DictionaryObject(
        {NameObject("/TR"): NameObject("/Identity")})})}
    assert ink_bound(_page_pdf(b"/G0 gs 0 0 0 1 k 0 0 10 10 re f", transfer), 0) is None
    picture = {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): DictionaryObject(
        {NameObject("/Subtype"): NameObject("/Image")})})}
    assert ink_bound(_page_pdf(b"q 10 0 0 10 0 0 cm /Im0 Do Q", picture), 0) is None


def test_a_block_whose_background_leaves_the_slot_is_refused(renderer, default_content):
    """Its text fits, but padding and background would reach 1.3 mm past the slot:
    a stamped block must stay inside the slot, so this is an overflow, named."""
    crowded = Dong(name="성수2가제3동", desk="창" * 20, hours="평일 09:00~18:00",
                   contact="주무관 김민원", address="서울 성동구 독서당로 000",
                   phone="02-000-0000", message="말" * 20)
    with pytest.raises(ContentOverflowError, match="성수2가제3동의 동 안내 .*정해진 자리"):
        renderer.render(default_content, "pocket", "print", crowded)
    renderer.render(default_content, "poster-a4", "print", crowded)  # the poster has room


def test_files_are_checked_whole_when_the_common_slot_is_not_blank(edition, renderer,
                                                                  default_content,
                                                                  monkeypatch):
    """Checking by parts holds only over blank paper: if the common page printed
    anything where the block goes, the 동's print files are checked whole."""
    import dataclasses

    import leaflets.preflight

    _, dong, common = edition
    assert common.blank_slot == {"poster-a4": True, "pocket": True}
    calls = []
    real = leaflets.preflight.preflight

    def spy(pdf, name="", **options):
        calls.append((name, options.get("parts") is None))
        return real(pdf, name, **options)

    monkeypatch.setattr(leaflets.preflight, "preflight", spy)
    production = load_production(DEFAULT_PRODUCTION)
    dong_edition(default_content, production, dong, renderer, common)
    assert [whole for _, whole in calls] == [False, False]
    calls.clear()
    inked = dataclasses.replace(common, blank_slot={"poster-a4": False, "pocket": True})
    dong_edition(default_content, production, dong, renderer, inked)
    assert sorted(calls) == [("옥수동/print/pocket.pdf", False),
                             ("옥수동/print/poster-a4.pdf", True)]


def test_a_qr_code_in_a_dong_picture_is_read_as_on_a_file_checked_whole(
        tmp_path, renderer, default_content):
    """A 동 picture holding a QR code to another address fails, by parts as whole."""
    import qrcode

    qrcode.make("https://example.org/elsewhere", box_size=10, border=4).get_image().convert(
        "RGB").resize((400, 400)).save(tmp_path / "logo.png")
    (tmp_path / "dongs.toml").write_text('[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n',
                                         encoding="utf-8")
    with pytest.raises(PreflightFailed) as caught:
        build(DEFAULT_DATA, tmp_path / "out", dongs_path=tmp_path / "dongs.toml",
              dong_names=("옥수동",), jobs=1)
    dong = load_dongs(tmp_path / "dongs.toml").get("옥수동")
    assert len(caught.value.reports) == 2  # the poster's and the leaflet's
    for report in caught.value.reports:
        name = report.name.removeprefix("옥수동/print/").removesuffix(".pdf")
        (found,) = report.failures("qr")
        whole = renderer.render(default_content, name, "print", dong)
        expected = preflight(whole.pdf, name, url=default_content.service.url).failures("qr")
        assert "example.org/elsewhere" in found.detail
        assert [f.detail for f in expected] == [found.detail], (found, expected)
