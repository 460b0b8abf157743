"""The one door for changing a shared data file (content, production, 동, pictures).

One installation is shared by 18 offices, through the web app and the command
line at once. Every change of a shared file goes through :func:`update`:

1. take the file's lock (``.<name>.lock`` beside it, ``flock``: it holds across
   threads and processes, and the kernel drops it when a process dies);
2. read the file and compare its version (SHA-256) with the one the editor
   started from: a different one is a :class:`StaleEdit`, nothing written;
3. make the new bytes and validate them in memory (no scratch file shared by
   parallel requests);
4. keep the old bytes as ``<name>.prev`` and put the new ones in place with
   :func:`write_atomic`: a temporary file in the same folder, fsync, the
   file's own mode, ``os.replace``, fsync of the folder.

An interruption at any point (an exception, Ctrl+C, SIGKILL, a full disk)
leaves either the old file or the new one, never a mixture, and no
temporary file behind but one that :func:`write_atomic` would remove.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from leaflets.errors import LeafletsError, OutputError
from leaflets.tomlfile import read_file

LOCK_WAIT = 30.0  # seconds a save waits for another save of the same file


class StaleEdit(LeafletsError):
    """The file changed since the editor loaded it."""


class Busy(LeafletsError):
    """Another save of the same file did not finish in time."""


def version(data: bytes) -> str:
    """The version of a file's bytes, as forms carry it."""
    return hashlib.sha256(data).hexdigest()


def file_version(path: str | Path) -> str:
    """The version of the file at ``path`` now."""
    return version(read_file(Path(path)))


@contextlib.contextmanager
def locked(path: str | Path, wait: float = LOCK_WAIT):
    """Hold the lock of ``path`` (one writer at a time, across threads and processes)."""
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise OutputError(f"'{path}'을(를) 잠글 수 없습니다: {error.strerror}") from None
    try:
        wait_for_lock(handle, time.monotonic() + wait, lambda: Busy(
            f"다른 사람이 '{path.name}'을(를) 저장하는 중입니다. "
            "저장하지 않았습니다: 잠시 뒤 다시 해 주세요"))
        yield
    finally:
        os.close(handle)  # closing the descriptor releases the lock


def wait_for_lock(handle: int, deadline: float, busy: Callable[[], Exception],
                  pause: float = 0.01) -> None:
    """Take the exclusive flock of ``handle``, or raise ``busy()`` after ``deadline``."""
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise busy() from None
            time.sleep(pause)


def update(path: str | Path, expected: str | None, change: Callable[[bytes], bytes],
           validate: Callable[[bytes], object], *, create: bool = False) -> str:
    """Replace the file at ``path`` with ``change(old)`` if it is still at version
    ``expected`` (None: any) and ``validate(new)`` raises nothing; return the new
    version. ``.prev`` keeps the old bytes. ``create``: a missing file counts as
    empty (version of no bytes) and is made; otherwise it is a DataError."""
    return update_all([(path, expected, change)], lambda news: validate(news[0]),
                      create=create)[0]


def update_all(changes: Sequence[tuple[str | Path, str | None, Callable[[bytes], bytes]]],
               validate: Callable[[list[bytes]], object], *, create: bool = False
               ) -> list[str]:
    """:func:`update` for several files that change together (one set).

    Every lock is taken (in path order, so two sets never wait on each other),
    every version checked and ``validate(new bytes of each)`` run before anything
    is written; then every new file and ``.prev`` is written out in full (fsync)
    before the first rename. An error before the renames, a full disk among them,
    leaves every file as it was; the renames themselves need no space."""
    paths = [Path(path) for path, _, _ in changes]
    with contextlib.ExitStack() as stack:
        for path in sorted(set(paths)):
            stack.enter_context(locked(path))
        olds, news = [], []
        for path, (_, expected, change) in zip(paths, changes, strict=True):
            _remove_leftovers(path)
            old = b"" if create and not path.exists() else read_file(path)
            if expected is not None and version(old) != expected:
                raise StaleEdit(f"{path.name}을(를) 그 사이에 다른 사람이 저장했습니다. "
                                "저장하지 않았습니다: 새로 불러온 내용을 확인하고 다시 "
                                "고쳐 주세요")
            olds.append(old)
            news.append(change(old))
        validate(news)
        writes = []
        for path, old, new in zip(paths, olds, news, strict=True):
            if new != old:
                mode = _mode(path)
                if path.exists():
                    writes.insert(0, (path.with_name(path.name + ".prev"), old, mode))
                writes.append((path, new, mode))
        _put(writes)
    return [version(new) for new in news]


def write_atomic(path: str | Path, data: bytes, mode: int | None = None) -> None:
    """Put ``data`` at ``path`` in one step (temporary file, fsync, rename).

    ``mode`` defaults to the existing file's, or to what the umask gives a new file."""
    path = Path(path)
    _put([(path, data, _mode(path) if mode is None else mode)])


def _mode(path: Path) -> int:
    """The mode of the file at ``path``, or what the umask gives a new one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _put(writes: list[tuple[Path, bytes, int]]) -> None:
    """Write every (path, bytes, mode) to a temporary file beside it (fsync), and only
    when all are written rename them in order; no temporary file is left behind."""
    staged: list[tuple[str, Path]] = []
    path = None
    try:
        for path, data, mode in writes:
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                 dir=path.parent)
            staged.append((temporary, path))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fchmod(stream.fileno(), mode)
                os.fsync(stream.fileno())
        while staged:
            temporary, path = staged[0]
            os.replace(temporary, path)
            staged.pop(0)
        for folder in dict.fromkeys(path.parent for path, _, _ in writes):
            _sync_folder(folder)
    except OSError as error:
        raise OutputError(f"'{path}'을(를) 쓸 수 없습니다: {_reason(error)}. "
                          "파일은 바뀌지 않았습니다") from None
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _remove_leftovers(path: Path) -> None:
    """Temporary files of writes that were killed before their rename. Only the
    holder of the lock writes them, so under the lock every one left is dead."""
    for name in (path.name, path.name + ".prev"):
        for leftover in path.parent.glob(f".{glob.escape(name)}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "디스크 공간이 부족합니다"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "쓰기 권한이 없습니다"
    return error.strerror or type(error).__name__


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _umask() -> int:
    # os.umask can only be read by setting it; this runs under no lock of its own,
    # so read it from /proc where possible (threads of the web app call this).
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022
