"""Shared fixtures: the default content, a renderer, and PDF readers.

Rendered output is checked the way a reader or a vendor would: text on the
page (pypdfium2), type sizes and positions, embedded fonts, QR decoding.
When a test that rendered something fails, its pages are written as PNGs
to ``tests/failures/`` (git-ignored) so the failure can be looked at.
"""

from __future__ import annotations

import ctypes
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium
import pytest
import tomlkit

from leaflets.content import parse_content
from leaflets.project import DEFAULT_DATA
from leaflets.render import Renderer, rasterize

FAILURES = Path(__file__).parent / "failures"
DEFAULT_TEXT = DEFAULT_DATA.read_text(encoding="utf-8")
MM_PER_PT = 25.4 / 72


@pytest.fixture(scope="session")
def renderer():
    return Renderer()


@pytest.fixture(scope="session")
def default_content():
    return parse_content(DEFAULT_TEXT.encode(), DEFAULT_DATA)


@pytest.fixture(scope="session")
def default_pdfs(renderer, default_content):
    """The two products rendered from the shipped minwon24.toml."""
    return {name: renderer.render(default_content, name).pdf for name in ("poster-a4", "pocket")}


def edited(edit) -> str:
    """The default content file's text after ``edit(doc)`` on a tomlkit document."""
    doc = tomlkit.parse(DEFAULT_TEXT)
    edit(doc)
    return tomlkit.dumps(doc)


def set_at(path, value):
    """An edit (for :func:`edited`) that sets doc[path...] = value."""
    def edit(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


def content_with(edit, name="minwon24.toml"):
    """Parse the default content after ``edit``; raises DataError like a real file."""
    return parse_content(edited(edit).encode(), name)


ORDER = {"contact": "민원여권과 주무관 김민원 02-2286-5123", "vendor": "성동인쇄 02-2290-0000"}


def ordered_production(folder: Path) -> Path:
    """A copy of the default production.toml in ``folder`` with the order's 담당자 and
    인쇄소 filled in (the shipped file leaves them for the office: packaging needs them)."""
    from leaflets.project import DEFAULT_PRODUCTION

    doc = tomlkit.parse(DEFAULT_PRODUCTION.read_text(encoding="utf-8"))
    for key, value in ORDER.items():
        doc["order"][key] = value
    path = Path(folder) / "production.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def data_file(tmp_path):
    """Write an edited copy of the default content file and return its path."""

    def write(edit=lambda doc: None, name="minwon24.toml"):
        path = tmp_path / name
        path.write_text(edited(edit), encoding="utf-8")
        return path

    return write


@dataclass(frozen=True)
class Char:
    text: str
    size_pt: float
    box_mm: tuple[float, float, float, float]  # left, top, right, bottom from the top-left


@dataclass(frozen=True)
class PageText:
    width_mm: float
    height_mm: float
    text: str  # lines separated by "\n"
    chars: tuple[Char, ...]

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.split("\n") if line.strip()]


def read_pages(pdf: bytes) -> list[PageText]:
    """Every page's text, with each visible character's size and box."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    pages = []
    matrix = pdfium.FS_MATRIX()
    for page in document:
        width, height = page.get_size()
        textpage = page.get_textpage()
        chars = []
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if not char.strip():
                continue
            pdfium.FPDFText_GetMatrix(textpage.raw, index, ctypes.byref(matrix))
            scale = (matrix.a ** 2 + matrix.b ** 2) ** 0.5
            size = pdfium.FPDFText_GetFontSize(textpage.raw, index) * scale
            left, bottom, right, top = textpage.get_charbox(index)
            chars.append(Char(char, size, (left * MM_PER_PT, (height - top) * MM_PER_PT,
                                           right * MM_PER_PT, (height - bottom) * MM_PER_PT)))
        text = re.sub(r"\r\n|\r", "\n", textpage.get_text_range())
        pages.append(PageText(width * MM_PER_PT, height * MM_PER_PT, text, tuple(chars)))
    document.close()
    return pages


@pytest.fixture
def keep_on_failure(request):
    """Register PDFs to be saved as PNGs if the test fails."""
    kept = []
    request.node.kept_pdfs = kept
    return lambda name, pdf: kept.append((name, pdf))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for name, pdf in getattr(item, "kept_pdfs", []):
            FAILURES.mkdir(exist_ok=True)
            for number, image in enumerate(rasterize(pdf, 100), start=1):
                image.save(FAILURES / f"{item.name}-{name}-p{number}.png")
    return report


@pytest.fixture(scope="session")
def print_pdfs(renderer, default_content):
    """The two print-ready products rendered from the shipped minwon24.toml."""
    return {name: renderer.render(default_content, name, "print").pdf
            for name in ("poster-a4", "pocket")}


def cmyk_pages(pdf: bytes, dpi: int, tmp_path) -> list:
    """Rasterise ``pdf`` (whole MediaBox) to CMYK images with Ghostscript."""
    import subprocess

    from PIL import Image

    source = tmp_path / "raster.pdf"
    source.write_bytes(pdf)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiff32nc",
                    f"-r{dpi}", f"-sOutputFile={tmp_path}/cmyk-%02d.tif", str(source)],
                   check=True)
    images = []
    for path in sorted(tmp_path.glob("cmyk-*.tif")):
        with Image.open(path) as image:
            image.load()
            images.append(image.copy())
    return images


@pytest.fixture
def browser():
    """A real headless Chromium, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=ko"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(
        shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
