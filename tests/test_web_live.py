"""Editing with a live preview, and every problem of a save shown at its field."""

from __future__ import annotations

import hashlib

from tests import test_web
from tests.test_web import ADMIN, DONG, _browser_login, _csrf, _download, login, submit, wait

site, live_site = test_web.site, test_web.live_site  # the same fixtures


def _tree(folder) -> dict:
    """Every data file under ``folder`` with its SHA-256: a write anywhere shows (the
    accounts' database, which logins write, aside)."""
    return {path: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "instance" not in path.relative_to(folder).parts}


def _new_preview(browser, old_src, timeout=90):
    """The live preview's address once it has changed from ``old_src`` and loaded."""
    from selenium.webdriver.support.ui import WebDriverWait

    def loaded(driver):
        return driver.execute_script(
            "var i = document.getElementById('live-image');"
            "return i.src !== arguments[0] && i.complete && i.naturalWidth > 100 ? i.src : null",
            old_src)

    return WebDriverWait(browser, timeout).until(loaded)


def _typed(browser, element, text):
    element.clear()
    element.send_keys(text)


def test_typing_a_fee_changes_the_preview_without_saving(live_site, browser):
    base, folder = live_site
    before = _tree(folder)
    _browser_login(browser, base, ADMIN)
    browser.get(base + "/fees")
    saved_src = wait(browser, "#live-image")[0].get_attribute("src")
    _typed(browser, wait(browser, "input[name=counter]")[1], "1,500")  # 가족관계증명서
    src = _new_preview(browser, saved_src)
    assert "/live/" in src
    assert _download(browser, src) != _download(browser, saved_src)  # the poster changed
    assert "저장하지 않았습니다" in browser.find_element("id", "live-state").text
    assert _tree(folder) == before  # nothing saved, nothing written


def test_two_errors_at_once_are_marked_next_to_their_fields_and_kept(live_site, browser):
    base, folder = live_site
    before = _tree(folder)
    _browser_login(browser, base, ADMIN)
    browser.get(base + "/fees")
    _typed(browser, wait(browser, "input[name=counter]")[1], "이천원")  # 가족관계증명서
    _typed(browser, wait(browser, "input[name=kiosk]")[2], "2000000")  # 건축물대장
    submit(browser)
    alert = wait(browser, "[role=alert]")[0].text
    assert "가족관계증명서 · 민원창구 수수료" in alert and "숫자가 아닙니다" in alert
    assert "건축물대장 · 무인발급기 수수료" in alert and "범위를 벗어났습니다" in alert
    marked = wait(browser, "[aria-invalid=true]")
    assert [m.get_attribute("value") for m in marked] == ["이천원", "2000000"]  # as typed
    for field, words in zip(marked, ("숫자가 아닙니다", "범위를 벗어났습니다"), strict=True):
        note = browser.find_element("id", field.get_attribute("aria-describedby"))
        assert note.is_displayed() and words in note.text
    assert _tree(folder) == before


def test_a_dong_edits_a_two_line_message_with_live_preview_and_saves(live_site, browser):
    base, folder = live_site
    _browser_login(browser, base, DONG)
    browser.get(base + "/dong/옥수동")
    saved_src = wait(browser, "#live-image")[0].get_attribute("src")
    before = (folder / "dongs.toml").read_bytes()
    _typed(browser, wait(browser, "textarea[name=message]")[0], "민원24 가입을\n도와 드립니다")
    src = _new_preview(browser, saved_src)
    assert _download(browser, src) != _download(browser, saved_src)
    assert (folder / "dongs.toml").read_bytes() == before  # previewed, not saved
    # a third line: marked while typing, next to the field
    message = wait(browser, "textarea[name=message]")[0]
    message.send_keys("\n셋째 줄")
    wait(browser, "textarea[aria-invalid=true]")
    note = browser.find_element("id", "err-f-message")
    assert "줄 수가 너무 많습니다" in note.text and note.is_displayed()
    _typed(browser, message, "민원24 가입을\n도와 드립니다")
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text
    assert 'message = "민원24 가입을\\n도와 드립니다"' in (
        folder / "dongs.toml").read_text(encoding="utf-8")


def test_the_preview_refuses_another_dong_and_never_writes(site):
    app, folder = site
    before = _tree(folder)
    client = app.test_client()
    login(client, DONG)
    token = _csrf(client.get("/dong/옥수동").get_data(as_text=True))
    refused = client.post("/dong/송정동/preview", data={"csrf": token, "message": "안녕"})
    assert refused.status_code == 403
    shown = client.post("/dong/옥수동/preview", data={"csrf": token, "message": "안녕하세요"})
    assert shown.status_code == 200 and shown.get_json()["errors"] == []
    assert client.get(shown.get_json()["src"]).data.startswith(b"\x89PNG")
    wrong = client.post("/dong/옥수동/preview", data={"csrf": token, "message": "가" * 51,
                                                      "phone": "전화"})
    assert wrong.status_code == 422
    assert {(e["id"], e["label"]) for e in wrong.get_json()["errors"]} == {
        ("f-phone", "옥수동 · 전화번호"), ("f-message", "옥수동 · 안내 문구")}
    assert client.post("/fees/preview", data={"csrf": token}).status_code == 403  # 관리자 only
    assert _tree(folder) == before
