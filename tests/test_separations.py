"""Separations of the print pages, as a press's RIP makes its plates.

Ghostscript's ``tiffsep`` writes one greyscale TIFF per process ink (with
overprint simulated, as on a plate): what the vendor's prepress sees. Crop
marks must print on every plate in the registration colour, the slug on the
black plate alone, and K100 text must not knock a hole in the tint under it.
The output condition (production.toml's [output]) sets the OutputIntent.
"""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from PIL import Image, ImageCms

from leaflets.content import load_content
from leaflets.dongs import DongImage
from leaflets.printready import MM_TO_PT, PrintSetup
from leaflets.production import load_production
from leaflets.project import DEFAULT_DATA, DEFAULT_PRODUCTION, PROFILE, ROOT
from leaflets.render import Renderer

HERE = Path(__file__).parent
DPI = 200
PLATES = ("Cyan", "Magenta", "Yellow", "Black")
PRODUCTS = ("poster-a4", "pocket")


@pytest.fixture(scope="module")
def content():
    return load_content(DEFAULT_DATA)


@pytest.fixture(scope="module")
def prints(content):
    renderer = Renderer()
    return {name: renderer.render(content, name, "print") for name in PRODUCTS}


@pytest.fixture(scope="module")
def plates(prints, tmp_path_factory):
    """{(product, page number): {plate name: ink image, 255 = 100 % ink}}."""
    folder = tmp_path_factory.mktemp("tiffsep")
    result = {}
    for name, rendered in prints.items():
        source = folder / f"{name}.pdf"
        source.write_bytes(rendered.pdf)
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep",
                        f"-r{DPI}", f"-sOutputFile={folder / name}-%d.tif", str(source)],
                       check=True)
        for page in range(1, rendered.pages + 1):
            # tiffsep writes each plate with 0 = full ink: invert to ink coverage
            result[name, page] = {
                plate: Image.open(folder / f"{name}-{page}({plate}).tif").convert("L").point(
                    lambda v: 255 - v) for plate in PLATES}
    return result


def _pixel(rendered, page_index, x_mm, y_mm):
    """The pixel of the point (x_mm, y_mm) from the trim's top-left corner."""
    page = pypdf.PdfReader(io.BytesIO(rendered.pdf)).pages[page_index]
    media, trim = page.mediabox, page.trimbox
    x_pt = float(trim.left) + x_mm * MM_TO_PT - float(media.left)
    y_pt = float(media.top) - (float(trim.top) - y_mm * MM_TO_PT)
    return round(x_pt / 72 * DPI), round(y_pt / 72 * DPI)


def _ink(image, box):
    """(lowest, highest) ink in ``box`` (pixels), as fractions."""
    low, high = image.crop(box).getextrema()
    return low / 255, high / 255


