"""The command line under abuse: hostile data files, Ctrl+C, SIGTERM, SIGKILL, a full disk.

Each test runs ``python -m leaflets`` as a real process and checks what a
user sees (a Korean message, the exit code, no traceback) and what is left
on disk (the previous output exactly as it was, no staging folder, no
worker process).
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from leaflets.build import _replace_folder
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION

SOURCES = {"data": DEFAULT_DATA, "production": DEFAULT_PRODUCTION, "dongs": DEFAULT_DONGS}


@pytest.fixture
def project(tmp_path):
    """Copies of the three data files, and a previous output folder to protect."""
    folder = tmp_path / "project"
    folder.mkdir()
    for source in SOURCES.values():
        shutil.copy(source, folder / source.name)
    return folder


def _previous_output(out: Path) -> dict[str, bytes]:
    """A stand-in for an earlier build in ``out``: what must survive a failed one."""
    out.mkdir(parents=True)
    files = {"manifest.json": json.dumps({"artifacts": []}).encode(), "poster-a4.pdf": b"old"}
    for name, data in files.items():
        (out / name).write_bytes(data)
    return files


def _contents(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*-*"))


OPTIONS = {"check": ("data", "production", "dongs"), "build": ("data", "production", "dongs"),
           "user": ("data", "dongs")}


def _leaflets(project: Path, command, *args):
    files = [f"--{key}={project / SOURCES[key].name}" for key in OPTIONS[command]]
    return [sys.executable, "-m", "leaflets", command, *args, *files]


def _run(project, *args, timeout=120, **kwargs):
    return subprocess.run(_leaflets(project, *args), capture_output=True, text=True,
                          timeout=timeout, cwd=project, **kwargs)


def _edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


OKSU = 'name = "옥수동"'

# (file, text replaced, replacement, what the message must name)
BAD_INPUT = {
    "huge integer": ("minwon24.toml", "counter = 400", "counter = " + "9" * 5000,
                     ["minwon24.toml:", "숫자가 너무 깁니다", "5000자리"]),
    "deep nesting": ("minwon24.toml", "counter = 400", "counter = " + "[" * 1000 + "]" * 1000,
                     ["minwon24.toml:", "너무 깊게"]),
    "NUL in content": ("minwon24.toml", 'title = "발급 수수료 비교"', 'title = "발급\\u0000비교"',
                       ["minwon24.toml", "fee_table.title", "문자(U+0000)"]),
    "raw NUL in content": ("minwon24.toml", 'title = "발급 수수료 비교"', 'title = "발급\0비교"',
                           ["minwon24.toml:", "문법"]),
    "NEL in content": ("minwon24.toml", 'title = "발급 수수료 비교"', 'title = "발급\u0085비교"',
                       ["minwon24.toml", "fee_table.title", "문자(U+0085)"]),
    "RLO in content": ("minwon24.toml", 'caption = "휴대폰', 'caption = "\u202e휴대폰',
                       ["minwon24.toml", "qr.caption", "문자(U+202E)"]),
    "RLO in a step": ("minwon24.toml", '"회원가입"', '"회원\\u202e가입"',
                      ["minwon24.toml", "howto.steps[2]", "문자(U+202E)"]),
    "huge integer in production": ("production.toml", "quantity = 10000",
                                   "quantity = " + "1" * 5000,
                                   ["production.toml:", "숫자가 너무 깁니다"]),
    "deep nesting in production": ("production.toml", 'colours = "4/4"',
                                   "colours = " + "[" * 1000 + "]" * 1000,
                                   ["production.toml:", "너무 깊게"]),
    "NUL in production": ("production.toml", 'stock = "아트지 150g"', 'stock = "아트지\\u0000"',
                          ["production.toml", "runs[1].stock", "문자(U+0000)"]),
    "NEL in production": ("production.toml", 'client = "성동구청', 'client = "\u0085성동구청',
                          ["production.toml", "order.client", "문자(U+0085)"]),
    "RLO in production": ("production.toml", 'name = "국전지"', 'name = "국\u202e전지"',
                          ["production.toml", "sheets[1].name", "문자(U+202E)"]),
    "huge integer in dongs": ("dongs.toml", OKSU, OKSU + "\nphone = " + "7" * 5000,
                              ["dongs.toml:", "숫자가 너무 깁니다"]),
    "deep nesting in dongs": ("dongs.toml", OKSU, OKSU + "\nhours = " + "[" * 1000 + "]" * 1000,
                              ["dongs.toml:", "너무 깊게"]),
    "NUL in a 동 field": ("dongs.toml", OKSU, OKSU + '\ndesk = "1층\\u0000창구"',
                         ["dongs.toml", "desk", "문자(U+0000)"]),
    "NEL in a 동 message": ("dongs.toml", OKSU, OKSU + '\nmessage = "안내\u0085문구"',
                           ["dongs.toml", "message", "문자(U+0085)"]),
    "LRI in a 동 field": ("dongs.toml", OKSU, OKSU + '\ncontact = "주무관 \u2066홍길동"',
                         ["dongs.toml", "contact", "문자(U+2066)"]),
    "NUL in an image path": ("dongs.toml", OKSU, OKSU + '\nimage = "logo.png\\u0000.txt"',
                             ["dongs.toml", "image", "문자(U+0000)"]),
    "70000×1 picture": ("dongs.toml", OKSU, OKSU + '\nimage = "wide.png"',
                        ["dongs.toml", "image", "70000×1"]),
    "tiny picture": ("dongs.toml", OKSU, OKSU + '\nimage = "tiny.png"',
                     ["dongs.toml", "image", "10×10"]),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_hostile_data_is_a_message_not_a_traceback(project, case):
    name, old, new, named = BAD_INPUT[case]
    _edit(project / name, old, new)
    Image.new("RGB", (70000, 1), "red").save(project / "wide.png")
    Image.new("RGB", (10, 10), "red").save(project / "tiny.png")
    out = project / "dist"
    result = _run(project, "build", "--no-cache", "--dong", "옥수동", f"--out={out}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("오류: ")
    for part in named:
        assert part in result.stderr
    assert not out.exists() and not _staging(out)


@pytest.mark.parametrize("field, text", [
    ("message", "첫째 줄\\n둘째 줄"),  # the one 동 field of two lines
    ("desk", "1층 민원실 3번 창구"),
])
def test_a_line_break_stays_allowed_where_a_field_has_lines(project, field, text):
    _edit(project / "dongs.toml", OKSU, OKSU + f'\n{field} = "{text}"')
    result = _run(project, "check")
    assert result.returncode == 0, result.stderr  # the content file's headline has \n too


def test_a_line_break_in_a_one_line_field_is_refused(project):
    _edit(project / "dongs.toml", OKSU, OKSU + '\ndesk = "1층\\n창구"')
    result = _run(project, "check")
    assert result.returncode == 2 and "desk" in result.stderr


# Processes -------------------------------------------------------------------------------

def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (from /proc: no psutil)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _workers(pid: int) -> set[int]:
    """The build's worker processes: Python children (forked, so the same executable)."""
    exe = os.readlink(f"/proc/{pid}/exe")
    found = set()
    for child in _children(pid):
        try:
            if os.readlink(f"/proc/{child}/exe") == exe:
                found.add(child)
        except OSError:
            continue
    return found


