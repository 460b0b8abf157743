"""The job's output condition and spots (production.toml's [output]) reach every print
file and every document that names them: the web app's print download, the sheets
``leaflets impose --out`` makes, the vendor package's spec sheet and README. An
office sheet names the paper an office printer uses, not the press stock.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile

import pytest
import tomlkit

from leaflets.cli import main
from leaflets.content import load_content
from leaflets.errors import DataError
from leaflets.impose.plan import plan_office
from leaflets.package import make_package
from leaflets.production import load_production
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, PROFILE
from leaflets.render import Renderer
from leaflets.users import UserStore
from leaflets.web import create_app
from tests.conftest import ordered_production, read_pages
from tests.test_preflight_corpus import _edit, _spot_text
from tests.test_separations import _intent, _vendor_profile

VENDOR = "FOGRA29L (uncoated, test)"  # the test profile's own description
SPOT = "PANTONE 286 C"
ADMIN = ("주무관", "admin-password-1")


def _production(folder, *, profile: str | None = "vendor.icc", spots=(), office_stock=None):
    """An ordered copy of the shipped production.toml in ``folder`` with the vendor's
    profile (written beside it), ``spots`` and the office sheet's ``stock``."""
    path = ordered_production(folder)
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    if profile is not None:
        (folder / profile).write_bytes(_vendor_profile())
        doc["output"]["profile"] = profile
    doc["output"]["spots"] = list(spots)
    if office_stock is not None:
        next(s for s in doc["sheets"] if s.get("office"))["stock"] = office_stock
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def _words(pdf: bytes) -> str:
    return " ".join(" ".join(page.text.split()) for page in read_pages(pdf))


# -- leaflets impose --out ---------------------------------------------------------------


def test_impose_out_follows_the_vendor_profile(tmp_path, capsys):
    production = _production(tmp_path)
    out = tmp_path / "판"
    assert main(["impose", "--production", str(production), "--product", "pocket",
                 "--out", str(out)]) == 0, capsys.readouterr().err
    sheets = sorted(out.rglob("*.pdf"))
    assert [p.relative_to(out).as_posix() for p in sheets] == [
        "imposed/pocket.pdf", "office/pocket-A4.pdf"]
    for sheet in sheets:
        intent, embedded = _intent(sheet.read_bytes())
        assert embedded == _vendor_profile(), sheet
        assert str(intent["/OutputConditionIdentifier"]) == VENDOR
    # the same command with the built-in condition still writes FOGRA39
    (tmp_path / "builtin").mkdir()
    builtin = _production(tmp_path / "builtin", profile=None)
    assert main(["impose", "--production", str(builtin), "--product", "pocket",
                 "--out", str(tmp_path / "판2")]) == 0
    _, embedded = _intent((tmp_path / "판2" / "imposed/pocket.pdf").read_bytes())
    assert embedded == PROFILE.read_bytes()


# -- the vendor package ------------------------------------------------------------------


@pytest.fixture(scope="module")
def vendor_package(tmp_path_factory):
    """The package of the shipped content for a vendor with its own press profile."""
    folder = tmp_path_factory.mktemp("vendor-profile")
    result = make_package(DEFAULT_DATA, _production(folder), folder / "out", None,
                          record=False, renderer=Renderer())  # a FOGRA39 one: not used
    with zipfile.ZipFile(result.zip_path) as archive:
        return result.zip_path.stem, {info.filename.split("/", 1)[1]: archive.read(info)
                             for info in archive.infolist()}


def test_spec_sheet_and_readme_name_the_vendor_profile(vendor_package, keep_on_failure):
    name, files = vendor_package
    spec = files["인쇄사양서.pdf"]
    keep_on_failure("spec-vendor-profile", spec)
    text = _words(spec)
    assert f"(CMYK, {VENDOR})" in text, text
    assert "FOGRA39" not in text and "FOGRA39" not in name
    readme = files["README.txt"].decode("utf-8")
    assert f"인쇄용 PDF (PDF/X-4, CMYK {VENDOR}," in readme, readme
    assert "FOGRA39" not in readme
    for product in ("pocket", "poster-a4"):  # and the files are made for it
        _, embedded = _intent(files[f"print/{product}.pdf"])
        assert embedded == _vendor_profile(), product


def test_spec_sheet_names_fogra39_for_the_builtin_condition(tmp_path):
    result = make_package(DEFAULT_DATA, _production(tmp_path, profile=None), tmp_path / "out",
                          None, record=False)
    with zipfile.ZipFile(result.zip_path) as archive:
        spec = next(archive.read(n) for n in archive.namelist() if n.endswith("인쇄사양서.pdf"))
        readme = next(archive.read(n) for n in archive.namelist() if n.endswith("README.txt"))
    assert "(CMYK, FOGRA39)" in _words(spec)
    assert "CMYK FOGRA39," in readme.decode("utf-8")


# -- office sheets -----------------------------------------------------------------------


@pytest.mark.parametrize("configured, named", [
    (None, "사무용 A4 2,625장 → 10,500부"),
    ("A4 복사용지 80g", "A4 복사용지 80g 2,625장 → 10,500부"),
])
def test_office_sheet_slug_names_office_paper_not_the_press_stock(tmp_path, configured,
                                                                  named):
    production = load_production(_production(tmp_path, profile=None,
                                              office_stock=configured))
    content = load_content(DEFAULT_DATA)
    run = production.run("pocket")
    assert run.stock == "아트지 150g"
    plan = plan_office(run, production.office_sheet, content.trim_mm("pocket"),
                       content.bleed_mm("pocket"))
    from leaflets.impose.pdf import impose

    renderer = Renderer()
    pdf = impose(plan, renderer.render(content, "pocket", "print").pdf,
                 renderer.render_sheet(plan, "리플릿", content.sha256))
    slugs = [line for page in read_pages(pdf) for line in page.lines if "장 →" in line]
    assert len(slugs) == 2, slugs  # front and back
    for slug in slugs:
        assert named in slug, slug
        assert run.stock not in slug


