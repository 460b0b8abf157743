"""The vendor folder ``<out>/vendor/``: each order's folder and zip appear in one step.

Why, after a SIGKILL at any point, an order is either complete and recorded or,
once the next run has looked, gone:

1. Whoever has anything in progress in ``vendor/`` holds the vendor lock (flock on
   ``.<out>.vendor.lock`` beside the output folder, see :func:`lock_file`) the whole
   time. The kernel releases the lock when its holder dies, so whatever in-progress
   state the next holder finds belongs to a dead run.
2. Holding that lock and the ledger's write transaction, the package is written to
   a staging folder ``.<name>.new-*`` and the zip to ``.<name>.zip.*``, each file
   fsynced. No order ever has such a name; any found later is removed.
3. A marker ``.<name>.pending`` naming the package and the ledger is written and
   fsynced. Then the folder is renamed to ``<name>`` and the zip linked as
   ``<name>.zip`` (neither can replace an existing file: the name was checked free
   under the lock, a folder cannot be renamed over a non-empty one and ``link``
   refuses an existing name), the folder is fsynced, and only then is the ledger
   transaction committed. The marker goes last.
4. The next run (``package`` or ``build``), under the lock, reads each marker. If
   the ledger holds the package, the commit happened, and it came after both
   renames: the order is complete and only the marker is removed. If not, the
   commit never happened, and the folder and zip the marker names are that dead
   run's: they are removed. A folder or zip without a marker is never touched (a
   recorded order, a ``--no-record`` package, another ledger's order).

A run that fails without dying (full disk, locked ledger, Ctrl+C) removes, in the
same way, only the files it created itself and never a name it did not create.

Why the lock lives beside the output folder and not in ``vendor/``: a build swaps
the whole output folder (``leaflets.build``) and carries ``vendor/`` over into the
new one. It does so holding this same lock, so no order can be written into the
old output between the carrying over and the swap (it would be deleted with the
old output although the ledger records it). A lock file inside the swapped folder
would be replaced (a copy) or moved away (a rename) by that swap, and a package
that arrives in between would create a fresh ``vendor/`` and lock in the old
output; beside the output, the lock file is never swapped. ``vendor/`` itself is
created under the lock, by :func:`place`, only when an order is written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from leaflets.errors import OutputError
from leaflets.ledger import LOCK_TIMEOUT, Ledger, LedgerBusy, Transaction
from leaflets.shared import wait_for_lock

LOCK_NAME = ".lock"  # the lock file inside vendor/ of earlier versions
LOCK_SUFFIX = ".lock"
PENDING = ".pending"
STAGES = ("staged", "zipped", "marked", "placed", "committed")  # what ``at`` is told


def lock_file(vendor: Path) -> Path:
    """``<parent>/.<out>.vendor.lock`` for ``<parent>/<out>/vendor``: outside the folder a
    build swaps, so its inode never changes under a waiting process."""
    vendor = Path(vendor)
    out = vendor.parent.resolve()
    return out.parent / f".{out.name}.{vendor.name}{LOCK_SUFFIX}"


@contextlib.contextmanager
def locked(vendor: Path, timeout: float = LOCK_TIMEOUT):
    """Hold the vendor lock: the one writer of ``vendor/`` (and the one build swapping
    its output folder) until the block ends. ``vendor/`` need not exist."""
    path = lock_file(vendor)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _output_error(vendor, error) from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise _output_error(vendor, error) from None
        try:
            wait_for_lock(handle, deadline, lambda: LedgerBusy(
                f"인쇄소 묶음 폴더 '{vendor}'에 다른 작업이 {timeout:g}초 넘게 쓰고 "
                "있습니다. 그 작업이 끝난 뒤 다시 해 주세요"), pause=0.05)
            # Someone removed the lock file meanwhile: a lock on the old one guards nothing.
            try:
                current = os.fstat(handle).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                current = False
            if current:
                yield
                return
        finally:
            os.close(handle)


def remove_leftovers(vendor: str | Path, timeout: float = LOCK_TIMEOUT):
    """Remove what interrupted runs left in ``vendor/`` (see the module docstring)."""
    vendor = Path(vendor)
    if not vendor.is_dir():
        return
    with locked(vendor, timeout):
        sweep(vendor)


def sweep(vendor: Path):
    """:func:`remove_leftovers` for a caller that already holds the lock."""
    for path in sorted(vendor.glob(f".*{PENDING}")):
        name, ledger = _read_marker(path)
        if name and not (ledger and Ledger(ledger).has_package(name)):
            _remove(vendor / name)
            _remove(vendor / f"{name}.zip")
        _remove(path)
    for path in vendor.glob(".*"):
        if ".new-" in path.name or ".zip." in path.name:
            _remove(path)


def free_name(vendor: Path, base: str, book: Transaction | None) -> str:
    """``base``, or ``base-2``, ``-3``... : the first name no order and no file uses."""
    for number in range(1, 10_000):
        name = base if number == 1 else f"{base}-{number}"
        if (book is not None and book.has_package(name)) or any(
                (vendor / candidate).exists() or (vendor / candidate).is_symlink()
                for candidate in (name, f"{name}.zip", f".{name}{PENDING}")):
            continue
        return name
    raise OutputError(f"'{vendor}'에 같은 이름의 묶음이 너무 많습니다")


def place(vendor: Path, name: str, files: dict[str, bytes], archive: bytes,
          book: Transaction | None, ledger: Ledger | None, at=None) -> tuple[Path, Path]:
    """Write ``files`` as ``vendor/<name>/`` and ``archive`` as ``<name>.zip``, then commit.

    Call with the lock held. ``at(stage)``, if given, is told each of :data:`STAGES`
    as it is reached. On any exception before the commit, what this call created is
    removed and the exception raised (an ``OSError`` as :class:`OutputError`).
    """
    folder, zip_path = vendor / name, vendor / f"{name}.zip"
    marker = vendor / f".{name}{PENDING}"
    token = secrets.token_hex(4)
    staging, temporary = vendor / f".{name}.new-{token}", vendor / f".{name}.zip.{token}"
    mine: dict[Path, int] = {}  # final name -> inode of what this call wrote for it
    try:
        vendor.mkdir(parents=True, exist_ok=True)
        os.mkdir(staging)
        mine[folder] = _inode(staging)
        for relative, data in sorted(files.items()):
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            _write(staging / relative, data)
        for directory in {(staging / relative).parent for relative in files}:
            _fsync(directory)
        _stage(at, "staged")
        _write(temporary, archive)
        mine[zip_path] = _inode(temporary)
        _stage(at, "zipped")
        _write(marker, json.dumps({"package": name, "ledger": str(ledger.path.resolve())
                                   if ledger else None}).encode())
        mine[marker] = _inode(marker)
        _fsync(vendor)
        _stage(at, "marked")
        os.rename(staging, folder)
        os.link(temporary, zip_path)
        os.unlink(temporary)
        _fsync(vendor)
        _stage(at, "placed")
        if book is not None:
            book.commit()
        _stage(at, "committed")
        os.unlink(marker)
    except BaseException as error:
        # Only names that hold what this call wrote (same inode) are taken away, and
        # once the ledger has committed, the order's folder and zip stay whatever happens.
        standing = book is not None and book.committed
        for path, inode in mine.items():
            if _inode(path) == inode and not (standing and path != marker):
                _remove(path)
        _remove(staging)
        _remove(temporary)
        if isinstance(error, OSError):
            raise _output_error(vendor, error) from None
        raise
    return folder, zip_path


def _stage(at, stage: str):
    if at is not None:
        at(stage)


def _write(path: Path, data: bytes):
    """Write a new file (mode 0o666 less the umask, like every output) and fsync it."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        os.fsync(handle)
    finally:
        os.close(handle)


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def _fsync(directory: Path):
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _read_marker(path: Path) -> tuple[str | None, str | None]:
    """(package, ledger) of a marker; (None, None) for a torn one, written before any rename."""
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
        name = marker["package"]
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            return None, None
        return name, marker.get("ledger")
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def _remove(path: Path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _output_error(vendor: Path, error: OSError) -> OutputError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"디스크 공간이 모자라 인쇄소 묶음을 '{vendor}'에 쓰지 못했습니다. "
                           "공간을 비운 뒤 다시 해 주세요")
    return OutputError(f"인쇄소 묶음 폴더 '{vendor}'에 쓸 수 없습니다: {error.strerror}")
