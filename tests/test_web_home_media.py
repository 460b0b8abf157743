"""The home pages and the media page: what is pending for the 관리자, a 동's own
edition for its 담당자 (no other 동), and every medium with its text to copy and its
file to download, byte for byte what the build writes (real Chromium for what a
browser shows, Flask's test client for headers)."""

from __future__ import annotations

import datetime
import json
import re
from urllib.parse import quote

import tomlkit

from leaflets.content import load_content
from leaflets.dongs import DONG_NAMES, load_dongs
from leaflets.ledger import Ledger, OrderLine, RunLine, bundle_hash, default_ledger
from leaflets.media import dong_media_files, media_files
from leaflets.media.plan import GATEWAY_CODEC
from leaflets.production import load_production
from leaflets.products import PRODUCTS
from tests.test_web import ADMIN, DONG, live_site, login, site, wait  # noqa: F401 (fixtures)
from tests.test_web import _browser_login as browser_login


def _media(folder, dong=None):
    """The media page's files: the 구's, and for ``dong`` its edition's where they differ."""
    content = load_content(folder / "minwon24.toml")
    production = load_production(folder / "production.toml")
    files = {path.removeprefix("media/"): data
             for path, (_, data) in media_files(content, production.media)}
    if dong:
        files.update((path.rsplit("/", 1)[1], data) for path, (_, data)
                     in dong_media_files(content, load_dongs(folder / "dongs.toml").get(dong)))
    return files


def _set_fee(folder, counter: int):
    """가족관계증명서's 창구 fee (the one the SMS names) set to ``counter``."""
    path = folder / "minwon24.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    row = next(row for row in doc["fees"] if row["document"] == "가족관계증명서")
    row["counter"] = counter
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _order_current(folder) -> int:
    """Record the current content as ordered, as leaflets package does."""
    data, production = folder / "minwon24.toml", folder / "production.toml"
    ledger = Ledger(default_ledger(production))
    content = load_content(data)
    order = OrderLine(None, datetime.date(2025, 3, 1), f"20250301-{content.sha256[:8]}",
                      content.sha256, 100_000, 10_000, 110_000,
                      (RunLine("pocket", 1000, "국전지", 32, 40, 110_000),),
                      data.read_bytes(), bundle_hash(data.read_bytes(), production.read_bytes()))
    with ledger.transaction() as book:
        order_id = book.record(order)
        book.commit()
    return order_id


def test_every_download_is_the_medium_byte_for_byte_with_its_type_and_korean_name(
        site):  # noqa: F811
    app, folder = site
    types = {".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
             ".eml": "message/rfc822", ".png": "image/png"}
    gu, own = _media(folder), _media(folder, "옥수동")
    # A 동 담당자 gets their edition's texts (naming their 주민센터), the 구's banners.
    assert "옥수동" in own["lms.txt"].decode() and "옥수동" not in gu["lms.txt"].decode()
    assert own["banner-alt.txt"] == gu["banner-alt.txt"]
    for who, expected in ((ADMIN, gu), (DONG, own)):
        client = app.test_client()
        login(client, who)
        page = client.get("/media").get_data(as_text=True)
        assert set(re.findall(r'href="/media/([^"/]+)"', page)) == set(expected)
        for name, data in expected.items():
            response = client.get(f"/media/{name}")
            assert response.status_code == 200 and response.data == data, name
            assert response.headers["Content-Type"] == types[name[name.rindex("."):]], name
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
            assert quote("민원24") in disposition, disposition
        assert client.get("/media/../minwon24.toml").status_code == 404
        assert client.get("/media/secret.txt").status_code == 404


