"""Shared data files under concurrent use, crashes and a full disk.

Every save goes through ``leaflets.shared``; these tests drive it the way the
offices do: parallel requests against the live server on 127.0.0.1 (bounded
in count), real processes killed mid-write, a real full filesystem.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import tomllib
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from leaflets.content import load_content
from leaflets.dongs import load_dongs
from leaflets.editing import dong_version, save_content, save_dong
from leaflets.errors import OutputError
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.shared import Busy, StaleEdit, file_version, locked, update
from leaflets.users import UserStore
from leaflets.web import create_app

ADMIN = ("주무관", "admin-password-1")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder(tmp_path):
    for source in (DEFAULT_DATA, DEFAULT_PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


@pytest.fixture
def server(folder):
    """The app on a real multi-threaded server (waitress) on 127.0.0.1."""
    from waitress import create_server

    store = UserStore(folder / "instance" / "users.sqlite")
    store.add(ADMIN[0], ADMIN[1], "admin")
    app = create_app(data=folder / "minwon24.toml", production=folder / "production.toml",
                     dongs=folder / "dongs.toml", instance=folder / "instance",
                     out=folder / "dist")
    live = create_server(app, host="127.0.0.1", port=0, threads=12)

    def run():
        with contextlib.suppress(OSError):  # the socket closed under the loop: stopped
            live.run()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live.effective_port}"
    live.close()
    thread.join(timeout=10)


class Client:
    """A browser's worth of state: cookies, and the form fields of the last page."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path) -> str:
        return self.get_bytes(path).decode()

    def get_bytes(self, path) -> bytes:
        with self.opener.open(self._url(path), timeout=120) as response:
            return response.read()

    def _url(self, path) -> str:
        return self.base + urllib.parse.quote(path, safe="/?=&")

    def post(self, path, fields, files=None) -> tuple[int, str]:
        if files:
            body, kind = _multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self._url(path), data=body,
                                         headers={"Content-Type": kind})
        try:
            with self.opener.open(request, timeout=180) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, who=ADMIN):
        page = self.get("/login")
        status, _ = self.post("/login", {"csrf": _csrf(page), "name": who[0],
                                         "password": who[1]})
        assert status == 200
        return self


def _multipart(fields, files):
    boundary = "----leaflets-test-boundary"
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for key, (name, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                     f'filename="{name}"\r\nContent-Type: image/png\r\n\r\n'.encode()
                     + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _csrf(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _version(html):
    return re.search(r'name="version" value="([0-9a-f]{64})"', html).group(1)


def _fee_form(html) -> dict:
    form = {key: re.findall(rf'name="{key}" value="([^"]*)"', html)
            for key in ("document", "counter", "kiosk", "online", "step")}
    form["note"] = re.search(r'name="note" value="([^"]*)"', html).group(1)
    form["csrf"], form["version"] = _csrf(html), _version(html)
    return form


def _dong_form(html) -> dict:
    form = {key: value for key, value in
            re.findall(r'<input type="text" id="f-\w+" name="(\w+)" value="([^"]*)"', html)}
    form["message"] = re.search(r'name="message"[^>]*>([^<]*)</textarea>', html).group(1)
    form["csrf"], form["version"] = _csrf(html), _version(html)
    return form


def test_parallel_fee_saves_of_one_version_save_exactly_one(server, folder):
    """20 staff press 저장 at once from the same page: one is saved, 19 are told to reload
    and see their own input, and the file holds the saved value."""
    clients = [Client(server).login() for _ in range(20)]
    forms = []
    for number, client in enumerate(clients):
        form = _fee_form(client.get("/fees"))
        form["counter"][0] = str(1000 + number * 10)  # each a different 주민등록 등초본 fee
        forms.append(form)
    assert len({form["version"] for form in forms}) == 1
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda pair: pair[0].post("/fees", pair[1]),
                                zip(clients, forms, strict=True)))
    saved = [n for n, (status, page) in enumerate(answers)
             if status == 200 and "저장했습니다" in page]
    stale = [n for n, (status, page) in enumerate(answers)
             if status == 409 and "다른 사람이 저장했습니다" in page]
    assert len(saved) == 1 and len(stale) == 19, [status for status, _ in answers]
    for number in stale:  # each refused user keeps the value they typed, and is told so
        typed = str(1000 + number * 10)
        assert _fee_form(answers[number][1])["counter"][0] == typed
        assert f"민원창구 수수료: 저장된 값 {1000 + saved[0] * 10}, 내 입력 {typed}" \
            in answers[number][1]
    content = load_content(folder / "minwon24.toml")
    assert content.fees[0].counter == 1000 + saved[0] * 10


