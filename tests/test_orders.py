"""Orders: one per bundle, voids, and what a crash, a full disk, a locked ledger, two
processes at once or a double click leave behind (real processes, real SQLite)."""

from __future__ import annotations

import datetime
import errno
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

import leaflets.vendor
from leaflets.cli import main
from leaflets.ledger import Ledger, OrderLine, RunLine
from leaflets.package import make_package
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS
from leaflets.vendor import STAGES, remove_leftovers
from tests.conftest import ordered_production

EPOCH = "1764000000"  # 2025-11-24
ROOT = Path(__file__).resolve().parent.parent
# One production file for the whole module: a bundle is content + production bytes.
PRODUCTION = ordered_production(Path(tempfile.mkdtemp(prefix="leaflets-orders-")))
PACKAGE = ("package", "--production", str(PRODUCTION))


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _snapshot(vendor: Path) -> dict[str, bytes]:
    """Every file under ``vendor/`` but the lock: {relative path: bytes}."""
    return {p.relative_to(vendor).as_posix(): p.read_bytes() for p in sorted(vendor.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _leftovers(vendor: Path) -> list[str]:
    return sorted(p.name for p in vendor.iterdir() if p.name.startswith(".")
                  and p.name != ".lock") if vendor.is_dir() else []


def _complete(vendor: Path, name: str) -> bool:
    """The folder and zip of ``name`` hold the same files, each as its manifest says."""
    folder = vendor / name
    files = {p.relative_to(folder).as_posix(): p.read_bytes()
             for p in folder.rglob("*") if p.is_file()}
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    with zipfile.ZipFile(vendor / f"{name}.zip") as archive:
        zipped = {i.filename.split("/", 1)[1]: archive.read(i) for i in archive.infolist()}
    return manifest["package"] == name and zipped == files and sorted(listed) == sorted(
        set(files) - {"manifest.json"}) and all(
        hashlib.sha256(files[path]).hexdigest() == digest for path, digest in listed.items())


def _order(package="20250101-aaaaaaaa", total=100_000, on=datetime.date(2025, 3, 1),
           bundle="b" * 64) -> OrderLine:
    return OrderLine(None, on, package, "d" * 64, total - total // 11, total // 11, total,
                     (RunLine("pocket", 1000, "국전지", 32, 40, total),), b"", bundle)


def _record(ledger: Ledger, order: OrderLine) -> int:
    with ledger.transaction() as book:
        order_id = book.record(order)
        book.commit()
    return order_id


@pytest.fixture(scope="module")
def first_order(tmp_path_factory):
    """One order packaged and recorded through the command line: (out, ledger), to copy.
    The fixed date holds for this module's tests only (later modules see the real one)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        base = tmp_path_factory.mktemp("first")
        old = os.umask(0o022)
        try:
            assert main([*PACKAGE, "--out", str(base / "out"),
                         "--ledger", str(base / "orders.sqlite")]) == 0
        finally:
            os.umask(old)
        yield base / "out", base / "orders.sqlite"


@pytest.fixture
def ordered(first_order, tmp_path):
    out, ledger = first_order
    shutil.copytree(out, tmp_path / "out")
    shutil.copy(ledger, tmp_path / "orders.sqlite")
    return tmp_path / "out", tmp_path / "orders.sqlite"


def test_the_same_bundle_twice_is_one_order_and_reorder_makes_a_second(ordered, capsys):
    out, ledger = ordered
    vendor = out / "vendor"
    (first,) = Ledger(ledger).orders()
    before = _snapshot(vendor)
    assert _complete(vendor, first.package)
    assert (vendor / f"{first.package}.zip").stat().st_mode & 0o777 == 0o644
    capsys.readouterr()

    args = [*PACKAGE, "--out", str(out), "--ledger", str(ledger)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert f"이미 발주한 묶음입니다: 발주 기록 #{first.id} (2025-11-24)" in said
    assert "--reorder" in said
    assert len(Ledger(ledger).orders()) == 1 and _snapshot(vendor) == before

    assert main([*args, "--reorder"]) == 0
    one, two = Ledger(ledger).orders()
    assert (one.package, two.package) == (first.package, f"{first.package}-2")
    assert one.bundle_sha256 == two.bundle_sha256
    after = _snapshot(vendor)
    assert {k: v for k, v in after.items() if k in before} == before  # the first, untouched
    assert _complete(vendor, one.package) and _complete(vendor, two.package)
    assert _leftovers(vendor) == []


def test_a_voided_order_is_kept_shown_and_not_spent(tmp_path, capsys):
    ledger = Ledger(tmp_path / "orders.sqlite")
    kept = _record(ledger, _order(total=200_000))
    voided = _record(ledger, _order("20250102-bbbbbbbb", total=50_000, bundle="c" * 64))
    assert ledger.spent(2025) == 250_000
    assert main(["history", "--ledger", str(ledger.path), "--void", str(voided),
                 "--reason", "인쇄소 사정으로 취소"]) == 0
    assert ledger.spent(2025) == 200_000
    assert [o.voided for o in ledger.orders()] == [False, True]
    capsys.readouterr()
    assert main(["history", "--ledger", str(ledger.path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if line.startswith(f"#{voided}"))
    assert "취소 2025-11-24 (사유: 인쇄소 사정으로 취소)" in row and "50,000원" in row
    assert not any("취소" in line for line in lines if line.startswith(f"#{kept}"))
    assert "2025년 누계: 200,000원 (취소 1건 뺌)" in lines


@pytest.mark.parametrize(("args", "message"), [
    (["--void", "2", "--reason", "다시"], "이미 2025-11-24 에 취소했습니다"),
    (["--void", "99", "--reason", "없는 번호"], "발주 기록 #99이(가) 없습니다"),
    (["--void", "1", "--reason", "  "], "취소 사유(--reason)가 비어 있습니다"),
    (["--reason", "번호 없이"], "--reason 은 --void 와 함께 씁니다"),
])
def test_a_wrong_void_is_refused(tmp_path, capsys, args, message):
    ledger = Ledger(tmp_path / "orders.sqlite")
    _record(ledger, _order())
    _record(ledger, _order("20250102-bbbbbbbb", bundle="c" * 64))
    ledger.void(2, "처음 취소", datetime.date(2025, 11, 24))
    before = ledger.path.read_bytes()
    assert main(["history", "--ledger", str(ledger.path), *args]) == 2
    assert message in capsys.readouterr().err
    assert ledger.path.read_bytes() == before


def test_a_ledger_from_before_voids_and_bundles_keeps_working(tmp_path, capsys):
    path = tmp_path / "orders.sqlite"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE orders (id INTEGER PRIMARY KEY, ordered_on TEXT NOT NULL,
            fiscal_year INTEGER NOT NULL, package TEXT NOT NULL, data_sha256 TEXT NOT NULL,
            supply INTEGER NOT NULL, vat INTEGER NOT NULL, total INTEGER NOT NULL, content BLOB);
        CREATE TABLE order_runs (order_id INTEGER NOT NULL REFERENCES orders(id)
            ON DELETE CASCADE, product TEXT NOT NULL, quantity INTEGER NOT NULL,
            sheet TEXT NOT NULL, n_up INTEGER NOT NULL, sheets INTEGER NOT NULL,
            total INTEGER NOT NULL);
        INSERT INTO orders VALUES (1, '2025-05-01', 2025, '20250501-12345678',
            'e', 90000, 9000, 99000, NULL);
        INSERT INTO order_runs VALUES (1, 'pocket', 1000, '국전지', 32, 40, 99000);
    """)
    old.close()
    ledger = Ledger(path)
    (order,) = ledger.orders()
    assert (order.total, order.bundle_sha256, order.voided) == (99_000, None, False)
    # An old order matches its content hash alone: asking for --reorder beats paying twice.
    assert ledger.earlier("f" * 64, "e").id == 1
    assert main(["history", "--ledger", str(path), "--void", "1", "--reason", "시험"]) == 0
    assert ledger.spent(2025) == 0
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(orders)")}
    assert {"bundle_sha256", "voided_on", "void_reason"} <= columns


# --- crashes -------------------------------------------------------------------------------

def _state(vendor: Path, ledger: Path) -> str:
    """'order' (recorded, folder and zip complete) or 'nothing'; anything else fails."""
    orders = Ledger(ledger).orders()
    names = sorted(p.name for p in vendor.iterdir() if not p.name.startswith(".")) \
        if vendor.is_dir() else []
    if not orders:
        assert names == []
        return "nothing"
    (order,) = orders
    assert names == [order.package, f"{order.package}.zip"] and _complete(vendor, order.package)
    return "order"


def test_a_kill_at_any_step_leaves_the_whole_order_or_nothing(tmp_path):
    """A child process packages and SIGKILLs itself at each step of putting it in place."""
    from leaflets.render import Renderer

    renderer = Renderer()
    seen = {}
    for stage in STAGES:
        out, ledger = tmp_path / stage / "out", tmp_path / stage / "orders.sqlite"

        def die(reached, stage=stage):
            if reached == stage:
                os.kill(os.getpid(), signal.SIGKILL)

        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            try:
                make_package(DEFAULT_DATA, PRODUCTION, out, ledger,
                             renderer=renderer, _at=die)
            finally:
                os._exit(3)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, stage
        vendor = out / "vendor"
        assert _leftovers(vendor) != [], stage  # the kill did leave something to clear
        remove_leftovers(vendor)
        seen[stage] = _state(vendor, ledger)
        assert _leftovers(vendor) == [], stage
    assert seen == {"staged": "nothing", "zipped": "nothing", "marked": "nothing",
                    "placed": "nothing", "committed": "order"}


def test_an_interruption_after_the_commit_keeps_the_order(tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "orders.sqlite"

    def interrupt(stage):
        if stage == "committed":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_package(DEFAULT_DATA, PRODUCTION, out, ledger, _at=interrupt)
    assert _state(out / "vendor", ledger) == "order"


def _leaflets(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "leaflets", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, **kwargs)


def _shows(vendor: Path, sign: str) -> bool:
    if not vendor.is_dir():
        return False
    names = [p.name for p in vendor.iterdir()]
    if sign == "folder":
        return any(not name.startswith(".") for name in names)
    return any(sign in name for name in names)


@pytest.mark.parametrize("sign", [".new-", ".zip.", ".pending", "folder"])
def test_a_killed_package_process_is_cleaned_up_by_the_next_run(tmp_path, sign):
    """``leaflets package`` killed when ``sign`` first shows in vendor/ (found by polling)."""
    out, ledger = tmp_path / "out", tmp_path / "orders.sqlite"
    vendor = out / "vendor"
    process = _leaflets(*PACKAGE, "--out", str(out), "--ledger", str(ledger))
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _shows(vendor, sign):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.0005)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL  # caught in the act, not after the end
    remove_leftovers(vendor)
    state = _state(vendor, ledger)
    assert _leftovers(vendor) == []
    again = _leaflets(*PACKAGE, "--out", str(out), "--ledger", str(ledger))
    said = again.communicate(timeout=120)[0].decode()
    assert again.returncode == 0, said
    assert ("이미 발주한 묶음입니다" in said) == (state == "order")
    assert _state(vendor, ledger) == "order" and _leftovers(vendor) == []


# --- failures during a re-run ---------------------------------------------------------------

def test_a_full_disk_during_a_reorder_leaves_the_first_order_as_it_was(ordered, monkeypatch,
                                                                        capsys):
    out, ledger = ordered
    vendor = out / "vendor"
    before = _snapshot(vendor)
    write = leaflets.vendor._write

    def full(path, data):
        if ".zip." in path.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write(path, data)

    monkeypatch.setattr(leaflets.vendor, "_write", full)
    code = main([*PACKAGE, "--out", str(out), "--ledger", str(ledger), "--reorder"])
    assert code != 0
    assert "디스크 공간이 모자라" in capsys.readouterr().err
    assert _snapshot(vendor) == before and _leftovers(vendor) == []
    assert len(Ledger(ledger).orders()) == 1


def test_a_locked_ledger_during_a_reorder_changes_nothing(ordered):
    out, ledger = ordered
    vendor = out / "vendor"
    before = _snapshot(vendor)
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        process = _leaflets(*PACKAGE, "--out", str(out), "--ledger", str(ledger), "--reorder")
        _, err = process.communicate(timeout=180)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.returncode == 1, err.decode()
    assert "다른 작업이" in err.decode() and "아무 파일도 바꾸지 않았습니다" in err.decode()
    assert _snapshot(vendor) == before and _leftovers(vendor) == []
    assert len(Ledger(ledger).orders()) == 1


def test_two_processes_at_once_make_one_order(tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "orders.sqlite"
    processes = [_leaflets(*PACKAGE, "--out", str(out), "--ledger", str(ledger))
                 for _ in range(2)]
    said = [p.communicate(timeout=180)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], said
    assert len(Ledger(ledger).orders()) == 1
    assert sum("이미 발주한 묶음입니다" in text for text in said) == 1
    assert _state(out / "vendor", ledger) == "order" and _leftovers(out / "vendor") == []


# --- the web app ----------------------------------------------------------------------------

def test_a_double_click_on_the_package_button_is_one_order(tmp_path, monkeypatch):
    import waitress

    from leaflets.users import UserStore
    from leaflets.web import create_app

    for source in (DEFAULT_DATA, PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, tmp_path / source.name)
    UserStore(tmp_path / "instance" / "users.sqlite").add("주무관", "admin-password-1", "admin")
    monkeypatch.chdir(tmp_path)  # every path relative, as with `leaflets serve --data x.toml`
    app = create_app(data=Path("minwon24.toml"), production=Path("production.toml"),
                     dongs=Path("dongs.toml"), instance=Path("instance"))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def csrf(path):
            page = browser.open(base + path, timeout=60).read().decode()
            return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

        form = {"csrf": csrf("/login"), "name": "주무관", "password": "admin-password-1"}
        browser.open(base + "/login", urllib.parse.urlencode(form).encode(), timeout=60)
        token = csrf("/package")
        answers = [None, None]

        def click(index):
            with browser.open(base + "/package", urllib.parse.urlencode(
                    {"csrf": token}).encode(), timeout=180) as response:
                answers[index] = (response.status, response.headers["Content-Type"],
                                  response.read())

        clicks = [threading.Thread(target=click, args=(i,)) for i in range(2)]
        for click_thread in clicks:
            click_thread.start()
        for click_thread in clicks:
            click_thread.join(200)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
    (order,) = Ledger(tmp_path / "orders.sqlite").orders()
    assert [a[:2] for a in answers] == [(200, "application/zip")] * 2
    assert answers[0][2] == answers[1][2] == \
        (tmp_path / "dist" / "vendor" / f"{order.package}.zip").read_bytes()
