"""The 결재 PDF from the fees page, downloaded by a real Chromium: after a fee is
saved, it compares the content with the copy the save kept (no order yet)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from leaflets.budget import Pricer, report_rows
from leaflets.content import load_content
from leaflets.production import load_production
from tests.conftest import read_pages
from tests.test_web import ADMIN, live_site, site, submit, wait  # noqa: F401 (fixtures)


def test_the_fees_page_downloads_the_approval_pdf(live_site, browser, tmp_path):  # noqa: F811
    base, folder = live_site
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    browser.get(base + "/fees")
    browser.find_element(By.NAME, "name").send_keys(ADMIN[0])
    browser.find_element(By.NAME, "password").send_keys(ADMIN[1])
    submit(browser, "button[type=submit]")
    counter = wait(browser, "input[name=counter]")[0]
    counter.clear()
    counter.send_keys("700")
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text

    wait(browser, "p.approval a")[0].click()

    def downloaded(_):
        done = [p for p in downloads.iterdir() if p.suffix == ".pdf"]
        return done[0] if done else None

    pdf = WebDriverWait(browser, 240, poll_frequency=0.5).until(downloaded).read_bytes()
    pages = read_pages(pdf)
    text = " ".join(page.text.replace("\n", " ") for page in pages)
    lines = [line for page in pages for line in page.lines]
    assert any("주민등록 등초본 · 민원창구" in line and "400원" in line and "700원" in line
               for line in lines)
    assert "직전 저장 전 내용" in text
    for title in ("A4 포스터 (붙임 2-가) 1쪽", "포켓용 리플릿 (붙임 2-나) 2쪽"):
        assert title in text
    assert text.count("변경 전") >= 3 and text.count("변경 후") >= 3
    check = Pricer(load_production(folder / "production.toml"),
                   load_content(folder / "minwon24.toml")).check()
    for label, values, total in report_rows(check)[1:]:
        assert label in text and all(value in text for value in [*values, total])
