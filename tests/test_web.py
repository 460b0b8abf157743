"""The office web app: who may do what, saves that lose nothing, and a real browser."""

from __future__ import annotations

import io
import re
import shutil
import threading

import pytest
from PIL import Image

from leaflets.cli import main
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.users import UserStore
from leaflets.web import create_app

ADMIN, DONG = ("주무관", "admin-password-1"), ("옥수동담당", "dong-password-1")


@pytest.fixture
def site(tmp_path):
    for source in (DEFAULT_DATA, DEFAULT_PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, tmp_path / source.name)
    store = UserStore(tmp_path / "instance" / "users.sqlite")
    known = ["옥수동", "송정동"]
    store.add(ADMIN[0], ADMIN[1], "admin")
    store.add(DONG[0], DONG[1], "dong", "옥수동", known)
    app = create_app(data=tmp_path / "minwon24.toml", production=tmp_path / "production.toml",
                     dongs=tmp_path / "dongs.toml", instance=tmp_path / "instance",
                     out=tmp_path / "dist")
    app.config["TESTING"] = True
    return app, tmp_path


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _version(html: str) -> str:
    return re.search(r'name="version" value="([0-9a-f]{64})"', html).group(1)


def login(client, who):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf": _csrf(page), "name": who[0],
                                       "password": who[1]})


def _fee_form(html: str, **changes) -> dict:
    """The fee form as the browser would send it, with ``changes`` {field_index: value}."""
    form = {key: re.findall(rf'name="{key}" value="([^"]*)"', html)
            for key in ("document", "counter", "kiosk", "online", "step")}
    form["note"] = re.search(r'name="note" value="([^"]*)"', html).group(1)
    for key, (index, value) in changes.items():
        form[key][index] = value
    form["csrf"], form["version"] = _csrf(html), _version(html)
    return form


def test_pages_need_a_login_and_cookies_are_safe(site):
    app, _ = site
    client = app.test_client()
    response = client.get("/fees")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = login(client, ADMIN)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/fees").status_code == 200


def test_wrong_passwords_are_refused_then_rate_limited(site):
    app, _ = site
    client = app.test_client()
    for _ in range(5):
        response = login(client, (ADMIN[0], "wrong-password"))
        assert response.status_code == 401
        assert "비밀번호가 틀렸습니다" in response.get_data(as_text=True)
    response = login(client, ADMIN)  # even the right password waits now
    assert response.status_code == 429
    assert "5분 뒤" in response.get_data(as_text=True)


def test_an_unknown_name_is_refused_like_a_wrong_password(site):
    """Found by scripts/mutate: no test logged in with a name that has no account."""
    app, _ = site
    client = app.test_client()
    response = login(client, ("없는사람", "any-password-1"))
    assert response.status_code == 401
    assert "비밀번호가 틀렸습니다" in response.get_data(as_text=True)
    assert client.get("/fees").status_code in (302, 401)  # still logged out


def test_a_post_without_the_csrf_token_is_refused(site):
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    before = (folder / "minwon24.toml").read_bytes()
    form = _fee_form(client.get("/fees").get_data(as_text=True), counter=(0, "500"))
    del form["csrf"]
    response = client.post("/fees", data=form)
    assert response.status_code == 400 and "보안 토큰" in response.get_data(as_text=True)
    assert (folder / "minwon24.toml").read_bytes() == before


def test_saving_a_fee_keeps_comments_and_the_previous_version(site):
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    data = folder / "minwon24.toml"
    before = data.read_text(encoding="utf-8")
    response = client.post("/fees", data=_fee_form(client.get("/fees").get_data(as_text=True),
                                                   counter=(0, "500")))
    assert response.status_code == 200
    assert "저장했습니다" in response.get_data(as_text=True)
    after = data.read_text(encoding="utf-8")
    assert "counter = 500" in after and "counter = 400" not in after
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after for line in comments)
    assert (folder / "minwon24.toml.prev").read_text(encoding="utf-8") == before


def test_a_stale_save_is_refused_and_nothing_is_lost(site):
    app, folder = site
    first, second = app.test_client(), app.test_client()
    login(first, ADMIN)
    login(second, ADMIN)
    page_one = first.get("/fees").get_data(as_text=True)
    page_two = second.get("/fees").get_data(as_text=True)
    assert first.post("/fees", data=_fee_form(page_one, counter=(0, "500"))).status_code == 200
    saved = (folder / "minwon24.toml").read_bytes()
    response = second.post("/fees", data=_fee_form(page_two, kiosk=(0, "100")))
    assert response.status_code == 409
    assert "다른 사람이 저장했습니다" in response.get_data(as_text=True)
    assert (folder / "minwon24.toml").read_bytes() == saved
    page = response.get_data(as_text=True)
    assert 'value="100"' in page  # what was typed stays in the form ...
    assert "민원창구 수수료: 저장된 값 500, 내 입력 400" in page  # the colleague's value, named


