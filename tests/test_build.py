"""`leaflets build`: the output folder, its manifest, and atomicity."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from leaflets.cli import COMMANDS, main
from leaflets.project import ROOT


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "dist"
    assert main(["build", "--out", str(out)]) == 0
    return out


def test_build_writes_proofs_and_manifest(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    data = (ROOT / "minwon24.toml").read_bytes()
    assert manifest["data_sha256"] == hashlib.sha256(data).hexdigest()
    listed = {(a["product"], a["kind"], a.get("page")): a for a in manifest["artifacts"]}
    assert set(listed) == {
        ("poster-a4", "proof-pdf", None), ("poster-a4", "proof-png", 1),
        ("poster-a4", "print", None),
        ("pocket", "proof-pdf", None), ("pocket", "proof-png", 1), ("pocket", "proof-png", 2),
        ("pocket", "print", None),
        ("poster-a4", "imposed", None), ("poster-a4", "office", None),
        ("pocket", "imposed", None), ("pocket", "office", None),
    }
    imposed = listed[("pocket", "imposed", None)]
    assert imposed["path"] == "imposed/pocket.pdf"
    assert imposed["method"] == "work-and-turn"
    assert imposed["n_up"] >= 2 and imposed["sheets"] >= 10_500 / imposed["n_up"]
    assert set(imposed) >= {"sheet", "sheet_mm", "n_up", "method", "sheets"}
    office = listed[("pocket", "office", None)]
    assert (office["sheet"], office["sheet_mm"], office["n_up"]) == ("A4", [210, 297], 4)
    assert office["method"] == "office-duplex" and office["pages"] == 2
    assert listed[("pocket", "print", None)]["path"] == "print/pocket.pdf"
    assert listed[("pocket", "print", None)]["bleed_mm"] == 3
    assert listed[("pocket", "print", None)]["preflight"] == "passed"
    assert listed[("poster-a4", "proof-pdf", None)]["trim_mm"] == [210, 297]
    assert listed[("pocket", "proof-pdf", None)]["pages"] == 2
    assert listed[("pocket", "proof-png", 2)]["side"] == "뒷면"
    for artifact in manifest["artifacts"]:
        path = built / artifact["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == artifact["sha256"]
    files = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    assert files == {a["path"] for a in manifest["artifacts"]} | {"manifest.json"}


@pytest.mark.parametrize("name, trim_mm", [
    ("poster-a4-p1.png", (210, 297)), ("pocket-p1.png", (105, 148)), ("pocket-p2.png", (105, 148)),
])
def test_png_proofs_are_trim_size_at_150_dpi_or_more(built, name, trim_mm):
    with Image.open(built / name) as image:
        dpi = image.info["dpi"][0]
        assert dpi >= 150
        assert image.width == pytest.approx(trim_mm[0] / 25.4 * dpi, abs=2)
        assert image.height == pytest.approx(trim_mm[1] / 25.4 * dpi, abs=2)


def test_fee_change_reaches_the_built_files(data_file, tmp_path):
    out = tmp_path / "out"
    data = data_file(lambda doc: doc["fees"][1].__setitem__("counter", 1200))
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0
    from tests.conftest import read_pages
    back = read_pages((out / "pocket.pdf").read_bytes())[1]
    assert "가족관계증명서 1,200원 500원 무 료" in back.lines


@pytest.mark.parametrize("edit", [
    lambda doc: doc["fees"][0].__setitem__("counter", -1),  # invalid data
    lambda doc: doc["poster-a4"].__setitem__("headline", "긴 제목 " * 150),  # overflow in render
])
def test_failed_build_leaves_previous_output_untouched(built, data_file, tmp_path, capsys, edit):
    out = tmp_path / "dist"
    assert main(["build", "--out", str(out)]) == 0
    (out / "manifest.json").touch()
    before = _snapshot(out)
    assert main(["build", "--data", str(data_file(edit)), "--out", str(out)]) == 2
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    err = capsys.readouterr().err
    assert err.startswith("오류: ") and "아무 파일도 바꾸지 않았습니다" in err


def test_build_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    out = tmp_path / "내 문서"
    out.mkdir()
    (out / "보고서.hwp").write_bytes(b"precious")
    assert main(["build", "--out", str(out)]) == 2
    assert (out / "보고서.hwp").read_bytes() == b"precious"
    assert "manifest.json" in capsys.readouterr().err


def test_build_into_a_new_nested_folder(tmp_path):
    out = tmp_path / "a" / "b" / "c"
    assert main(["build", "--out", str(out)]) == 0
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "예)" in out and f"leaflets {command}" in out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["print"])
    assert exited.value.code == 2
    assert "오류" in capsys.readouterr().err


def test_python_dash_m_and_console_script(tmp_path):
    result = subprocess.run([sys.executable, "-m", "leaflets", "check"], capture_output=True,
                            text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert "확인 완료" in result.stdout
    script = Path(sys.executable).parent / "leaflets"  # installed beside this Python
    result = subprocess.run([str(script), "check", "--data", "없는파일.toml"],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "없는파일.toml" in result.stderr