def test_parallel_valid_and_invalid_dong_saves_never_corrupt_the_file(server, folder):
    """8 saves of one 동 from one version, half with a message too long: the invalid ones
    get their own error, exactly one valid one is saved, every 동 still opens."""
    clients = [Client(server).login() for _ in range(8)]
    forms = []
    for number, client in enumerate(clients):
        form = _dong_form(client.get("/dong/옥수동"))
        form["message"] = "가" * 51 if number % 2 else f"민원24 안내 {number}번"
        forms.append(form)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda pair: pair[0].post("/dong/옥수동", pair[1]),
                                zip(clients, forms, strict=True)))
    for number, (status, page) in enumerate(answers):
        if number % 2:
            assert status == 400 and "51자" in page, (number, status)
        else:
            assert status in (200, 409) and "51자" not in page, (number, status)
            assert "/tmp" not in page and str(folder) not in page
    assert sum(status == 200 for status, _ in answers) == 1
    dongs = load_dongs(folder / "dongs.toml")  # valid
    assert re.fullmatch(r"민원24 안내 [0246]번", dongs.get("옥수동").message)
    assert not list(folder.glob(".*.check")) and not list(folder.glob(".*.tmp"))
    admin = clients[0]
    assert "옥수동" in admin.get("/") and "송정동" in admin.get("/dong/송정동")


def test_different_dongs_saving_at_once_all_save(server, folder):
    """동 saves are versioned by the 동's own record: six 동 saving together all succeed."""
    names = ["옥수동", "송정동", "마장동", "사근동", "응봉동", "용답동"]
    clients = [Client(server).login() for _ in names]
    forms = []
    for name, client in zip(names, clients, strict=True):
        form = _dong_form(client.get(f"/dong/{name}"))
        form["desk"] = f"{name} 1층 3번 창구"
        forms.append((client, name, form))
    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(lambda job: job[0].post(f"/dong/{job[1]}", job[2]), forms))
    assert [status for status, _ in answers] == [200] * len(names)
    dongs = load_dongs(folder / "dongs.toml")
    assert all(dongs.get(name).desk == f"{name} 1층 3번 창구" for name in names)


