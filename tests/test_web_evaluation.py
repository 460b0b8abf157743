"""동별 평가 on the web: the 관리자 uploads the two files and sees what `leaflets evaluate`
says (table, chart, PDF); a 동 담당자 sees their own score only and adds activities
that land even when two 동 add at once; another 동's data is never reachable."""

from __future__ import annotations

import contextlib
import hashlib
import http.cookiejar
import json
import os
import re
import threading
import urllib.parse
import urllib.request

import pytest

from leaflets.cli import main
from leaflets.dongs import DONG_NAMES
from leaflets.evaluation_store import load, scores
from leaflets.project import ROOT
from leaflets.users import UserStore
from tests.conftest import read_pages
from tests.test_shared import small_disk  # noqa: F401
from tests.test_web import ADMIN, DONG, _csrf, live_site, login, site, submit, wait  # noqa: F401

EXAMPLES = ROOT / "examples" / "evaluation"
COUNTS, ACTIVITIES = EXAMPLES / "실적.csv", EXAMPLES / "활동.csv"
GU = "407398,362095,23455"
SONGJEONG = ("송정동담당", "dong-password-2")


def _cli_scores(capsys) -> dict[str, dict]:
    """{동: its row} as `leaflets evaluate --format json` gives them for the examples."""
    assert main(["evaluate", "--counts", str(COUNTS), "--activities", str(ACTIVITIES),
                 "--year", "2015", "--gu", GU, "--format", "json"]) == 0
    return {row["dong"]: row for row in json.loads(capsys.readouterr().out)["dongs"]}


def _upload(client, counts=None, activities=None, year="2015", version=None):
    page = client.get("/evaluation").get_data(as_text=True)
    form = {"csrf": _csrf(page), "year": year, "gu": GU,
            "version": version or re.search(r'name="version" value="([0-9a-f]{64})"',
                                            page).group(1),
            "counts": (counts or COUNTS).open("rb") if not isinstance(counts, tuple)
            else counts,
            "activities": (activities or ACTIVITIES).open("rb")
            if not isinstance(activities, tuple) else activities}
    return client.post("/evaluation", data=form, content_type="multipart/form-data")


def _add(client, name, date, indicator, text, dong=None):
    page = client.get(f"/evaluation/dong/{name}").get_data(as_text=True)
    return client.post(f"/evaluation/dong/{name}", data={
        "csrf": _csrf(page), "dong": dong or name, "date": date, "indicator": indicator,
        "text": text})


def _stored(folder) -> dict[str, bytes]:
    evaluation = folder / "evaluation"
    return {p.name: p.read_bytes() for p in sorted(evaluation.glob("*"))
            if p.is_file() and not p.name.startswith(".")} if evaluation.is_dir() else {}


def _log_in(browser, base, who, path):
    from selenium.webdriver.common.by import By

    browser.get(base + path)
    browser.find_element(By.NAME, "name").send_keys(who[0])
    browser.find_element(By.NAME, "password").send_keys(who[1])
    submit(browser, "button[type=submit]")