def _content_streams(pdf: bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        yield page, page.get_contents().get_data()


@pytest.mark.parametrize("name", PRODUCTS)
def test_crop_marks_print_on_every_plate_as_one_registration_object(name, prints, plates):
    rendered = prints[name]
    setup = PrintSetup(rendered.trim_mm, rendered.bleed_mm)
    for index in range(rendered.pages):
        for x1, y1, x2, y2 in setup.crop_marks():
            x, y = _pixel(rendered, index, (x1 + x2) / 2, (y1 + y2) / 2)
            for plate in PLATES:
                low, high = _ink(plates[name, index + 1][plate], (x - 2, y - 2, x + 3, y + 3))
                assert high > 0.95, (name, index + 1, plate, (x1, y1, x2, y2))
    for page, data in _content_streams(rendered.pdf):
        spaces = page["/Resources"]["/ColorSpace"]
        registration = [key for key, space in spaces.items()
                        if list(space)[:3] == ["/Separation", "/All", "/DeviceCMYK"]]
        assert len(registration) == 1
        assert f"{registration[0]} CS 1 SCN".encode() in data
        # no 400 % object left: every mark is one object of the /All colourant
        assert not re.search(rb"(^|\s)1 1 1 1 (scn|SCN|k|K)\b", data)


@pytest.mark.parametrize("name", PRODUCTS)
def test_slug_is_on_the_black_plate_alone(name, prints, plates):
    rendered = prints[name]
    setup = PrintSetup(rendered.trim_mm, rendered.bleed_mm)
    top = setup.slug_top_mm()
    for index in range(rendered.pages):
        left, upper = _pixel(rendered, index, 2, top)
        right, lower = _pixel(rendered, index, 2 + 60, top + 2.5)
        box = (left, upper, right, lower)
        separations = plates[name, index + 1]
        assert _ink(separations["Black"], box)[1] > 0.95, (name, index + 1)
        for plate in ("Cyan", "Magenta", "Yellow"):
            assert _ink(separations[plate], box)[1] == 0, (name, index + 1, plate)


def _word_boxes(pdf: bytes, word: str, dpi: int = DPI):
    """Pixel boxes (left, top, right, bottom) of each occurrence of ``word`` on page 1."""
    document = pypdfium2.PdfDocument(pdf)
    text = document[0].get_textpage()
    media = document[0].get_mediabox()
    searcher = text.search(word)
    while (found := searcher.get_next()) is not None:
        start, count = found
        boxes = [text.get_charbox(i) for i in range(start, start + count)]
        left = min(b[0] for b in boxes) - media[0]
        right = max(b[2] for b in boxes) - media[0]
        top, bottom = media[3] - max(b[3] for b in boxes), media[3] - min(b[1] for b in boxes)
        yield tuple(round(v / 72 * dpi) for v in (left, top, right, bottom))


def test_k100_text_overprints_the_tint_under_it(content, prints, plates):
    """The fee table's second row has a sky tint (C10 M2) behind K100 text: under the
    text the cyan and magenta plates keep their tint, there is no white hole."""
    separations = plates["poster-a4", 1]
    cyan, magenta = separations["Cyan"], separations["Magenta"]
    word = content.fees[1].document.replace(" ", "")
    # the word also appears in the note, on white: take the one on the tinted row
    boxes = [box for box in _word_boxes(prints["poster-a4"].pdf, word)
             if _ink(cyan, box)[1] > 0]
    assert len(boxes) == 1, boxes
    box = boxes[0]
    assert _ink(separations["Black"], box)[1] > 0.95  # the text is there, in K
    assert _ink(cyan, box)[0] > 0.05, "the K text knocks out the cyan tint"
    assert _ink(magenta, box)[0] > 0.01, "the K text knocks out the magenta tint"
    # and the tint really is C10 under the text, as beside it
    assert abs(_ink(cyan, box)[1] - 0.10) < 0.03


def test_white_text_knocks_out_and_never_overprints(content, prints, plates):
    """White (0 0 0 0) must not overprint, or it vanishes: the white "무 료" in the
    blue (C88 M35) column of the fee table leaves its shape empty on the cyan plate."""
    cyan = plates["poster-a4", 1]["Cyan"]
    word = content.fee_table.free_label.split()[0]
    boxes = [box for box in _word_boxes(prints["poster-a4"].pdf, word)
             if _ink(cyan, box)[1] > 0.85]  # on the blue column
    assert len(boxes) >= 4, boxes
    for box in boxes:
        assert _ink(cyan, box)[0] == 0, box


def _vendor_profile() -> bytes:
    """A real, different press profile: ArgyllCMS colprof -ql from Debian's FOGRA29L
    (uncoated) characterisation data; see tests/profiles/README.md."""
    return gzip.decompress((HERE / "profiles" / "vendor-FOGRA29L.icc.gz").read_bytes())


def _patched_fogra39(offset: int, value: bytes):
    """A copy of the built-in profile with ``value`` written at header ``offset``."""
    def write(path):
        data = bytearray(PROFILE.read_bytes())
        data[offset:offset + len(value)] = value
        path.write_bytes(bytes(data))
    return write


def _production_with(tmp_path, profile_line: str):
    text = DEFAULT_PRODUCTION.read_text(encoding="utf-8")
    text = text.replace('profile = "FOGRA39"', profile_line)
    assert profile_line in text
    path = tmp_path / "production.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _intent(pdf: bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    return intent, intent["/DestOutputProfile"].get_object().get_data()


def test_vendor_profile_sets_the_output_intent_and_the_picture_cmyk(tmp_path, content,
                                                                   prints):
    vendor = _vendor_profile()
    (tmp_path / "vendor.icc").write_bytes(vendor)
    production = load_production(_production_with(tmp_path, 'profile = "vendor.icc"'))
    assert production.output.description == "FOGRA29L (uncoated, test)"
    rendered = Renderer(output=production.output).render(content, "poster-a4", "print")
    intent, embedded = _intent(rendered.pdf)
    assert embedded == vendor
    assert str(intent["/Info"]) == "FOGRA29L (uncoated, test)"
    assert str(intent["/OutputConditionIdentifier"]) == "FOGRA29L (uncoated, test)"
    assert "/RegistryName" not in intent
    default, builtin = _intent(prints["poster-a4"].pdf)
    assert builtin == PROFILE.read_bytes()
    assert str(default["/OutputConditionIdentifier"]) == "FOGRA39"
    # a 동 picture is separated for the vendor's press, not for FOGRA39
    picture = Image.new("RGB", (64, 64), (40, 120, 200))
    png = io.BytesIO()
    picture.save(png, "PNG")
    image = DongImage("sky.png", png.getvalue(), "PNG", (64, 64))
    coated = Image.open(io.BytesIO(image.for_print())).getpixel((32, 32))
    uncoated = Image.open(io.BytesIO(image.for_print(vendor))).getpixel((32, 32))
    assert coated == Image.open(io.BytesIO(image.for_print(PROFILE.read_bytes()))).getpixel(
        (32, 32))
    assert max(abs(a - b) for a, b in zip(coated, uncoated, strict=True)) > 5, (coated, uncoated)


def test_default_production_file_names_the_builtin_condition():
    production = load_production(DEFAULT_PRODUCTION)
    assert production.output.identifier == "FOGRA39"
    assert production.output.data == PROFILE.read_bytes()


def _srgb_display_profile(path):
    path.write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


@pytest.mark.parametrize("make, reason", [
    (_srgb_display_profile, "출력(인쇄)용 프로파일이 아닙니다 (종류 'mntr'"),
    (_patched_fogra39(16, b"RGB "), "CMYK 프로파일이 아닙니다 (색 공간 'RGB')"),
    (_patched_fogra39(8, bytes([5])), "ICC 버전 5 입니다"),
    (lambda path: path.write_bytes(b"not a profile" * 20), "ICC 프로파일이 아닙니다"),
    (lambda path: None, "ICC 프로파일 파일이 없습니다"),
])
def test_a_bad_output_profile_stops_the_build_with_exit_2(tmp_path, make, reason):
    make(tmp_path / "vendor.icc")
    production = _production_with(tmp_path, 'profile = "vendor.icc"')
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "leaflets", "build", "--data",
         str(DEFAULT_DATA), "--production", str(production), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert str(production) in result.stderr
    assert "output.profile" in result.stderr
    assert reason in result.stderr
    assert "vendor.icc" in result.stderr
    assert not out.exists()


def test_office_sheet_marks_on_every_plate_and_its_slug_on_black_alone(content, prints,
                                                                     tmp_path):
    """The pocket leaflet's office sheet, separated: every cut mark prints 100 % on all four
    plates (registration colour), the slug on the black plate alone."""
    from leaflets.impose.pdf import impose
    from leaflets.impose.plan import plan_office

    production = load_production(DEFAULT_PRODUCTION)
    plan = plan_office(production.run("pocket"), production.office_sheet,
                       content.trim_mm("pocket"), content.bleed_mm("pocket"))
    renderer = Renderer()
    sheet = impose(plan, prints["pocket"].pdf,
                   renderer.render_sheet(plan, "포켓용 리플릿", content.sha256))
    source = tmp_path / "office.pdf"
    source.write_bytes(sheet)
    dpi = 150
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep",
                    f"-r{dpi}", f"-sOutputFile={tmp_path}/office-%d.tif", str(source)],
                   check=True)
    height = plan.sheet_mm[1]

    def px(x, y):
        return round(x / 25.4 * dpi), round((height - y) / 25.4 * dpi)

    for number, side in enumerate(plan.sides, start=1):
        inks = {plate: Image.open(tmp_path / f"office-{number}({plate}).tif").convert("L").point(
            lambda v: 255 - v) for plate in PLATES}
        assert side.marks
        for (x1, y1), (x2, y2) in side.marks:
            x, y = px((x1 + x2) / 2, (y1 + y2) / 2)
            for plate in PLATES:
                assert _ink(inks[plate], (x - 1, y - 1, x + 2, y + 2))[1] > 0.95, (
                    side.label, plate, (x1, y1), (x2, y2))
        slug = side.slug
        left, top = px(slug.x, slug.top)
        right, bottom = px(slug.right, slug.y)
        assert _ink(inks["Black"], (left, top, right, bottom))[1] > 0.95, side.label
        for plate in ("Cyan", "Magenta", "Yellow"):
            assert _ink(inks[plate], (left, top, right, bottom))[1] == 0, (side.label, plate)