@pytest.mark.parametrize("value, words",
                         [("abc", "숫자가 아닙니다"), ("-5", "범위를 벗어났습니다")])
def test_a_bad_value_gets_the_clis_message_and_writes_nothing(site, value, words):
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    before = (folder / "minwon24.toml").read_bytes()
    response = client.post("/fees", data=_fee_form(client.get("/fees").get_data(as_text=True),
                                                   counter=(0, value)))
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert (folder / "minwon24.toml").read_bytes() == before


def test_a_dong_user_sees_only_their_own_dong(site):
    app, _ = site
    client = app.test_client()
    login(client, DONG)
    home = client.get("/").get_data(as_text=True)  # their own edition, no other 동
    assert "/dong/%EC%98%A5%EC%88%98%EB%8F%99" in home and "송정동" not in home
    assert client.get("/dong/옥수동").status_code == 200
    for path in ("/dong/송정동", "/dong/송정동/pocket.pdf", "/dong/송정동/pocket-2.png",
                 "/fees", "/budget", "/package",
                 "/print/pocket.pdf", "/print/poster-a4.pdf"):  # the 구's print files
        response = client.get(path)
        assert response.status_code == 403, path
        assert not response.data.startswith(b"%PDF"), path
    response = client.get("/dong/옥수동/pocket.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def _upload(client, html, image_bytes, name="logo.png", **fields):
    form = {"csrf": _csrf(html), "version": _version(html), **fields,
            "image": (io.BytesIO(image_bytes), name)}
    return client.post("/dong/옥수동", data=form, content_type="multipart/form-data")


def test_a_dong_saves_its_block_and_picture(site):
    app, folder = site
    client = app.test_client()
    login(client, DONG)
    picture = io.BytesIO()
    Image.new("RGB", (400, 400), (20, 120, 60)).save(picture, "PNG")
    html = client.get("/dong/옥수동").get_data(as_text=True)
    response = _upload(client, html, picture.getvalue(), message="가입을 도와 드립니다",
                       desk="1층 민원실")
    assert response.status_code == 200, response.get_data(as_text=True)
    text = (folder / "dongs.toml").read_text(encoding="utf-8")
    assert 'message = "가입을 도와 드립니다"' in text
    stored = re.search(r'image = "images/(옥수동-[0-9a-f]{12}\.png)"', text).group(1)
    with Image.open(folder / "images" / stored) as kept:  # 300 ppi at 28 mm, no more
        assert kept.size == (331, 331) and kept.getpixel((100, 100))[:3] == (20, 120, 60)
    png = client.get("/dong/옥수동/pocket-2.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_a_fake_picture_is_refused_and_nothing_changes(site):
    app, folder = site
    client = app.test_client()
    login(client, DONG)
    before = (folder / "dongs.toml").read_bytes()
    html = client.get("/dong/옥수동").get_data(as_text=True)
    response = _upload(client, html, b"<script>alert(1)</script>", message="안녕")
    assert response.status_code == 400
    assert "그림을 읽을 수 없습니다" in response.get_data(as_text=True)
    assert "&lt;" not in before.decode() and (folder / "dongs.toml").read_bytes() == before
    assert not (folder / "images").exists() or not any((folder / "images").iterdir())


def test_serve_refuses_a_network_bind_without_accounts(tmp_path, capsys):
    data = tmp_path / "minwon24.toml"
    shutil.copy(DEFAULT_DATA, data)
    assert main(["serve", "--host", "0.0.0.0", "--data", str(data)]) == 2
    assert "계정이 하나도 없어" in capsys.readouterr().err


def test_user_command_adds_lists_and_removes(tmp_path, capsys, monkeypatch):
    data = tmp_path / "minwon24.toml"
    shutil.copy(DEFAULT_DATA, data)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main(["user", "add", "송정동담당", "--role", "dong", "--dong", "송정동",
                 "--password-stdin", "--data", str(data)]) == 0
    assert main(["user", "list", "--data", str(data)]) == 0
    assert "송정동담당\t동 담당자\t송정동" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["user", "add", "x1", "--role", "admin", "--password-stdin",
                 "--data", str(data)]) == 2
    assert "10자 이상" in capsys.readouterr().err
    stored = (tmp_path / "instance" / "users.sqlite").read_bytes()
    assert b"a-long-password" not in stored and b"scrypt$" in stored


def wait(browser, css, timeout=60):
    """The elements matching ``css`` once the page has them (pages load asynchronously)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, css)))


def submit(browser, css="main button[type=submit]"):
    """Click a submit button and wait until the next page has replaced this one."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element("tag name", "html")
    browser.find_element("css selector", css).click()

    def replaced(_):
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        return False

    # While the page is being replaced Chromium may answer with another error
    # ("unhandled inspector error"): that is not an answer yet, so ask again.
    WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,)).until(replaced)


@pytest.fixture
def live_site(site):
    from werkzeug.serving import make_server

    app, folder = site
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", folder
    server.shutdown()


