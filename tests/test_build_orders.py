"""A build never loses an order: ``leaflets package`` and ``leaflets build`` at the same
time, and a build killed while it swaps the output folder (real processes, real SQLite).

The build runs in a child process through :func:`leaflets.build.build`'s stage hook
``_at``: it holds the moment between carrying ``vendor/`` over and the swap open until
the package has recorded its order (bounded), or SIGKILLs itself there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from leaflets.ledger import Ledger
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS
from tests.conftest import ordered_production

EPOCH = "1764000000"  # 2025-11-24
ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = ordered_production(Path(tempfile.mkdtemp(prefix="leaflets-build-orders-")))
ROUNDS = 6

# A build with a hook at the swap. argv: out, cache, ledger, action, stage, seconds.
# hold: at ``stage``, write out/../in-window, then wait until the ledger has one more
# order than when the build started, or another process has had the vendor lock file
# open (it waits for the lock) for ``seconds``, at most two minutes. kill: SIGKILL there.
BUILD = """
import glob, os, signal, sys, time
from pathlib import Path
from leaflets.build import build
from leaflets.ledger import Ledger
from leaflets.vendor import lock_file

out, cache, ledger, action, where, seconds = sys.argv[1:7]
start = len(Ledger(ledger).orders())
lock = str(lock_file(Path(out) / "vendor"))

def waiting():
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == lock and not fd.startswith(f"/proc/{os.getpid()}/"):
                return True
        except OSError:
            pass
    return False

def at(stage):
    if stage != where:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "hold":
        (Path(out).parent / "in-window").write_text(stage)
        deadline, seen = time.monotonic() + 120, None
        while len(Ledger(ledger).orders()) == start and time.monotonic() < deadline:
            if seen is None and waiting():
                seen = time.monotonic()
            if seen is not None and time.monotonic() - seen > float(seconds):
                break
            time.sleep(0.05)

build(sys.argv[7], out, sys.argv[8], dongs_path=sys.argv[9], cache_dir=cache, _at=at)
"""


def _env() -> dict[str, str]:
    return {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}


def _build(base: Path, action="none", stage="kept", seconds=0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BUILD, str(base / "out"), str(base / "cache"),
         str(base / "orders.sqlite"), action, stage, str(seconds), str(DEFAULT_DATA),
         str(PRODUCTION), str(DEFAULT_DONGS)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _package(base: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "leaflets", "package", "--production", str(PRODUCTION),
         "--out", str(base / "out"), "--ledger", str(base / "orders.sqlite"), "--reorder"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, (out + err).decode()


def _touch_manifest(out: Path, mark: int):
    """A manifest that differs from the build's, so that the next build swaps the folder
    (an unchanged build writes nothing)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["mark"] = mark
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _every_order_in_place(base: Path) -> list[str]:
    """Check every order the ledger records: its folder and zip in out/vendor/ hold the
    same files, each with the SHA-256 its manifest names, of the content the ledger names."""
    vendor = base / "out" / "vendor"
    orders = Ledger(base / "orders.sqlite").orders()
    assert orders
    for order in orders:
        folder = vendor / order.package
        assert folder.is_dir() and (vendor / f"{order.package}.zip").is_file(), order.package
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in folder.rglob("*") if p.is_file()}
        manifest = json.loads(files["manifest.json"])
        assert manifest["package"] == order.package
        assert manifest["data_sha256"] == order.data_sha256
        for entry in manifest["files"]:
            assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
        assert sorted(entry["path"] for entry in manifest["files"]) == sorted(
            set(files) - {"manifest.json"})
        with zipfile.ZipFile(vendor / f"{order.package}.zip") as archive:
            zipped = {i.filename.split("/", 1)[1]: archive.read(i) for i in archive.infolist()}
        assert zipped == files, order.package
    return [order.package for order in orders]


def _stale(base: Path) -> list[str]:
    return sorted(p.name for p in base.iterdir() if p.name.startswith(".out.")
                  and "-" in p.name)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A build (its cache filled) and one recorded order."""
    base = tmp_path_factory.mktemp("built")
    for process in (_build(base), _package(base)):
        code, said = _finish(process)
        assert code == 0, said
    return base


@pytest.fixture
def project(built, tmp_path):
    for name in ("out", "cache"):
        shutil.copytree(built / name, tmp_path / name, symlinks=True)
    shutil.copy(built / "orders.sqlite", tmp_path / "orders.sqlite")
    return tmp_path


def test_orders_written_while_builds_swap_the_output_are_all_kept(project):
    """Each round: a build reaches the moment between carrying vendor/ over and its swap
    and holds it open until the package (a reorder: a new order), started then, has
    recorded its order or has waited 2 s for the lock. Without the lock the order lands
    in the old output and is deleted with it."""
    base = project
    for number in range(ROUNDS):
        _touch_manifest(base / "out", number)
        (base / "in-window").unlink(missing_ok=True)
        build = _build(base, "hold", "kept", 2)
        deadline = time.monotonic() + 120
        while not (base / "in-window").exists() and build.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (base / "in-window").exists(), _finish(build)
        package = _package(base)
        results = [_finish(package), _finish(build)]
        assert [code for code, _ in results] == [0, 0], results
        assert len(_every_order_in_place(base)) == number + 2  # the fixture's and one each
    assert _stale(base) == []


@pytest.mark.parametrize(("stage", "then"), [("kept", "package"), ("swapping", "build")])
def test_a_build_killed_while_swapping_gives_every_order_back(project, stage, then):
    """SIGKILL after vendor/ went into the staging folder (``kept``) or after the old
    output went aside (``swapping``); the next package or build puts every order back."""
    base = project
    before = _every_order_in_place(base)
    _touch_manifest(base / "out", 99)
    code, said = _finish(_build(base, "kill", stage))
    assert code == -signal.SIGKILL, said
    assert not (base / "out" / "vendor").exists()  # caught in the act: the orders are aside
    assert _stale(base)
    code, said = _finish(_package(base) if then == "package" else _build(base))
    assert code == 0, said
    after = _every_order_in_place(base)
    assert set(before) < set(after) if then == "package" else before == after
    assert _stale(base) == []
    assert json.loads((base / "out" / "manifest.json").read_text())["artifacts"]