def test_print_media_come_from_a_build_or_the_page_says_when(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    page = client.get("/media").get_data(as_text=True)
    assert page.count("leaflets build 후 내려받을 수 있습니다") == 2
    assert client.get("/media/print/xbanner.pdf").status_code == 404

    # What a build left in dist/ (its manifest lists the file) is served as it is.
    content = load_content(folder / "minwon24.toml")
    pdf = b"%PDF-1.6 the banner a build made\n%%EOF\n"
    (folder / "dist" / "media" / "print").mkdir(parents=True)
    (folder / "dist" / "media" / "print" / "xbanner.pdf").write_bytes(pdf)
    (folder / "dist" / "manifest.json").write_text(json.dumps(
        {"data_sha256": content.sha256, "artifacts": [{"path": "media/print/xbanner.pdf"}]}))
    page = client.get("/media").get_data(as_text=True)
    assert page.count("leaflets build 후 내려받을 수 있습니다") == 1
    assert "지금 내용과 다른 빌드" not in page
    response = client.get("/media/print/xbanner.pdf")
    assert response.data == pdf and response.mimetype == "application/pdf"
    assert quote("민원24-배너기-인쇄용.pdf") in response.headers["Content-Disposition"]
    assert client.get("/media/print/newsletter.pdf").status_code == 404  # not built

    _set_fee(folder, 1200)  # the file stays, and the page says it is of older content
    assert "지금 내용과 다른 빌드" in client.get("/media").get_data(as_text=True)


def test_scripts_are_served_as_javascript_and_nothing_else(site):  # noqa: F811
    app, _ = site
    client = app.test_client()
    response = client.get("/scripts/copy.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"navigator.clipboard" in response.data
    for name in ("nothing.js", "..%2Fbase.html.j2", "copy.css", "copy"):
        assert client.get(f"/scripts/{name}").status_code == 404, name


def test_media_page_shows_the_sms_with_the_current_fee_its_bytes_and_copies_it(
        live_site, browser):  # noqa: F811
    base, folder = live_site
    _set_fee(folder, 1200)
    browser_login(browser, base, ADMIN)
    browser.get(base + "/media")
    sms = _media(folder)["sms.txt"].decode()
    assert "1,200원" in sms
    box = wait(browser, "#sms\\.txt pre")[0]
    assert box.text == sms
    size = len(sms.encode(GATEWAY_CODEC))
    assert browser.find_element("css selector", "#sms\\.txt .bytes").text \
        == f"{size}/90바이트 (CP949)"
    lms = browser.find_element("css selector", "#lms\\.txt .bytes").text
    assert re.fullmatch(r"[\d,]+/2,000바이트 \(CP949\)", lms), lms

    # The script shows the button; a click selects the text and puts it on the clipboard.
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    button = browser.find_element("css selector", "#sms\\.txt button.copy")
    assert button.is_displayed()
    button.click()
    status = browser.find_element("css selector", "#sms\\.txt [role=status]")
    wait_text(browser, status)
    assert browser.execute_script("return window.getSelection().toString();") == sms
    assert status.text == "복사했습니다."
    assert browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0](String(e)));") \
        == sms


def wait_text(browser, element, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(lambda _: element.text)


def test_admin_home_shows_every_page_and_a_change_not_ordered_until_it_is(
        live_site, browser):  # noqa: F811
    base, folder = live_site
    _order_current(folder)
    browser_login(browser, base, ADMIN)
    wait(browser, ".thumbs img")
    assert not browser.find_elements("css selector", ".pending .unordered")
    images = browser.find_elements("css selector", ".thumbs img")
    assert [image.get_attribute("alt") for image in images] == [
        f"{product.title} {page}" for product in PRODUCTS.values() for page in product.pages]
    for image in images:
        assert browser.execute_script("return arguments[0].decode().then(() => "
                                      "arguments[0].naturalWidth);", image) > 100

    _set_fee(folder, 1200)
    browser.get(base + "/")
    item = wait(browser, ".pending .unordered")[0]
    assert "발주하지 않은 변경" in item.text
    link = item.find_element("tag name", "a")
    assert link.get_attribute("href") == base + "/package"
    assert "아직 빌드한 적이 없습니다" in browser.find_element("css selector", ".last-build").text

    _order_current(folder)
    browser.get(base + "/")
    wait(browser, ".pending")
    assert not browser.find_elements("css selector", ".pending .unordered")


def test_admin_home_says_which_dong_does_not_validate_and_where_to_fix_it(
        site):  # noqa: F811
    app, folder = site
    path = folder / "dongs.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    row = next(row for row in doc["dongs"] if row["name"] == "금호2·3가동")
    row["phone"] = "전화 없음"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    client = app.test_client()
    login(client, ADMIN)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    item = re.search(r'<li class="dong-problem">(.*?)</li>', page, re.S).group(1)
    assert '<span class="dong">금호2·3가동</span>' in item
    assert "dongs.toml" in item and "전화번호" in item and "전화 없음" in item
    assert "phone" not in item  # named as the 동 form names it
    assert str(folder) not in page  # the server's folders are not shown


def test_a_dong_users_home_shows_their_own_edition_and_no_other_dong(
        live_site, browser):  # noqa: F811
    base, folder = live_site
    browser_login(browser, base, DONG)
    images = wait(browser, ".thumbs img")
    assert browser.current_url == base + "/"
    assert len(images) == len([p for p in PRODUCTS.values() if p.dong_page])
    for image in images:
        assert image.get_attribute("src").startswith(base + "/dong/" + quote("옥수동") + "/")
        assert browser.execute_script("return arguments[0].decode().then(() => "
                                      "arguments[0].naturalWidth);", image) > 100
    text = browser.find_element("tag name", "body").text
    assert "옥수동" in text
    assert [name for name in DONG_NAMES if name != "옥수동" and name in text] == []
    block = browser.find_element("css selector", ".block").text
    assert "주민센터 이름" in block and "동 안내 문구" in block
    links = {a.get_attribute("href") for a in browser.find_elements("css selector", "main a")}
    dong = base + "/dong/" + quote("옥수동")
    assert {dong, dong + "/pocket.pdf", dong + "/pocket.pdf?print=1",
            dong + "/poster-a4.pdf"} <= links
    others = [name for name in DONG_NAMES if name != "옥수동"]
    assert [link for link in links if any(quote(name) in link for name in others)] == []
