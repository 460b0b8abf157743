"""leaflets backup / restore: every piece of an office's state, consistent while staff
save, and a restore that checks the whole archive before it writes anything."""

from __future__ import annotations

import datetime
import shutil
import threading
import zipfile

import pytest
from PIL import Image

from leaflets.cli import main
from leaflets.content import load_content, parse_content
from leaflets.editing import StaleEdit, file_version, save_content
from leaflets.ledger import Ledger, OrderLine, RunLine
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.shared import Busy
from leaflets.users import UserStore

DATA = ("minwon24.toml", "production.toml", "dongs.toml")


@pytest.fixture
def office(tmp_path):
    """A running office's folder: data files, a picture, two orders, two accounts."""
    folder = tmp_path / "office"
    folder.mkdir()
    for source in (DEFAULT_DATA, DEFAULT_PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, folder / source.name)
    (folder / "images").mkdir()
    Image.new("RGB", (40, 30), (200, 30, 60)).save(folder / "images" / "옥수동-abc.png")
    ledger = Ledger(folder / "orders.sqlite")
    for day, total in ((1, 150_000), (2, 90_000)):
        order = OrderLine(None, datetime.date(2025, 3, day), f"2025030{day}-aaaaaaaa", "d" * 64,
                          total - total // 11, total // 11, total,
                          (RunLine("pocket", 1000, "국전지", 32, 40, total),), b"", "b" * 64)
        with ledger.transaction() as book:
            book.record(order)
            book.commit()
    ledger.void(2, "수량 오기", datetime.date(2025, 3, 3))
    store = UserStore(folder / "instance" / "users.sqlite")
    store.add("주무관", "admin-password-1", "admin")
    store.add("옥수동담당", "dong-password-1", "dong", "옥수동", ["옥수동"])
    (folder / "instance" / "secret_key").write_bytes(b"k" * 32)
    return folder


