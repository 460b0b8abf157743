"""Data files edited in Windows 메모장: a UTF-8 BOM and CR LF line ends are fine and
kept; a file saved as "ANSI" (CP949) is refused with a message that says how to fix it."""

from __future__ import annotations

import shutil

import pytest

from leaflets.cli import main
from leaflets.content import load_content
from leaflets.dongs import load_dongs
from leaflets.editing import dong_version, save_content, save_dong
from leaflets.project import DEFAULT_DATA, DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.shared import file_version


def _notepad(path):
    """Save ``path`` as 메모장 does with "UTF-8 (BOM)": BOM and CR LF."""
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


@pytest.fixture
def folder(tmp_path):
    for source in (DEFAULT_DATA, DEFAULT_PRODUCTION, DEFAULT_DONGS):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def test_a_bom_and_crlf_file_is_read_and_a_save_keeps_both(folder, capsys):
    for name in ("minwon24.toml", "production.toml", "dongs.toml"):
        _notepad(folder / name)
    assert main(["check", "--data", str(folder / "minwon24.toml"),
                 "--production", str(folder / "production.toml"),
                 "--dongs", str(folder / "dongs.toml")]) == 0, capsys.readouterr().err
    path = folder / "minwon24.toml"
    content = load_content(path)
    fees = [dict(document=f.document, counter=f.counter, kiosk=f.kiosk, online=f.online)
            for f in content.fees]
    fees[1]["counter"] = 1200
    save_content(path, file_version(path), fees, list(content.howto.steps), content.howto.note)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"counter = 1200\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line end still CR LF
    assert load_content(path).fees[1].counter == 1200
    dongs = folder / "dongs.toml"
    save_dong(dongs, dong_version(load_dongs(dongs).get("옥수동")), "옥수동",
              {"message": "가입 안내\r\n도와 드립니다"})
    raw = dongs.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    assert load_dongs(dongs).get("옥수동").message == "가입 안내\n도와 드립니다"


def test_a_file_saved_as_ansi_gets_told_how_to_save_it_as_utf8(folder, capsys):
    path = folder / "minwon24.toml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp949"))
    out = folder / "out"
    assert main(["build", "--data", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "CP949" in err and "다른 이름으로 저장" in err and "UTF-8" in err, err
    assert not out.exists()