def test_admin_uploads_the_examples_and_sees_the_commands_scores_and_chart(
        live_site, browser, capsys):  # noqa: F811
    from selenium.webdriver.common.by import By

    base, folder = live_site
    expected = _cli_scores(capsys)
    _log_in(browser, base, ADMIN, "/evaluation")
    browser.find_element(By.NAME, "counts").send_keys(str(COUNTS))
    browser.find_element(By.NAME, "activities").send_keys(str(ACTIVITIES))
    year = browser.find_element(By.NAME, "year")
    year.clear()
    year.send_keys("2015")
    browser.find_element(By.NAME, "gu").send_keys(GU)
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text

    # Every 동 once, with the command's rank, points and total, in its order.
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "table.ranking tbody tr")]
    assert sorted(row[1] for row in rows) == sorted(DONG_NAMES)
    assert [row[1] for row in rows] == list(expected)
    for rank, dong, _, _, rate, use, promotion, special, total in rows:
        want = expected[dong]
        assert (rank, use, promotion, special, total) == (
            f"{want['rank']}위", str(want["use"]), str(want["promotion"]),
            str(want["special"]), str(want["total"])), dong
        assert rate == f"{want['rate']:.1f}%"
    # Numbers right-aligned: in each numeric column the texts' right edges line up.
    for column in range(3, 10):
        cells = browser.find_elements(By.CSS_SELECTOR,
                                      f"table.ranking tbody td:nth-child({column})")
        edges = {round(browser.execute_script(
            "const r = document.createRange(); r.selectNodeContents(arguments[0]);"
            "return r.getBoundingClientRect().right;", cell)) for cell in cells}
        assert max(edges) - min(edges) <= 1, (column, edges)

    # The server-made SVG: one bar per 동, its stacked sections as long as its points.
    # The server-made SVG: one bar per 동, its length the 동's total.
    bars = browser.find_elements(By.CSS_SELECTOR, ".eval-chart svg g.bar")
    assert len(bars) == 17
    assert {bar.get_attribute("data-dong"): int(bar.get_attribute("data-total"))
            for bar in bars} == {dong: row["total"] for dong, row in expected.items()}
    full = 130  # viewBox units of 100 points (evaluation_report.chart_svg)
    for bar in bars:
        row = expected[bar.get_attribute("data-dong")]
        widths = sum(float(rect.get_attribute("width"))
                     for rect in bar.find_elements(By.TAG_NAME, "rect"))
        assert widths == pytest.approx(full * row["total"] / 100, abs=0.01)
    assert "구 전체 신청율 51.4%" in browser.find_element(By.CSS_SELECTOR, "p.gu").text
    notes = browser.find_element(By.TAG_NAME, "main").text
    assert "평가 기간(2015-01-01~2015-11-30) 밖이라 뺐습니다" in notes
    assert {p.name for p in (folder / "evaluation").iterdir() if not p.name.startswith(".")} \
        == {"실적.csv", "활동.csv", "설정.toml"}