def test_in_a_real_browser_staff_change_a_fee_and_see_it(live_site, browser):
    from selenium.webdriver.common.by import By

    base, folder = live_site
    browser.get(base + "/fees")
    assert "/login" in browser.current_url
    browser.find_element(By.NAME, "name").send_keys(ADMIN[0])
    browser.find_element(By.NAME, "password").send_keys(ADMIN[1])
    submit(browser, "button[type=submit]")
    assert browser.current_url.split("?")[0].endswith("/fees")
    counter = wait(browser, "input[name=counter]")[0]
    counter.clear()
    counter.send_keys("700")
    submit(browser)
    status = wait(browser, "[role=status]")[0].text
    assert "저장했습니다" in status
    assert "counter = 700" in (folder / "minwon24.toml").read_text(encoding="utf-8")
    browser.get(base + "/preview")
    images = wait(browser, ".pages img")
    assert len(images) == 3
    for image in images:
        browser.execute_script(
            "arguments[0].scrollIntoView(); return arguments[0].decode && arguments[0].decode()",
            image)
        assert browser.execute_script("return arguments[0].naturalWidth", image) > 100


def _browser_login(browser, base, who):
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/login")
    browser.find_element(By.NAME, "name").send_keys(who[0])
    browser.find_element(By.NAME, "password").send_keys(who[1])
    submit(browser, "button[type=submit]")


def _download(browser, url) -> bytes:
    """Fetch ``url`` with the browser's session cookie."""
    import urllib.request

    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def test_in_a_real_browser_the_print_pdf_has_the_new_fee(live_site, browser):
    from selenium.webdriver.common.by import By

    from tests.conftest import read_pages

    base, folder = live_site
    _browser_login(browser, base, ADMIN)
    browser.get(base + "/fees")
    counter = wait(browser, "input[name=counter]")[1]  # 가족관계증명서
    counter.clear()
    counter.send_keys("1,200")
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text
    browser.get(base + "/preview")
    wait(browser, ".pages img")
    link = browser.find_element(By.LINK_TEXT, "인쇄용 PDF")
    pdf = _download(browser, link.get_attribute("href"))
    text = read_pages(pdf)[0].text.replace("\n", " ")
    assert "가족관계증명서 1,200원" in text


def test_in_a_real_browser_a_bad_value_is_explained_and_nothing_changes(live_site, browser):

    base, folder = live_site
    before = (folder / "minwon24.toml").read_bytes()
    _browser_login(browser, base, ADMIN)
    browser.get(base + "/fees")
    field = wait(browser, "input[name=kiosk]")[0]
    field.clear()
    field.send_keys("이백원")
    submit(browser)
    alert = wait(browser, "[role=alert]")[0].text
    assert "주민등록 등초본" in alert and "무인발급기" in alert and "숫자가 아닙니다" in alert
    assert (folder / "minwon24.toml").read_bytes() == before


def test_in_a_real_browser_a_dong_cannot_open_another_dong(live_site, browser):
    from selenium.webdriver.common.by import By

    base, _ = live_site
    _browser_login(browser, base, DONG)
    assert "옥수동 자체홍보물" in wait(browser, "h1")[0].text
    browser.get(base + "/dong/송정동")
    assert "권한이 없습니다" in browser.find_element(By.TAG_NAME, "main").text


def test_in_a_real_browser_a_save_after_a_colleagues_is_refused_and_keeps_the_input(
        site, live_site, browser):
    """One after the other: the browser user saves a page loaded before a colleague's
    save. Saves submitted at the same moment from one loaded version are tested against
    a live server in tests/test_shared.py
    (test_parallel_fee_saves_of_one_version_save_exactly_one)."""

    app, _ = site
    base, folder = live_site
    _browser_login(browser, base, ADMIN)
    browser.get(base + "/fees")  # the browser user starts editing ...
    other = app.test_client()  # ... while a colleague saves first
    login(other, ADMIN)
    assert other.post("/fees", data=_fee_form(other.get("/fees").get_data(as_text=True),
                                              online=(4, "200"))).status_code == 200
    field = wait(browser, "input[name=counter]")[2]  # 건축물대장
    field.clear()
    field.send_keys("800")
    submit(browser)
    alert = wait(browser, "[role=alert]")[0].text
    assert "다른 사람이 저장했습니다" in alert
    assert "건축물대장 · 민원창구 수수료: 저장된 값 500, 내 입력 800" in alert
    saved = (folder / "minwon24.toml").read_text(encoding="utf-8")
    assert "online = 200" in saved  # the colleague's change
    # The form keeps what the user typed, and names the colleague's value; the user
    # takes it over and saves.
    assert wait(browser, "input[name=counter]")[2].get_attribute("value") == "800"
    field = wait(browser, "input[name=online]")[4]
    field.clear()
    field.send_keys("200")
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text
    saved = (folder / "minwon24.toml").read_text(encoding="utf-8")
    assert "online = 200" in saved and "counter = 800" in saved
