"""Issue 16's "must show" items that no other test showed whole: the budget chart
follows a quantity typed on the production page (real Chromium), a content file
saved by 메모장 (UTF-8 BOM, CR LF) builds, and a backup taken while staff save
restores into an empty folder as the state it caught."""

from __future__ import annotations

import shutil
import threading
import zipfile

import pytest

from leaflets.budget import Pricer, thousand_won
from leaflets.cli import main
from leaflets.content import load_content
from leaflets.editing import StaleEdit, file_version, save_content
from leaflets.ledger import Ledger
from leaflets.production import load_production
from leaflets.project import DEFAULT_DATA
from leaflets.shared import Busy
from leaflets.users import UserStore
from tests.conftest import read_pages
from tests.test_backup import DATA, _backup, _files, office  # noqa: F401 (fixture)
from tests.test_web import ADMIN, live_site, site, submit, wait  # noqa: F401 (fixtures)
from tests.test_web_production import _login, _type


def _chart(browser, base):
    """The budget page's chart: per bar, its label text and its bars' widths."""
    from selenium.webdriver.common.by import By

    browser.get(base + "/budget")
    wait(browser, "svg.chart g.bar")
    return [(group.text,
             float(group.find_element(By.CSS_SELECTOR, "rect.allocation").get_attribute("width")),
             float(group.find_element(By.CSS_SELECTOR, "rect.cost").get_attribute("width")))
            for group in browser.find_elements(By.CSS_SELECTOR, "svg.chart g.bar")]


def test_a_quantity_typed_on_the_page_changes_the_budget_chart(live_site, browser):  # noqa: F811
    base, root = live_site
    _login(browser, base, "/budget")
    before = _chart(browser, base)
    browser.get(base + "/production")
    _type(browser, "runs[1].quantity", "20,000")
    submit(browser)
    wait(browser, ".ok")
    after = _chart(browser, base)

    check = Pricer(load_production(root / "production.toml"),
                   load_content(root / "minwon24.toml")).check()
    pocket = next(i for i, run in enumerate(check.runs) if run.run.product == "pocket")
    assert check.runs[pocket].run.quantity == 20_000
    # The pocket bar and the total bar now carry the new cost, as words and as length.
    assert f"비용 {thousand_won(check.runs[pocket].total)}" in after[pocket][0]
    assert f"비용 {thousand_won(check.total)}" in after[-1][0]
    assert after[pocket][0] != before[pocket][0] and after[-1][0] != before[-1][0]
    assert after[pocket][2] > before[pocket][2]  # more copies cost more: a longer bar
    scale = after[-1][1] / check.allocation  # the allocation bars keep their length
    assert after[pocket][2] == pytest.approx(check.runs[pocket].total * scale,
                                                           abs=0.1)
    others = [i for i in range(len(check.runs)) if i != pocket]
    assert [after[i][0] for i in others] == [before[i][0] for i in others]


def test_a_content_file_saved_by_notepad_builds(tmp_path, capsys):
    text = DEFAULT_DATA.read_text(encoding="utf-8").replace("\n", "\r\n")
    data = tmp_path / "minwon24.toml"
    data.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    saved = data.read_bytes()
    doc_fees = load_content(data).fees
    assert doc_fees == load_content(DEFAULT_DATA).fees  # read as the plain file is
    out = tmp_path / "dist"
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0, capsys.readouterr().err
    back = read_pages((out / "pocket.pdf").read_bytes())[1]
    fee = doc_fees[1]
    assert any(line.startswith(f"{fee.document} {fee.counter:,}원") for line in back.lines)
    poster = read_pages((out / "print" / "poster-a4.pdf").read_bytes())[0].text
    assert all(f.document in poster for f in doc_fees)
    assert data.read_bytes() == saved  # the build reads the file, never rewrites it


def test_a_backup_taken_while_saving_restores_into_an_empty_folder(office, tmp_path,  # noqa: F811
                                                                   capsys):
    path = office / "minwon24.toml"
    content = load_content(path)
    fees = [{"document": f.document, "counter": f.counter, "kiosk": f.kiosk,
             "online": f.online} for f in content.fees]
    written = {path.read_bytes()}
    stop = threading.Event()

    def saver():
        counter = 0
        while not stop.is_set():
            counter += 1
            fees[0]["counter"] = 1000 + counter % 90
            try:
                save_content(path, file_version(path), [dict(f) for f in fees],
                             list(content.howto.steps), content.howto.note)
                written.add(path.read_bytes())
            except (StaleEdit, Busy):
                pass

    thread = threading.Thread(target=saver)
    thread.start()
    try:
        archives = [tmp_path / f"while-saving-{n}.zip" for n in range(3)]
        for archive in archives:
            assert _backup(office, archive) == 0
    finally:
        stop.set()
        thread.join()
    assert len(written) > 1  # the saves did run during the backups
    capsys.readouterr()

    office_files = _files(office)
    office_orders = Ledger(office / "orders.sqlite").orders()
    office_users = [(u.name, u.role, u.dong)
                    for u in UserStore(office / "instance" / "users.sqlite").users()]
    for number, archive in enumerate(archives):
        restored = tmp_path / f"restored-{number}"
        assert main(["restore", str(archive), "--into", str(restored)]) == 0
        after = _files(restored)
        with zipfile.ZipFile(archive) as opened:
            caught = opened.read("minwon24.toml")
        assert after["minwon24.toml"] == caught and caught in written  # a whole version
        load_content(restored / "minwon24.toml")
        for name in (*DATA[1:], "images/옥수동-abc.png", "instance/secret_key"):
            assert after[name] == office_files[name], name  # byte for byte
        assert Ledger(restored / "orders.sqlite").orders() == office_orders
        users = UserStore(restored / "instance" / "users.sqlite")
        assert [(u.name, u.role, u.dong) for u in users.users()] == office_users
        assert users.log_in("주무관", "admin-password-1", "127.0.0.1") is not None
        shutil.rmtree(restored)