def test_the_pdf_download_is_the_reports_bytes_with_every_dongs_total(site, renderer, capsys,  # noqa: F811
                                                                     monkeypatch):
    from leaflets.evaluation_io import ledger_orders
    from leaflets.evaluation_report import report_pdf
    from leaflets.ledger import Ledger, default_ledger

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    app, folder = site
    expected = _cli_scores(capsys)
    client = app.test_client()
    login(client, ADMIN)
    assert _upload(client).status_code == 200
    response = client.get("/evaluation/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.text for page in read_pages(response.data))
    for dong, row in expected.items():
        assert re.search(rf"{dong}\s.*?\s{row['total']}\b", text), dong
    inputs = load(folder / "minwon24.toml")
    orders = ledger_orders(Ledger(default_ledger(folder / "production.toml")))
    assert response.data == report_pdf(scores(inputs, orders), renderer, "2025-11-24")


BAD = {
    "counts": ('동,민원24_신청건수,주민등록창구_처리건수\n왕십리도선동,많음,100\n'
               '사근동,-5,0\n').encode("cp949"),
    "activities": "동,날짜,지표,내용\n옥수동,2015-02-30,홍보,전단\n".encode(),
}


def test_a_bad_upload_shows_every_error_by_row_and_column_and_stores_nothing(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    assert _upload(client).status_code == 200
    before = _stored(folder)
    response = _upload(client, counts=(_bytes(BAD["counts"]), "2015실적.csv"),
                       activities=(_bytes(BAD["activities"]), "활동.csv"))
    assert response.status_code == 400
    page = re.sub(r"<[^>]+>", "", response.get_data(as_text=True)).replace("&#39;", "'")
    for where, column, value in (("2015실적.csv:2", "민원24_신청건수", "많음"),
                                 ("2015실적.csv:3", "민원24_신청건수", "-5"),
                                 ("2015실적.csv:3", "주민등록창구_처리건수", "0"),
                                 ("활동.csv:2", "날짜", "2015-02-30"),
                                 ("활동.csv:2", "지표", "홍보")):
        assert re.search(rf"{re.escape(where)}: '{column}' 항목 오류 — [^\n]*'{re.escape(value)}'",
                         page), (where, column)
    assert "없는 동이 15곳" in page and "저장하지 않았습니다" in page
    assert _stored(folder) == before
    assert "folder" not in page and str(folder) not in page  # no server paths


def _bytes(data: bytes):
    import io

    return io.BytesIO(data)


def test_a_dong_sees_only_its_own_score_and_its_activity_raises_its_points(
        live_site, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, folder = live_site
    admin = _admin_upload(base)
    assert admin
    _log_in(browser, base, DONG, "/evaluation/dong/옥수동")
    score = wait(browser, "#score")[0]
    main_text = browser.find_element(By.TAG_NAME, "main").text
    assert "1위 / 17개 동" in score.text
    assert all(name not in main_text for name in DONG_NAMES if name != "옥수동")
    promotion = browser.find_element(By.CSS_SELECTOR, "tr.promotion td.num").text
    total = browser.find_element(By.CSS_SELECTOR, "tr.sum td.num").text
    assert (promotion, total) == ("12점", "82점")
    assert "주민대상 교육 0회 → 0점" in score.text

    browser.find_element(By.NAME, "date").send_keys("06012015")  # the date picker, mm dd yyyy
    Select(browser.find_element(By.NAME, "indicator")).select_by_value("주민교육")
    browser.find_element(By.NAME, "text").send_keys("경로당 민원24 교육")
    submit(browser)
    assert "활동을 추가했습니다" in wait(browser, "[role=status]")[0].text
    assert browser.find_element(By.CSS_SELECTOR, "tr.promotion td.num").text == "14점"
    assert browser.find_element(By.CSS_SELECTOR, "tr.sum td.num").text == "84점"
    stored = (folder / "evaluation" / "활동.csv").read_bytes().decode("utf-8-sig")
    assert stored.endswith("옥수동,2015-06-01,주민교육,경로당 민원24 교육\r\n")

    # The nav leads the 동 to its own evaluation; the 관리자's pages are closed to it.
    link = browser.find_element(By.LINK_TEXT, "옥수동 평가")
    assert link.get_attribute("href").endswith("/evaluation/dong/%EC%98%A5%EC%88%98%EB%8F%99")
    browser.get(base + "/evaluation")
    assert "권한이 없습니다" in browser.find_element(By.TAG_NAME, "main").text


def _admin_upload(base) -> bool:
    """Upload the examples as the 관리자 over HTTP (no browser needed)."""
    opener = _opener(base, ADMIN)
    page = opener.open(base + "/evaluation").read().decode()
    version = re.search(r'name="version" value="([0-9a-f]{64})"', page).group(1)
    boundary = "----evaluation-test"
    parts = []
    for key, value in (("csrf", _csrf(page)), ("version", version), ("year", "2015"),
                       ("gu", GU)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for key, path in (("counts", COUNTS), ("activities", ACTIVITIES)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                     f'filename="{key}.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                     + path.read_bytes() + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/evaluation", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    return opener.open(request).status == 200


def _opener(base, who):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base + "/login").read().decode()
    opener.open(base + "/login", urllib.parse.urlencode(
        {"csrf": _csrf(page), "name": who[0], "password": who[1]}).encode())
    return opener


def test_two_dongs_adding_at_once_against_the_live_server_both_land(live_site):  # noqa: F811
    base, folder = live_site
    UserStore(folder / "instance" / "users.sqlite").add(*SONGJEONG, "dong", "송정동",
                                                        ["송정동"])
    assert _admin_upload(base)
    each = 6
    start = threading.Barrier(2)
    failures = []

    def add(who, dong):
        opener = _opener(base, who)
        path = base + "/evaluation/dong/" + urllib.parse.quote(dong)
        csrf = _csrf(opener.open(path).read().decode())
        start.wait()
        for number in range(each):
            body = urllib.parse.urlencode({"csrf": csrf, "dong": dong,
                                           "date": f"2015-07-{number + 1:02d}",
                                           "indicator": "특수사업",
                                           "text": f"{dong} 동시 추가 {number}"}).encode()
            try:
                opener.open(path, body)
            except Exception as error:  # noqa: BLE001 — reported below
                failures.append((dong, number, error))

    threads = [threading.Thread(target=add, args=args)
               for args in ((DONG, "옥수동"), (SONGJEONG, "송정동"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    stored = (folder / "evaluation" / "활동.csv").read_text(encoding="utf-8-sig")
    for dong in ("옥수동", "송정동"):
        for number in range(each):
            assert stored.count(f"{dong} 동시 추가 {number}") == 1, (dong, number)
    assert stored.startswith("동,날짜,지표,내용") and stored.count("동,날짜,지표,내용") == 1
    inputs = load(folder / "minwon24.toml")
    assert len(inputs.activities) == 140 + 2 * each


def test_a_dong_never_reaches_another_dongs_evaluation(site):  # noqa: F811
    app, folder = site
    admin = app.test_client()
    login(admin, ADMIN)
    assert _upload(admin).status_code == 200
    client = app.test_client()
    login(client, DONG)
    before = _stored(folder)
    # a form naming another 동, posted to its own page or to the other's
    assert _add(client, "옥수동", "2015-06-01", "주민교육", "남의 동", dong="송정동"
                ).status_code == 403
    page = client.get("/evaluation/dong/옥수동").get_data(as_text=True)
    assert client.post("/evaluation/dong/송정동", data={
        "csrf": _csrf(page), "dong": "송정동", "date": "2015-06-01", "indicator": "주민교육",
        "text": "남의 동"}).status_code == 403
    for path in ("/evaluation/dong/송정동", "/evaluation", "/evaluation/report.pdf",
                 "/evaluation/activities.csv"):
        assert client.get(path).status_code == 403, path
    assert _stored(folder) == before
    assert "송정동" not in re.sub(r"<select.*?</select>", "", page, flags=re.S)


@pytest.mark.parametrize("date, indicator, text, expected", [
    ("2015-12-01", "주민교육", "교육", ["'날짜'", "평가 기간(2015-01-01 ~ 2015-11-30) 밖"]),
    ("2015-02-30", "주민교육", "교육", ["'날짜'", "날짜가 틀렸습니다", "'2015-02-30'"]),
    ("2015-06-01", "홍보", "교육", ["'지표'", "모르는 지표", "'홍보'"]),
    ("2015-11-06", "주민교육", "동 축제 홍보 부스 (예시) 1차",
     ["'지표'", "84행 '지역행사'", "142행 '주민교육'", "중복 적용 불인정"]),
])
def test_a_dongs_bad_activity_is_refused_by_row_and_column(site, date, indicator, text,  # noqa: F811
                                                           expected):
    app, folder = site
    admin = app.test_client()
    login(admin, ADMIN)
    assert _upload(admin).status_code == 200
    client = app.test_client()
    login(client, DONG)
    before = _stored(folder)
    response = _add(client, "옥수동", date, indicator, text)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "활동.csv:142" in page or "활동.csv:143" in page
    for words in expected:
        assert words in page, words
    assert _stored(folder) == before


def test_a_stale_admin_upload_does_not_wipe_a_dongs_new_row(site):  # noqa: F811
    app, folder = site
    admin = app.test_client()
    login(admin, ADMIN)
    assert _upload(admin).status_code == 200
    page = admin.get("/evaluation").get_data(as_text=True)
    seen = re.search(r'name="version" value="([0-9a-f]{64})"', page).group(1)
    client = app.test_client()
    login(client, DONG)
    assert _add(client, "옥수동", "2015-06-01", "주민교육", "방금 추가").status_code == 200
    response = _upload(admin, version=seen)  # the page was loaded before the 동 added
    assert response.status_code == 409
    assert "내려받아 합친 뒤" in response.get_data(as_text=True)
    assert "방금 추가" in (folder / "evaluation" / "활동.csv").read_text(encoding="utf-8-sig")
    merged = admin.get("/evaluation/activities.csv")
    assert "방금 추가" in merged.data.decode("utf-8-sig")
    assert hashlib.sha256(merged.data).hexdigest() != seen


def test_both_roles_find_the_evaluation_from_their_home_page(site):  # noqa: F811
    app, _ = site
    admin, dong = app.test_client(), app.test_client()
    login(admin, ADMIN)
    login(dong, DONG)
    assert 'href="/evaluation"' in admin.get("/").get_data(as_text=True)
    own = "/evaluation/dong/" + urllib.parse.quote("옥수동")
    assert f'href="{own}"' in dong.get("/", follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("year, gu, expected", [
    ("²⁰¹⁵", GU, ["설정.toml: '평가 연도'", "'²⁰¹⁵'"]),
    ("２０１５", GU, ["설정.toml: '평가 연도'", "'２０１５'"]),
    ("2015", "٤٠٧,362095,23455", ["설정.toml: '구 전체 건수'", "٤٠٧"]),
    ("2015", '407398",\nx = "1,362095,23455', ["설정.toml: '구 전체 건수'"]),
])
def test_settings_that_are_not_ascii_figures_are_refused_and_nothing_is_stored(
        site, year, gu, expected):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    response = _post_upload(client, year, gu)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')
    for words in expected:
        assert words in page, words
    assert _stored(folder) == {}
    assert client.get("/evaluation").status_code == 200


def _post_upload(client, year, gu):
    page = client.get("/evaluation").get_data(as_text=True)
    return client.post("/evaluation", data={
        "csrf": _csrf(page), "year": year, "gu": gu, "version": _version_of(page),
        "counts": COUNTS.open("rb"), "activities": ACTIVITIES.open("rb")},
        content_type="multipart/form-data")


def _version_of(page: str) -> str:
    return re.search(r'name="version" value="([0-9a-f]{64})"', page).group(1)


@pytest.mark.parametrize("typed", ["407398\n,362095,23455", " 407,398 / 362,095 / 23,455 "])
def test_the_gu_figures_are_stored_cleaned_as_valid_toml(site, typed):  # noqa: F811
    import tomllib

    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    assert _post_upload(client, "2015", typed).status_code == 200
    settings = tomllib.loads((folder / "evaluation" / "설정.toml").read_text("utf-8"))
    assert settings == {"year": 2015, "gu": "407398,362095,23455"}
    page = client.get("/evaluation")
    assert page.status_code == 200 and "51.4%" in page.get_data(as_text=True)


def test_a_settings_file_broken_by_hand_is_a_page_naming_it(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    assert _upload(client).status_code == 200
    (folder / "evaluation" / "설정.toml").write_text('year = 2015\ngu = "407398\n,1,2"\n',
                                                     encoding="utf-8")
    dong = app.test_client()
    login(dong, DONG)
    for who, path in ((client, "/evaluation"), (dong, "/evaluation/dong/옥수동")):
        response = who.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True).replace("&#39;", "'")
        assert "설정.toml: '(파일)' 항목 오류 — TOML 형식이 틀렸습니다" in page, path
        assert str(folder) not in page
    assert _upload(client).status_code == 200  # a new upload mends it
    assert "TOML 형식" not in client.get("/evaluation").get_data(as_text=True)


def test_a_full_disk_during_an_upload_leaves_the_previous_set_whole(small_disk):  # noqa: F811
    """The disk fills up after 활동.csv would have been written: the three files stay
    the previous set, and no temporary file is left."""
    from leaflets.errors import OutputError
    from leaflets.evaluation_store import check_upload, store_upload
    from leaflets.shared import version

    data = small_disk / "minwon24.toml"
    first = check_upload(COUNTS.read_bytes(), ACTIVITIES.read_bytes(), "2015", GU)
    store_upload(data, first, version(b""))
    before = _stored(small_disk)
    more = ACTIVITIES.read_bytes() + "옥수동,2015-06-01,주민교육,디스크가 찰 때 교육\r\n".encode()
    second = check_upload(COUNTS.read_bytes(), more, "2014", "")
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as stream, contextlib.suppress(OSError):
        while True:  # fill the disk to the last block
            stream.write(b"\0" * 4096)
    # room for 활동.csv and its .prev (and a page more), not for all three and theirs
    room = 2 * (len(second["활동.csv"]) // 4096 + 1) * 4096 + 4096
    os.truncate(filler, filler.stat().st_size - room)
    with pytest.raises(OutputError, match="디스크 공간이 부족합니다"):
        store_upload(data, second, version(before["활동.csv"]))
    assert _stored(small_disk) == before
    assert [p.name for p in (small_disk / "evaluation").iterdir()
            if p.name.endswith(".tmp")] == []
    assert load(data).year == 2015
    filler.unlink()
    store_upload(data, second, version(before["활동.csv"]))  # room again: the new set
    assert load(data).year == 2014 and load(data).activities[-1].text.startswith("디스크")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","열기")', "+1+1", "-2+3", "@SUM(1)",
                                  "\t=1+1"])
def test_a_dongs_activity_that_a_spreadsheet_would_run_is_refused(site, text):  # noqa: F811
    app, folder = site
    admin = app.test_client()
    login(admin, ADMIN)
    assert _upload(admin).status_code == 200
    client = app.test_client()
    login(client, DONG)
    before = _stored(folder)
    response = _add(client, "옥수동", "2015-06-01", "주민교육", text)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "활동.csv:142: '내용' 항목 오류" in page and "수식" in page
    assert _stored(folder) == before


def test_an_upload_with_a_formula_in_an_activity_is_refused(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    activities = ACTIVITIES.read_bytes() + '옥수동,2015-06-01,주민교육,"=1+1"\r\n'.encode()
    response = _upload(client, activities=(_bytes(activities), "활동.csv"))
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "활동.csv:142: '내용' 항목 오류" in page and "'=1+1'" in page
    assert _stored(folder) == {}


def test_the_dong_page_states_the_rules_with_the_scoring_constants(site, monkeypatch):  # noqa: F811
    import leaflets.evaluation
    import leaflets.web.evaluation

    for module in (leaflets.evaluation, leaflets.web.evaluation):
        for name, value in (("PROMOTION_POINTS", 3), ("PROMOTION_CAP", 24),
                            ("SPECIAL_POINTS", 4), ("SPECIAL_CAP", 8)):
            monkeypatch.setattr(module, name, value)
    app, _ = site
    client = app.test_client()
    login(client, ADMIN)
    assert _upload(client).status_code == 200
    login(client, DONG)
    text = re.sub(r"<[^>]+>", " ", client.get("/evaluation/dong/옥수동").get_data(as_text=True))
    assert "지표마다 1회 3점, 2회까지, 모두 24점까지" in text
    assert "건당 4점, 8점까지" in text
    points = [int(n) for n in re.findall(r"→ (\d+)점", text)]
    promotion = int(re.search(r"홍보·교육\s+(\d+)점", text).group(1))
    assert sum(points) == promotion and promotion % 3 == 0 and promotion > 0


def test_a_dong_of_extra_names_has_its_evaluation_page(site):  # noqa: F811
    app, folder = site
    dongs = folder / "dongs.toml"
    dongs.write_text('extra_names = ["새싹동"]\n' + dongs.read_text("utf-8")
                     + '\n[[dongs]]\nname = "새싹동"\n', encoding="utf-8")
    client = app.test_client()
    login(client, ADMIN)
    assert _upload(client).status_code == 200
    response = client.get("/evaluation/dong/새싹동")
    assert response.status_code == 200
    assert "실적.csv에 새싹동 줄이 없어" in response.get_data(as_text=True)
    assert client.get("/evaluation/dong/없는동").status_code == 404


def test_stored_evaluation_figures_are_never_committed():
    import subprocess

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert subprocess.run(["git", "check-ignore", "-q", "evaluation/실적.csv"],
                          cwd=ROOT).returncode == 0
