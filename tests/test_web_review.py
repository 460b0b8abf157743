"""What the office pages do with the cases a review found: a 동 name too long for the
SMS marks the 주민센터 input, a hand-broken data file is explained on the page meant to
fix it, a 동 담당자 gets their own edition's 소식지 block, and the package page and the
결재 PDF compare with the same earlier version (Flask's test client, real files)."""

from __future__ import annotations

import datetime
import hashlib
import json
import re

import tomlkit

from leaflets.content import load_content
from leaflets.ledger import Ledger, OrderLine, RunLine, bundle_hash, default_ledger
from tests.conftest import read_pages
from tests.test_web import ADMIN, DONG, _csrf, _version, login, site  # noqa: F401 (fixtures)
from tests.test_web_home_media import _set_fee

LONG_CENTRE = "성동구옥수동주민센터민원여권발급전용창구"  # 20 characters: the form's limit


def test_a_centre_too_long_for_the_sms_marks_the_centre_input_in_korean(site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, DONG)
    before = (folder / "dongs.toml").read_bytes()
    html = client.get("/dong/옥수동").get_data(as_text=True)
    response = client.post("/dong/옥수동", data={
        "csrf": _csrf(html), "version": _version(html), "centre": LONG_CENTRE})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    field = re.search(r'<input [^>]*id="f-centre"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and LONG_CENTRE in field  # kept as typed
    said = re.search(r'<span class="field-error" id="err-f-centre">(.*?)</span>', page).group(1)
    assert "90바이트를 12바이트 넘습니다" in said and "한글 14자" in said
    assert "옥수동 · 주민센터 이름" in page
    texts = re.sub(r"<[^>]*>", "", page)  # what the page says, without its markup
    assert "dongs[" not in texts and "centre" not in texts
    assert (folder / "dongs.toml").read_bytes() == before


def _break_phone(folder):
    path = folder / "dongs.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    row = next(row for row in doc["dongs"] if row["name"] == "옥수동")
    row["phone"] = "전화 없음"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def test_the_dongs_own_home_names_its_wrong_field_as_the_form_does(site):  # noqa: F811
    app, folder = site
    _break_phone(folder)
    client = app.test_client()
    login(client, DONG)
    page = client.get("/").get_data(as_text=True)
    assert "전화번호: 전화번호 형식이 틀렸습니다" in page and "전화 없음" in page
    assert "phone" not in page and "dongs[" not in page


def _problem_item(page: str, css: str) -> str:
    return re.search(rf'<li class="{css}">(.*?)</li>', page, re.S).group(1)


def test_a_hand_broken_content_file_is_the_homes_first_to_do(site):  # noqa: F811
    app, folder = site
    path = folder / "minwon24.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["fees"][0]["counter"] = -5
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    client = app.test_client()
    login(client, ADMIN)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    item = _problem_item(page, "broken-file")
    assert "minwon24.toml" in item and "fees[1].counter" in item and "-5" in item
    assert str(folder) not in page

    path.write_text("[service\nname = 1\n", encoding="utf-8")  # a TOML syntax error
    page = client.get("/").get_data(as_text=True)
    assert "minwon24.toml:1" in _problem_item(page, "broken-file")


def test_a_hand_broken_production_file_is_explained_and_not_offered_as_a_form(
        site):  # noqa: F811
    app, folder = site
    path = folder / "production.toml"
    good = path.read_text(encoding="utf-8")
    client = app.test_client()
    login(client, ADMIN)
    html = client.get("/production").get_data(as_text=True)
    form = {"csrf": _csrf(html), "version": _version(html)}

    path.write_text(good + "\n[[runs]\n", encoding="utf-8")  # a TOML syntax error
    broken = path.read_bytes()
    for response in (client.get("/production"), client.post("/production", data=form)):
        page = response.get_data(as_text=True)
        assert response.status_code in (200, 409)
        alert = re.search(r'<div class="problem" role="alert">(.*?)</div>', page, re.S).group(1)
        assert "production.toml:" in alert and "leaflets check" in alert
        assert 'class="production"' not in page  # no form to save over the file with
    assert path.read_bytes() == broken
    home = client.get("/").get_data(as_text=True)
    assert "production.toml" in _problem_item(home, "broken-file")

    doc = tomlkit.parse(good)  # a wrong value: the file, the field and the value
    doc["runs"][0]["quantity"] = -3
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    page = client.get("/production").get_data(as_text=True)
    alert = re.search(r'<div class="problem" role="alert">(.*?)</div>', page, re.S).group(1)
    assert "production.toml" in alert and "runs[1].quantity" in alert and "-3" in alert


def test_a_build_of_another_production_file_is_not_current(site):  # noqa: F811
    app, folder = site
    content = load_content(folder / "minwon24.toml")
    production = folder / "production.toml"
    (folder / "dist").mkdir()
    (folder / "dist" / "manifest.json").write_text(json.dumps({
        "data_sha256": content.sha256, "artifacts": [],
        "production_sha256": hashlib.sha256(production.read_bytes()).hexdigest()}))
    client = app.test_client()
    login(client, ADMIN)
    last = re.search(r'<section class="last-build">(.*?)</section>',
                     client.get("/").get_data(as_text=True), re.S).group(1)
    assert "지금 내용과 같습니다" in last

    doc = tomlkit.parse(production.read_text(encoding="utf-8"))
    doc["runs"][0]["quantity"] += 1000  # more sheets to impose: the build is stale
    production.write_text(tomlkit.dumps(doc), encoding="utf-8")
    page = client.get("/").get_data(as_text=True)
    last = re.search(r'<section class="last-build">(.*?)</section>', page, re.S).group(1)
    assert "지금 내용과 다릅니다" in last
    assert "지난 빌드가 지금 내용과 다릅니다" in _problem_item(page, "stale-build")


def _built_newsletters(folder, *, edition_listed=True):
    """A build's 구 소식지 block and 옥수동's, as a build leaves them."""
    out = folder / "dist"
    gu, own = b"%PDF-1.6 gu newsletter\n%%EOF\n", b"%PDF-1.6 oksu newsletter\n%%EOF\n"
    (out / "media" / "print").mkdir(parents=True)
    (out / "media" / "print" / "newsletter.pdf").write_bytes(gu)
    (out / "dongs" / "옥수동" / "media" / "print").mkdir(parents=True)
    (out / "dongs" / "옥수동" / "media" / "print" / "newsletter.pdf").write_bytes(own)
    from leaflets.dongs import load_dongs

    listed = ["media/print/newsletter.pdf"]
    if edition_listed:
        listed.append("dongs/옥수동/media/print/newsletter.pdf")
    (out / "manifest.json").write_text(json.dumps({
        "data_sha256": load_content(folder / "minwon24.toml").sha256,
        "dongs_sha256": load_dongs(folder / "dongs.toml").sha256,
        "artifacts": [{"path": path} for path in listed]}))
    return gu, own


def test_a_dong_user_gets_their_editions_newsletter_and_the_page_says_so(site):  # noqa: F811
    app, folder = site
    gu, own = _built_newsletters(folder)
    admin, dong = app.test_client(), app.test_client()
    login(admin, ADMIN)
    login(dong, DONG)
    assert admin.get("/media/print/newsletter.pdf").data == gu
    response = dong.get("/media/print/newsletter.pdf")
    assert response.status_code == 200 and response.data == own
    page = dong.get("/media").get_data(as_text=True)
    assert "구 전체용" not in page and "옥수동</strong> 매체" in page
    section = re.search(r'<section class="medium print-newsletter">(.*?)</section>', page,
                        re.S).group(1)
    assert "옥수동 판" in section and "지금 내용과 다른 빌드" not in section
    assert "구 전체용" in admin.get("/media").get_data(as_text=True)


def test_an_edition_file_the_manifest_does_not_list_is_not_served(site):  # noqa: F811
    app, folder = site
    _built_newsletters(folder, edition_listed=False)
    client = app.test_client()
    login(client, DONG)
    assert client.get("/media/print/newsletter.pdf").status_code == 404  # not the 구's
    page = client.get("/media").get_data(as_text=True)
    assert "관리자가 이 동을 넣어 leaflets build 를 한 뒤" in page


def _order(folder, dong=None) -> int:
    data, production = folder / "minwon24.toml", folder / "production.toml"
    content = load_content(data)
    line = OrderLine(None, datetime.date(2025, 3, 1), f"20250301-{content.sha256[:8]}",
                     content.sha256, 100_000, 10_000, 110_000,
                     (RunLine("pocket", 1000, "국전지", 32, 40, 110_000),),
                     data.read_bytes(),
                     bundle_hash(data.read_bytes(), production.read_bytes(), dong), dong=dong)
    with Ledger(default_ledger(production)).transaction() as book:
        number = book.record(line)
        book.commit()
    return number


def test_package_page_and_approval_compare_with_the_last_gu_order_not_a_dongs(
        site):  # noqa: F811
    app, folder = site
    client = app.test_client()
    login(client, ADMIN)
    page = client.get("/package").get_data(as_text=True)
    assert "비교할 이전 내용이 없습니다" in page
    gu = _order(folder)
    _set_fee(folder, 1200)
    _order(folder, dong="옥수동")  # a 동's own order of the new content: not the baseline
    page = client.get("/package").get_data(as_text=True)
    heading = re.search(r'<h2 class="since">(.*?)</h2>', page).group(1)
    assert heading == f"발주 #{gu} (2025-03-01) 내용과 달라진 점"
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    assert any("1,200" in after or after == "1200" for _, _, after in rows), rows

    response = client.get("/fees/approval.pdf")
    assert response.status_code == 200
    text = " ".join(p.text.replace("\n", " ") for p in read_pages(response.data))
    assert f"발주 #{gu}" in text and "1,200" in text
