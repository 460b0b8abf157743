"""The web app draws Korean with its own fonts whatever the PC has, never breaks a
word, keeps one heading scale, and the 관리자 home shows the printed pages, the
last order and the budget left (real Chromium)."""

from __future__ import annotations

import datetime

from leaflets.ledger import Ledger, default_ledger
from leaflets.products import PRODUCTS
from leaflets.project import FONTS
from tests.test_web import ADMIN, live_site, site, submit, wait  # noqa: F401 (fixtures)
from tests.test_web_budget import _login, _record


def test_fonts_are_served_to_anyone_and_nothing_else(site):  # noqa: F811
    app, _ = site
    client = app.test_client()
    for name in ("NanumSquareR.ttf", "NanumSquareB.ttf"):
        response = client.get(f"/fonts/{name}")
        assert response.status_code == 200 and response.mimetype == "font/ttf"
        assert response.data == (FONTS / name).read_bytes()
    for name in ("OFL.txt", "README.md", "..%2Fminwon24.toml", "NanumSquareX.ttf"):
        assert client.get(f"/fonts/{name}").status_code == 404, name


def test_pages_use_the_served_fonts_keep_words_whole_and_one_heading_scale(
        live_site, browser, monkeypatch):  # noqa: F811
    base, folder = live_site
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    ledger = Ledger(default_ledger(folder / "production.toml"))
    first = _record(ledger, "20250301-aaaaaaaa", 150_000, datetime.date(2025, 3, 1))
    voided = _record(ledger, "20250302-bbbbbbbb", 90_000, datetime.date(2025, 3, 2))
    ledger.void(voided, "수량 오기", datetime.date(2025, 3, 3))
    _login(browser, base, "/")
    wait(browser, ".thumbs img")

    # The fonts came from the app (the inline stylesheet passed the CSP) and are used.
    assert browser.execute_async_script(
        "const done = arguments[0];"
        "document.fonts.ready.then(() => done(document.fonts.check('16px \"Leaflets Web\"')"
        " && [...document.fonts].filter(f => f.family.includes('Leaflets Web')"
        " && f.status === 'loaded').length));") == 2
    body = browser.find_element("tag name", "body")
    assert body.value_of_css_property("font-family").startswith('"Leaflets Web"')
    assert body.value_of_css_property("word-break") == "keep-all"

    # No 동 name is broken across lines, in a window narrow enough to wrap the list.
    browser.set_window_size(420, 900)
    for link in browser.find_elements("css selector", ".dong-links a"):
        assert browser.execute_script(
            "return arguments[0].getClientRects().length;", link) == 1, link.text
    browser.set_window_size(1200, 1600)

    # Every page of the 구 edition as a loaded thumbnail.
    images = browser.find_elements("css selector", ".thumbs img")
    assert [image.get_attribute("alt") for image in images] == [
        f"{product.title} {page}" for product in PRODUCTS.values() for page in product.pages]
    assert len(images) == 3
    assert all(browser.execute_script("return arguments[0].complete && "
                                      "arguments[0].naturalWidth > 100;", image)
               for image in images)

    # The last standing order (the voided one does not count) and the budget left.
    last = browser.find_element("css selector", ".last-order").text
    assert f"#{first} · 2025-03-01 · 20250301-aaaaaaaa" in last and "150,000원" in last
    money = browser.find_element("css selector", ".budget-left").text
    assert "2025년 발주 누계 150,000원 / 연간 배정액 1,200,000원" in money
    assert "남은 금액 1,050,000원" in money

    # Headings in one scale on every page: h1 > h2 > body text.
    for path in ("/", "/fees", "/budget"):
        browser.get(base + path)
        wait(browser, "h2")
        sizes = {tag: float(browser.find_element("css selector", f"main {tag}")
                            .value_of_css_property("font-size")[:-2]) for tag in ("h1", "h2")}
        text = float(body_size(browser))
        assert sizes["h1"] > sizes["h2"] > text, (path, sizes, text)


def body_size(browser) -> str:
    return browser.find_element("tag name", "body").value_of_css_property("font-size")[:-2]