def _as_from_a_terminal():
    """In the child: Ctrl+C's default action, as a command typed at a terminal has it.
    A test run started in the background (``cmd &`` without job control) ignores
    SIGINT, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_batch(project, out):
    """``build --all-dongs`` in the background, once its workers are rendering."""
    process = subprocess.Popen(
        _leaflets(project, "build", "--all-dongs", "--no-cache", "--jobs=2", f"--out={out}"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project,
        preexec_fn=_as_from_a_terminal)
    deadline = time.monotonic() + 120
    workers = set()
    while time.monotonic() < deadline and process.poll() is None:
        workers = _workers(process.pid)
        if _staging(out) and len(workers) >= 2:
            break
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"the build never started its workers: {process.communicate()}")
    time.sleep(1)  # let them get into their editions
    return process, workers


def _wait_gone(pids, seconds=20) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    return {pid for pid in pids if _alive(pid)}


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_build_leaves_nothing_behind(project, tmp_path, signum, code):
    out = tmp_path / "dist"
    before = _previous_output(out)
    process, workers = _start_batch(project, out)
    started = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    # The workers are stopped, not waited for: a chunk of editions takes several seconds.
    assert time.monotonic() - started < 3
    assert process.returncode == code, stderr
    assert "중단했습니다" in stderr
    assert "Traceback" not in stderr
    assert not _staging(out)
    assert _contents(out) == before
    assert not _wait_gone(workers, seconds=5)


def test_workers_end_with_a_killed_build_and_the_next_build_cleans_up(project, tmp_path):
    out = tmp_path / "dist"
    before = _previous_output(out)
    process, workers = _start_batch(project, out)
    process.kill()
    process.communicate(timeout=30)
    assert not _wait_gone(workers), "workers outlived their killed parent"
    left = _staging(out)
    assert left and all(f"-{process.pid}-" in p.name for p in left)
    assert _contents(out) == before

    result = _run(project, "build", "--no-cache", f"--out={out}",
                  preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    assert not _staging(out)
    assert json.loads((out / "manifest.json").read_text())["artifacts"]
    modes = {p.stat().st_mode & 0o777 for p in out.rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_a_running_builds_staging_folder_is_kept(tmp_path):
    out = tmp_path / "dist"
    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = tmp_path / f".dist.new-{os.getpid()}-abc123"
    stale = tmp_path / f".dist.new-{dead.pid}-xyz789"
    other = tmp_path / f".other.new-{dead.pid}-xyz789"
    for folder in (mine, stale, other):
        folder.mkdir()
    _replace_folder(out, {"a.txt": b"x"})
    assert mine.is_dir() and other.is_dir()
    assert not stale.exists()


def test_a_build_killed_between_its_renames_gets_its_output_back(tmp_path):
    out = tmp_path / "dist"
    dead = subprocess.Popen(["true"])
    dead.wait()
    old = tmp_path / f".dist.old-{dead.pid}-abc123"
    (old / "previous").mkdir(parents=True)
    (old / "previous" / "manifest.json").write_text("{}")
    from leaflets.build import _Staging

    with _Staging(out) as staging:
        staging.discard()
    assert (out / "manifest.json").read_text() == "{}"
    assert not old.exists()


# A full disk -----------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs; without the right to mount, None (the test then fakes ENOSPC)."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    yield folder if mounted else None
    if mounted:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_is_a_message_and_the_previous_output_stays(project, small_disk,
                                                                 monkeypatch, capsys):
    if small_disk is not None:
        out = small_disk / "dist"
        before = _previous_output(out)
        free = os.statvfs(small_disk)
        (small_disk / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 300_000))
        result = _run(project, "build", "--no-cache", f"--out={out}")
        code, stderr = result.returncode, result.stderr
    else:  # no mount: the same failure, raised where the files are written
        import errno

        from leaflets import cli

        out = project / "dist"
        before = _previous_output(out)
        real = Path.write_bytes

        def full(path, data):
            if ".dist.new-" in str(path) and len(data) > 100_000:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
            return real(path, data)

        monkeypatch.setattr(Path, "write_bytes", full)
        code = cli.main(_leaflets(project, "build", "--no-cache", f"--out={out}")[3:])
        stderr = capsys.readouterr().err
    assert code == 1, stderr
    assert "디스크 공간이 부족합니다" in stderr
    assert "Traceback" not in stderr
    assert _contents(out) == before
    assert not _staging(out)


# The password prompt ---------------------------------------------------------------------

def test_ctrl_c_at_the_password_prompt(project):
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal, as in a real session
        _as_from_a_terminal()
        os.execv(sys.executable, _leaflets(project, "user", "add", "민원여권과", "--role=admin"))
    seen = b""
    deadline = time.monotonic() + 60
    while "비밀번호".encode() not in seen and time.monotonic() < deadline:
        seen += os.read(terminal, 1024)
    os.write(terminal, b"\x03")  # Ctrl+C: the terminal sends SIGINT
    while True:
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 130, text
    assert "중단했습니다" in text
    assert "Traceback" not in text


@pytest.mark.parametrize("stdin", [subprocess.DEVNULL, None])
def test_no_password_on_standard_input(project, stdin):
    command = _leaflets(project, "user", "add", "민원여권과", "--role=admin", "--password-stdin")
    if stdin is None:  # standard input closed altogether
        command = ["sh", "-c", 'exec "$@" <&-', "sh", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=project,
                            stdin=stdin)
    assert result.returncode == 2, result.stderr
    assert "비밀번호를 입력하지 않았습니다" in result.stderr
    assert "Traceback" not in result.stderr


# Every other failure ---------------------------------------------------------------------

@pytest.mark.parametrize("error, message", [
    (__import__("sqlite3").OperationalError("database is locked"), "다른 작업이 기록 파일"),
    (PermissionError(13, "Permission denied", "dist/a.pdf"), "권한이 없습니다 (dist/a.pdf)"),
    (OSError(28, "No space left on device"), "디스크 공간이 부족합니다"),
    (MemoryError(), "메모리가 부족합니다"),
    (RuntimeError("boom"), "예상하지 못한 오류가 났습니다 (RuntimeError)"),
])
def test_any_other_failure_is_one_korean_line(monkeypatch, capsys, error, message):
    from leaflets import cli

    def fail(args):
        """검사 (a stand-in that fails)."""
        raise error

    monkeypatch.setitem(cli.COMMANDS, "check", (fail, "검사"))
    monkeypatch.delenv("LEAFLETS_DEBUG", raising=False)
    assert cli.main(["check"]) == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith("오류: ") and message in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr

    monkeypatch.setenv("LEAFLETS_DEBUG", "1")  # the details, when asked for
    assert cli.main(["check"]) == 1
    assert "Traceback" in capsys.readouterr().err
