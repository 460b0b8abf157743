"""The production page: a 관리자 edits production.toml in a real browser; the budget
follows, every wrong value is marked at once with the input kept, parallel saves of one
version save exactly one, and the file keeps every comment."""

from __future__ import annotations

import difflib
import re
from concurrent.futures import ThreadPoolExecutor

from leaflets.production import load_production
from tests.test_shared import Client, folder, server  # noqa: F401 (fixtures)
from tests.test_web import ADMIN, live_site, site, submit, wait  # noqa: F401 (fixtures)


def _login(browser, base, path):
    from selenium.webdriver.common.by import By

    browser.get(base + path)
    browser.find_element(By.NAME, "name").send_keys(ADMIN[0])
    browser.find_element(By.NAME, "password").send_keys(ADMIN[1])
    submit(browser, "button[type=submit]")


def _type(browser, name, text):
    from selenium.webdriver.common.by import By

    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def _budget_cells(browser, base):
    from selenium.webdriver.common.by import By

    browser.get(base + "/budget")
    wait(browser, "table.budget")
    return [row.text for row in browser.find_elements(
        By.CSS_SELECTOR, "table.budget:not(.orders) tbody tr")]


def test_a_quantity_changed_on_the_page_changes_the_budget_table(live_site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, root = live_site
    _login(browser, base, "/budget")
    before = _budget_cells(browser, base)
    browser.get(base + "/production")
    _type(browser, "runs[1].quantity", "20,000")
    submit(browser)
    assert "저장했습니다" in browser.find_element(By.CSS_SELECTOR, ".ok").text
    assert load_production(root / "production.toml").run("pocket").quantity == 20_000
    after = _budget_cells(browser, base)
    assert after != before
    assert any("20,000" in row for row in after) and not any("20,000" in r for r in before)


def test_two_bad_values_are_both_marked_and_kept_as_typed(live_site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, root = live_site
    path = root / "production.toml"
    saved = path.read_bytes()
    _login(browser, base, "/production")
    _type(browser, "runs[1].quantity", "만 부")
    _type(browser, "runs[2].overs_percent", "80")
    submit(browser)
    wrong = browser.find_elements(By.CSS_SELECTOR, "tr.wrong")
    assert len(wrong) == 2
    notes = [row.find_element(By.CSS_SELECTOR, ".error").text for row in wrong]
    assert notes[0].startswith("포켓용 리플릿 · 주문 부수: 숫자가 아닙니다")
    assert notes[1].startswith("A4 포스터 · 여분(파지) %: 범위를 벗어났습니다")
    assert "0~50" in notes[1]
    assert browser.find_element(By.NAME, "runs[1].quantity").get_attribute("value") == "만 부"
    assert browser.find_element(By.NAME, "runs[2].overs_percent").get_attribute("value") == "80"
    assert "2개" in browser.find_element(By.CSS_SELECTOR, ".problem").text
    assert path.read_bytes() == saved  # nothing written
    browser.save_screenshot(str(root / "production-errors.png"))


def _form(html: str) -> dict:
    form = dict(re.findall(r'<input type="(?:text|date)" id="[^"]+" name="([^"]+)" value="([^"]*)"',
                           html))
    form.update(re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="(on)" '
                           r'checked', html))
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>',
                                    html, re.S):
        form[name] = re.search(r'<option value="([^"]*)" selected', options).group(1)
    form["csrf"] = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    form["version"] = re.search(r'name="version" value="([0-9a-f]{64})"', html).group(1)
    return form


def test_parallel_saves_of_one_version_save_exactly_one(server, folder):  # noqa: F811
    clients = [Client(server).login() for _ in range(8)]
    forms = []
    for number, client in enumerate(clients):
        form = _form(client.get("/production"))
        form["runs[1].quantity"] = str(11_000 + number)
        forms.append(form)
    assert len({form["version"] for form in forms}) == 1
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda pair: pair[0].post("/production", pair[1]),
                                zip(clients, forms, strict=True)))
    saved = [n for n, (status, page) in enumerate(answers)
             if status == 200 and "저장했습니다" in page]
    stale = [n for n, (status, page) in enumerate(answers)
             if status == 409 and "다른 사람이 저장했습니다" in page]
    assert len(saved) == 1 and len(stale) == 7, [status for status, _ in answers]
    for number in stale:  # each refused user sees what they typed, beside the field
        assert f"포켓용 리플릿 · 주문 부수 {11_000 + number}" in answers[number][1]
        assert f"내 입력(저장 안 됨): {11_000 + number}" in answers[number][1]
    production = load_production(folder / "production.toml")
    assert production.run("pocket").quantity == 11_000 + saved[0]


def test_a_save_keeps_every_comment_byte_for_byte(server, folder):  # noqa: F811
    path = folder / "production.toml"
    before = path.read_text(encoding="utf-8")
    client = Client(server).login()
    form = _form(client.get("/production"))
    form["runs[2].quantity"] = "6000"
    form["order.contact"] = "주무관 홍길동 02-2286-0000"
    status, page = client.post("/production", form)
    assert status == 200 and "저장했습니다" in page
    after = path.read_text(encoding="utf-8")
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
               if line[:1] in "+-"]
    assert changed == [
        '- contact = ""                  # 꼭 적기: 담당자·연락처 (예: "주무관 ○○○ 02-0000-0000")',
        '+ contact = "주무관 홍길동 02-2286-0000"                  # 꼭 적기: 담당자·연락처 '
        '(예: "주무관 ○○○ 02-0000-0000")',
        "- quantity = 5000",
        "+ quantity = 6000",
    ]
    assert (folder / "production.toml.prev").read_text(encoding="utf-8") == before