@pytest.mark.parametrize("kind", ["office", "press"])
def test_k100_text_still_overprints_on_imposed_and_office_sheets(kind, content, prints,
                                                                 tmp_path):
    """The poster placed on its press sheet and on its office sheet, separated: under the
    K100 text of the fee table's tinted row the cyan plate keeps its tint (the placed
    page's overprint settings travel with it), as on the print file itself."""
    from leaflets.impose.pdf import impose
    from leaflets.impose.plan import choose, plan_office

    production = load_production(DEFAULT_PRODUCTION)
    run = production.run("poster-a4")
    piece, bleed = content.trim_mm("poster-a4"), content.bleed_mm("poster-a4")
    plan = (plan_office(run, production.office_sheet, piece, bleed) if kind == "office"
            else choose(run, production, piece, bleed))
    sheet = impose(plan, prints["poster-a4"].pdf,
                   Renderer().render_sheet(plan, "A4 포스터", content.sha256))
    source = tmp_path / "sheet.pdf"
    source.write_bytes(sheet)
    dpi = 150 if kind == "office" else 72
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep",
                    f"-r{dpi}", "-dFirstPage=1", "-dLastPage=1",
                    f"-sOutputFile={tmp_path}/sheet-%d.tif", str(source)], check=True)
    inks = {plate: Image.open(tmp_path / f"sheet-1({plate}).tif").convert("L").point(
        lambda v: 255 - v) for plate in PLATES}
    word = content.fees[1].document.replace(" ", "")
    boxes = [box for box in _word_boxes(sheet, word, dpi) if _ink(inks["Cyan"], box)[1] > 0]
    assert boxes, "no copy of the tinted row found on the sheet"
    for box in boxes:  # every copy on the sheet
        assert _ink(inks["Black"], box)[1] > 0.9, box
        assert _ink(inks["Cyan"], box)[0] > 0.03, ("the K text knocks out the tint", box)