def test_press_sheet_slug_keeps_the_press_stock(tmp_path):
    production = load_production(_production(tmp_path, profile=None,
                                              office_stock="A4 복사용지 80g"))
    content = load_content(DEFAULT_DATA)
    from leaflets.budget import plan_for_run
    from leaflets.impose.plan import slug_text

    plan = plan_for_run(production.run("pocket"), production, content)
    text = slug_text(plan, plan.sides[0], "리플릿", "2024-01-01", content.sha256)
    assert "아트지 150g" in text and "복사용지" not in text


def test_a_blank_office_stock_is_refused_naming_the_field(tmp_path):
    path = _production(tmp_path, profile=None, office_stock="  ")
    with pytest.raises(DataError) as raised:
        load_production(path)
    assert raised.value.field.endswith(".stock") and raised.value.field.startswith("sheets[")
    assert str(path) in str(raised.value)


# -- the web app's print download --------------------------------------------------------


@pytest.fixture
def spotted_web(tmp_path, monkeypatch):
    """The web app over copies of the project's files, its print renders carrying a line
    of text in the spot SPOT (as a vendor-supplied logo in a spot colour would)."""
    import shutil

    shutil.copy(DEFAULT_DATA, tmp_path / "minwon24.toml")
    shutil.copy(DEFAULT_DONGS, tmp_path / "dongs.toml")
    real = Renderer.render

    def render_with_spot(self, content, name, mode="screen", dong=None):
        result = real(self, content, name, mode, dong)
        if mode != "print":
            return result
        return dataclasses.replace(result, pdf=_edit(result.pdf, _spot_text(SPOT)))

    monkeypatch.setattr(Renderer, "render", render_with_spot)
    store = UserStore(tmp_path / "instance" / "users.sqlite")
    store.add(ADMIN[0], ADMIN[1], "admin")

    def client(**production):
        app = create_app(data=tmp_path / "minwon24.toml",
                         production=_production(tmp_path, **production),
                         dongs=tmp_path / "dongs.toml", instance=tmp_path / "instance",
                         out=tmp_path / "dist")
        web = app.test_client()
        page = web.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert web.post("/login", data={"csrf": csrf, "name": ADMIN[0],
                                        "password": ADMIN[1]}).status_code == 302
        return web
    return client


def test_web_print_download_allows_the_listed_spot_and_follows_the_profile(spotted_web):
    web = spotted_web(spots=[SPOT])
    response = web.get("/print/pocket.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[-800:]
    intent, embedded = _intent(response.data)
    assert embedded == _vendor_profile()
    assert str(intent["/OutputConditionIdentifier"]) == VENDOR


def test_web_print_download_refuses_an_unlisted_spot_with_the_409_page(spotted_web):
    web = spotted_web(profile=None, spots=["PANTONE 185 C"])
    response = web.get("/print/pocket.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page[-800:]
    assert f"별색 {SPOT} 사용" in page and "발주서(production.toml)에 없는 별색입니다" in page
    assert b"%PDF" not in response.data


# -- separations of an imposed press sheet -----------------------------------------------


def test_press_sheet_marks_on_every_plate_and_its_slug_on_black_alone(tmp_path):
    """The pocket leaflet's press sheet through Ghostscript's tiffsep (the plates a RIP
    makes): every crop mark prints 100 % on all four plates, the slug on black alone."""
    import subprocess

    from PIL import Image

    from leaflets.budget import plan_for_run
    from leaflets.impose.pdf import impose
    from leaflets.project import DEFAULT_PRODUCTION
    from tests.test_separations import PLATES, _ink

    content = load_content(DEFAULT_DATA)
    production = load_production(DEFAULT_PRODUCTION)
    plan = plan_for_run(production.run("pocket"), production, content)
    renderer = Renderer()
    source = tmp_path / "imposed.pdf"
    source.write_bytes(impose(plan, renderer.render(content, "pocket", "print").pdf,
                              renderer.render_sheet(plan, "리플릿", content.sha256)))
    dpi = 100
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep",
                    f"-r{dpi}", f"-sOutputFile={tmp_path}/sheet-%d.tif", str(source)],
                   check=True)
    height = plan.sheet_mm[1]

    def px(x, y):
        return round(x / 25.4 * dpi), round((height - y) / 25.4 * dpi)

    for number, side in enumerate(plan.sides, start=1):
        inks = {plate: Image.open(tmp_path / f"sheet-{number}({plate}).tif").convert("L")
                .point(lambda v: 255 - v) for plate in PLATES}
        assert side.marks
        for (x1, y1), (x2, y2) in side.marks:
            x, y = px((x1 + x2) / 2, (y1 + y2) / 2)
            for plate in PLATES:
                assert _ink(inks[plate], (x - 1, y - 1, x + 2, y + 2))[1] > 0.95, (
                    side.label, plate, (x1, y1), (x2, y2))
        left, top = px(side.slug.x, side.slug.top)
        right, bottom = px(side.slug.right, side.slug.y)
        assert _ink(inks["Black"], (left, top, right, bottom))[1] > 0.95, side.label
        for plate in ("Cyan", "Magenta", "Yellow"):
            assert _ink(inks[plate], (left, top, right, bottom))[1] == 0, (side.label, plate)