def _picture(colour, size=(400, 400)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("picture, words", [
    (_picture((0, 0, 0)), "잉크 총량이 321%"),
    (_picture((0, 0, 0), (7000, 1)), "너무 가늘고 깁니다"),
    (_picture((30, 90, 200), (1, 1)), "너무 작습니다"),
], ids=["all-black", "strip", "one-pixel"])
def test_a_picture_that_would_not_print_is_refused_at_upload(server, folder, picture, words):
    before = (folder / "dongs.toml").read_bytes()
    client = Client(server).login()
    form = _dong_form(client.get("/dong/옥수동"))
    form["phone"] = "02-2286-5000"
    status, page = client.post("/dong/옥수동", form, {"image": ("logo.png", picture)})
    assert status == 400 and words in page
    assert 'value="02-2286-5000"' in page  # what was typed is still in the form
    assert (folder / "dongs.toml").read_bytes() == before
    assert not (folder / "images").exists() or not any((folder / "images").iterdir())
    assert client.get_bytes("/dong/옥수동/pocket-2.png").startswith(b"\x89PNG")  # still renders


def test_text_wider_than_the_slot_is_refused_and_every_dong_still_builds(server, folder):
    """A message that passes the length check but does not fit the slot is refused by the
    same layout the build uses; the file keeps building for all 17 동."""
    from leaflets.cli import main

    before = (folder / "dongs.toml").read_bytes()
    client = Client(server).login()
    form = _dong_form(client.get("/dong/옥수동"))
    form["message"] = "가나다라마바사아자차카타파하" * 3 + "\r\n" + "가" * 7
    status, page = client.post("/dong/옥수동", form)
    assert status == 400 and "들어가지 않습니다" in page, page[-2000:]
    assert (folder / "dongs.toml").read_bytes() == before
    assert main(["check", "--data", str(folder / "minwon24.toml"),
                 "--production", str(folder / "production.toml"),
                 "--dongs", str(folder / "dongs.toml")]) == 0


def test_a_two_line_message_typed_in_a_real_browser_is_saved(server, folder, browser):
    from selenium.webdriver.common.by import By

    from tests.test_web import submit, wait

    browser.get(server + "/login")
    browser.find_element(By.NAME, "name").send_keys(ADMIN[0])
    browser.find_element(By.NAME, "password").send_keys(ADMIN[1])
    submit(browser, "button[type=submit]")
    browser.get(server + "/dong/옥수동")
    box = wait(browser, "textarea[name=message]")[0]
    box.send_keys("민원24 가입을 도와 드립니다\n전용창구로 오세요")  # Chromium sends CR LF
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text
    dong = load_dongs(folder / "dongs.toml").get("옥수동")
    assert dong.message == "민원24 가입을 도와 드립니다\n전용창구로 오세요"
    phone = wait(browser, "input[name=phone]")[0]  # and the next save still works
    phone.send_keys("02-2286-5000")
    submit(browser)
    assert "저장했습니다" in wait(browser, "[role=status]")[0].text
    assert load_dongs(folder / "dongs.toml").get("옥수동").phone == "02-2286-5000"


def test_a_save_waits_for_the_lock_another_process_holds(folder):
    """The lock holds across processes: while another process holds it, a save waits and
    gives up with a message; the file is unchanged."""
    path = folder / "minwon24.toml"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from leaflets.shared import locked
        with locked({str(path)!r}):
            print("held", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = path.read_bytes()
        with pytest.raises(Busy, match="저장하는 중입니다"), locked(path, wait=0.5):
            pass
        assert path.read_bytes() == before
    finally:
        holder.communicate("\n", timeout=30)
    with locked(path, wait=0.5):  # free again once that process ended
        pass


def test_a_save_killed_at_any_moment_leaves_the_old_or_the_new_file(folder):
    """SIGKILL a process saving in a loop, again and again: the file always parses and holds
    one of the saved values; the next save removes the dead temporary files."""
    path = folder / "minwon24.toml"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from leaflets.editing import save_content
        from leaflets.content import load_content
        from leaflets.shared import file_version
        path = Path({str(path)!r})
        n = 0
        print("ready", flush=True)
        while True:
            n += 1
            content = load_content(path)
            fees = [dict(document=f.document, counter=f.counter, kiosk=f.kiosk,
                         online=f.online) for f in content.fees]
            fees[0]["counter"] = 100 + n % 50 * 10
            save_content(path, file_version(path), fees, list(content.howto.steps),
                         content.howto.note)
    """)
    seen, leftovers = set(), 0
    for round_ in range(8):
        worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                  text=True, cwd=ROOT)
        assert worker.stdout.readline().strip() == "ready"
        threading.Event().wait(0.15 + 0.05 * round_)  # let it save a few times
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        content = load_content(path)  # whole and valid after every kill
        assert 100 <= content.fees[0].counter <= 590
        seen.add(content.fees[0].counter)
        previous = path.with_name(path.name + ".prev")
        assert not previous.exists() or tomllib.loads(previous.read_text("utf-8"))
        leftovers += len(list(folder.glob(".minwon24.toml.*.tmp")))
    assert len(seen) > 1  # the kills landed while it was saving
    print(f"{leftovers} temporary files left by 8 kills")
    update(path, None, lambda old: old, lambda new: None)
    assert not list(folder.glob(".minwon24.toml.*.tmp"))


@pytest.fixture
def small_disk(tmp_path):
    """A real filesystem of 2 MB, for a disk that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_changes_nothing_and_leaves_no_temporary_file(small_disk):
    for source in (DEFAULT_DATA, DEFAULT_DONGS):
        shutil.copy(source, small_disk / source.name)
    path = small_disk / "minwon24.toml"
    before = path.read_bytes()
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as stream, contextlib.suppress(OSError):
        while True:  # fill the disk to the last block
            stream.write(b"\0" * 4096)
    content = load_content(path)
    fees = [dict(document=f.document, counter=f.counter + 1000, kiosk=f.kiosk,
                 online=f.online) for f in content.fees]
    with pytest.raises(OutputError, match="디스크 공간이 부족합니다"):
        save_content(path, file_version(path), fees, list(content.howto.steps),
                     content.howto.note + " 그리고 조금 더 긴 참고 문구")
    assert path.read_bytes() == before
    dongs = small_disk / "dongs.toml"
    dong = load_dongs(dongs).get("옥수동")
    with pytest.raises(OutputError, match="디스크 공간이 부족합니다"):
        save_dong(dongs, dong_version(dong), "옥수동", {"message": "가입 안내"},
                  _picture((30, 90, 200)))
    assert [p.name for p in small_disk.iterdir() if p.name.startswith(".")
            and not p.name.endswith(".lock")] == []
    filler.unlink()
    save_dong(dongs, dong_version(dong), "옥수동", {"message": "가입 안내"})  # room again
    assert load_dongs(dongs).get("옥수동").message == "가입 안내"


def test_a_save_keeps_the_file_mode_and_the_previous_version(folder):
    path = folder / "minwon24.toml"
    path.chmod(0o640)  # not what a new file would get: the save must keep the file's own
    before = path.read_bytes()
    content = load_content(path)
    fees = [dict(document=f.document, counter=f.counter, kiosk=f.kiosk, online=f.online)
            for f in content.fees]
    fees[0]["counter"] = 700
    save_content(path, file_version(path), fees, list(content.howto.steps), content.howto.note)
    assert path.stat().st_mode & 0o777 == 0o640
    assert path.with_name("minwon24.toml.prev").read_bytes() == before
    assert path.with_name("minwon24.toml.prev").stat().st_mode & 0o777 == 0o640
    with pytest.raises(StaleEdit):
        save_content(path, "0" * 64, fees, list(content.howto.steps), content.howto.note)


def test_a_print_download_is_only_ever_a_preflighted_file(server, folder):
    """A picture put in the 동 file by hand (not through the upload's checks) that carries
    321 % ink: the screen PDF still downloads, the print PDF is refused by the preflight."""
    (folder / "images").mkdir()
    (folder / "images" / "black.png").write_bytes(_picture((0, 0, 0), (400, 400)))
    text = (folder / "dongs.toml").read_text(encoding="utf-8")
    (folder / "dongs.toml").write_text(text.replace(
        'name = "옥수동"\n', 'name = "옥수동"\nimage = "images/black.png"\n'), encoding="utf-8")
    client = Client(server).login()
    assert client.get_bytes("/dong/옥수동/pocket.pdf").startswith(b"%PDF")
    try:
        client.get_bytes("/dong/옥수동/pocket.pdf?print=1")
        raise AssertionError("the print file was sent")
    except urllib.error.HTTPError as error:
        page = error.read().decode()
        assert error.code == 409 and "잉크 총량" in page, page[-1500:]
    good = client.get_bytes("/print/pocket.pdf")  # the 구's, preflighted, passes
    assert good.startswith(b"%PDF") and b"GTS_PDFX" in good
