"""`leaflets build`: the output folder, its manifest, and atomicity."""

from __future__ import annotations

import hashlib
import json
import shutil
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
        *(("media", kind, None) for kind in ("sms", "lms", "email", "banner", "newsletter")),
        ("newsletter", "print-media", None), ("xbanner", "print-media", None),
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
    # "passed" is what the build writes; the files themselves must pass a preflight run
    # of their own, as the vendor would run it.
    prints = [str(built / a["path"]) for a in manifest["artifacts"] if a["kind"] == "print"]
    assert len(prints) == 2
    assert main(["preflight", *prints]) == 0
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


def _overflowing_headline(doc):
    # 495 characters: within the 500 the content check allows, so this one passes
    # validation and fails only in the renderer, after the staging folder was made.
    doc["poster-a4"]["headline"] = "긴 제목 " * 99


@pytest.mark.parametrize("edit", [
    lambda doc: doc["fees"][0].__setitem__("counter", -1),  # invalid data
    _overflowing_headline,
], ids=["invalid-data", "overflow-in-render"])
def test_failed_build_leaves_previous_output_untouched(built, data_file, tmp_path, capsys, edit):
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    (out / "manifest.json").touch()
    before = _snapshot(out)
    data = data_file(edit)
    assert main(["build", "--data", str(data), "--out", str(out), "--no-cache"]) == 2
    assert _snapshot(out) == before
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert left == [], f"staging folder left behind: {left}"
    err = capsys.readouterr().err
    assert err.startswith("오류: ") and "아무 파일도 바꾸지 않았습니다" in err


def test_the_overflow_case_passes_validation_and_fails_in_layout(data_file, capsys):
    """Guards the case above: it must reach the renderer, not stop at validation."""
    from leaflets.content import load_content

    data = data_file(_overflowing_headline)
    load_content(data)  # the file's values are valid: no DataError
    assert main(["check", "--data", str(data)]) == 2  # `check` lays the pages out too
    assert "들어가지 않습니다" in capsys.readouterr().err


def _templates_with(tmp_path, old: str, new: str) -> Path:
    """A copy of templates/ with one theme colour changed."""
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    theme = templates / "theme.css"
    text = theme.read_text(encoding="utf-8")
    assert old in text
    theme.write_text(text.replace(old, new), encoding="utf-8")
    return templates


def test_print_files_that_fail_the_preflight_are_never_written(built, tmp_path):
    """A headline band in 400 % ink (C = M = Y = K = 100 %) fails the vendor's 300 %
    limit: the build stops after the preflight and the previous output stays."""
    from leaflets.build import PreflightFailed, build
    from leaflets.render import Renderer

    templates = _templates_with(tmp_path, "--navy: device-cmyk(1 0.72 0 0.3)",
                                "--navy: device-cmyk(1 1 1 1)")
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = _snapshot(out)
    with pytest.raises(PreflightFailed) as caught:
        build(ROOT / "minwon24.toml", out, renderer=Renderer(templates=templates))
    assert sorted(r.name for r in caught.value.reports) == ["print/pocket.pdf",
                                                            "print/poster-a4.pdf"]
    for report in caught.value.reports:
        assert not report.passed and report.failures("tac"), report
    assert _snapshot(out) == before, "a print file that failed its preflight was written"
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert left == [], f"staging folder left behind: {left}"


def test_a_build_whose_print_file_fails_exits_1_and_writes_nothing(built, tmp_path, capsys):
    """Through the command line: a 동 picture in 400 % ink fails the 동's print files."""
    Image.new("CMYK", (400, 400), (255, 255, 255, 255)).save(tmp_path / "logo.jpg",
                                                             quality=95)
    dongs = tmp_path / "dongs.toml"
    dongs.write_text('[[dongs]]\nname = "옥수동"\nimage = "logo.jpg"\n', encoding="utf-8")
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = _snapshot(out)
    code = main(["build", "--out", str(out), "--dongs", str(dongs), "--dong", "옥수동",
                 "--no-cache", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "잉크 총량" in err and "아무 파일도 바꾸지 않았습니다" in err
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


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