def _backup(folder, target) -> int:
    return main(["backup", str(target), "--data", str(folder / "minwon24.toml"),
                 "--production", str(folder / "production.toml"),
                 "--dongs", str(folder / "dongs.toml")])


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_backup_while_saving_restores_a_state_that_existed(office, tmp_path, capsys):
    path = office / "minwon24.toml"
    fees = [{"document": f.document, "counter": f.counter, "kiosk": f.kiosk,
             "online": f.online} for f in load_content(path).fees]
    steps = list(load_content(path).howto.steps)
    written = {path.read_bytes()}  # every version the file has had
    stop = threading.Event()

    def saver(offset):
        counter = 0
        while not stop.is_set():
            counter += 1
            fees[0]["counter"] = 1000 + offset + counter % 50
            try:
                save_content(path, file_version(path), [dict(f) for f in fees], steps,
                             "공인인증서 - 가까운 은행이나 우체국에서 발급 받으세요")
                written.add(path.read_bytes())
            except (StaleEdit, Busy):
                pass  # a colleague saved first: try again with the new version

    savers = [threading.Thread(target=saver, args=(n * 100,)) for n in range(2)]
    for thread in savers:
        thread.start()
    try:
        archives = []
        for number in range(4):
            archives.append(tmp_path / f"backup-{number}.zip")
            assert _backup(office, archives[-1]) == 0
    finally:
        stop.set()
        for thread in savers:
            thread.join()
    written.add(path.read_bytes())
    for archive in archives:  # each backup holds a whole version, never a half-written one
        with zipfile.ZipFile(archive) as opened:
            content = opened.read("minwon24.toml")
        assert content in written
        parse_content(content, "minwon24.toml")
    capsys.readouterr()

    # At rest: a backup restored into an empty folder is the office, byte for byte.
    final = tmp_path / "final.zip"
    assert _backup(office, final) == 0
    restored = tmp_path / "restored"
    assert main(["restore", str(final), "--into", str(restored)]) == 0
    before, after = _files(office), _files(restored)
    for name in (*DATA, "images/옥수동-abc.png", "instance/secret_key"):
        assert after[name] == before[name], name
    assert Ledger(restored / "orders.sqlite").orders() == Ledger(office / "orders.sqlite").orders()
    assert [o.voided for o in Ledger(restored / "orders.sqlite").orders()] == [False, True]
    users = UserStore(restored / "instance" / "users.sqlite")
    assert [(u.name, u.role, u.dong) for u in users.users()] == \
        [(u.name, u.role, u.dong) for u in UserStore(office / "instance" / "users.sqlite").users()]
    assert users.log_in("옥수동담당", "dong-password-1", "127.0.0.1") is not None
    assert users.log_in("주무관", "wrong-password", "127.0.0.1") is None
    assert (restored / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def _flip(archive, tmp_path, member="orders.sqlite"):
    """A copy of ``archive`` with one byte of ``member``'s stored data flipped."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0x01
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    return damaged


@pytest.mark.parametrize("damage", ["flipped byte", "foreign zip", "edited member"])
def test_a_damaged_or_foreign_archive_writes_nothing(office, tmp_path, capsys, damage):
    good = tmp_path / "good.zip"
    assert _backup(office, good) == 0
    if damage == "flipped byte":
        bad = _flip(good, tmp_path)
    elif damage == "foreign zip":
        bad = tmp_path / "photos.zip"
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("minwon24.toml", (office / "minwon24.toml").read_bytes())
    else:  # rewritten with a valid zip CRC, but not the bytes the manifest names
        bad = tmp_path / "edited.zip"
        with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
            for info in source.infolist():
                data = source.read(info)
                if info.filename == "production.toml":
                    data = data.replace(b"allocation", b"allocatioN", 1)
                target.writestr(info, data)
    capsys.readouterr()
    target = tmp_path / "restored"
    assert main(["restore", str(bad), "--into", str(target)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "아무 파일도 바꾸지 않았습니다" in err
    assert {"flipped byte": "손상", "foreign zip": "leaflets 백업 파일이 아닙니다",
            "edited member": "'production.toml'의 SHA-256"}[damage] in err
    assert not target.exists()


def test_restore_keeps_existing_data_unless_forced(office, tmp_path, capsys):
    archive = tmp_path / "b.zip"
    assert _backup(office, archive) == 0
    target = tmp_path / "other"
    target.mkdir()
    (target / "minwon24.toml").write_text("# 다른 사무실\n", encoding="utf-8")
    before = _files(target)
    assert main(["restore", str(archive), "--into", str(target)]) == 2
    assert "이미 자료가 있습니다" in capsys.readouterr().err
    assert _files(target) == before
    assert main(["restore", str(archive), "--into", str(target), "--force"]) == 0
    assert (target / "minwon24.toml").read_bytes() == (office / "minwon24.toml").read_bytes()


def test_the_stored_evaluation_inputs_are_backed_up_and_restored(office, tmp_path, capsys):
    from leaflets.evaluation_store import append_activity, check_upload, load, store_upload
    from leaflets.project import ROOT

    examples = ROOT / "examples" / "evaluation"
    files = check_upload((examples / "실적.csv").read_bytes(),
                         (examples / "활동.csv").read_bytes(), "2015", "407398,362095,23455")
    data = office / "minwon24.toml"
    store_upload(data, files, hashlib_of_nothing())
    append_activity(data, "옥수동", "2015-06-01", "주민교육", "웹에서 추가한 교육")
    archive = tmp_path / "with-evaluation.zip"
    assert _backup(office, archive) == 0
    assert "evaluation/활동.csv" in capsys.readouterr().out
    restored = tmp_path / "restored"
    assert main(["restore", str(archive), "--into", str(restored)]) == 0
    for name in ("실적.csv", "활동.csv", "설정.toml"):
        assert (restored / "evaluation" / name).read_bytes() == \
            (office / "evaluation" / name).read_bytes(), name
    back = load(restored / "minwon24.toml")
    assert back == load(data) and back.year == 2015
    assert back.activities[-1].text == "웹에서 추가한 교육"


def hashlib_of_nothing() -> str:
    """The version of a file not stored yet (empty)."""
    import hashlib

    return hashlib.sha256(b"").hexdigest()
