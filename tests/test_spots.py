"""Spot colours (별색) from production.toml's [output] spots: the one list the preflight
command, the build and the vendor package allow. A bad list is refused with the file,
field and value, exit code 2, nothing written. The vendor package carries every
preflight report as a one-page PDF next to the text."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import tomlkit

from leaflets.cli import main
from leaflets.errors import DataError
from leaflets.package import make_package
from leaflets.preflight import CHECKS
from leaflets.production import load_production
from leaflets.project import DEFAULT_DATA
from tests.conftest import ordered_production, read_pages
from tests.test_preflight_corpus import _edit, _spot_text

SPOT = "PANTONE 286 C"
UNLISTED = "발주서(production.toml)에 없는 별색입니다"


def _production(folder: Path, spots) -> Path:
    """An ordered copy of the shipped production.toml with ``[output] spots``."""
    path = ordered_production(folder)
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["output"]["spots"] = spots
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spotted(print_pdfs, tmp_path_factory) -> Path:
    """The project's pocket print file with one line of text in the spot SPOT."""
    path = tmp_path_factory.mktemp("spotted") / "별색.pdf"
    path.write_bytes(_edit(print_pdfs["pocket"], _spot_text(SPOT)))
    return path


@pytest.mark.parametrize("listed, extra, code", [
    ([SPOT], [], 0),
    (["pantone 286 c"], [], 0),  # a PDF name is matched as a vendor writes it, any case
    (["PANTONE 185 C"], [], 1),
    ([], [], 1),
    ([], ["--spot", SPOT], 0),  # --spot adds to the file's list
    (["PANTONE 185 C"], ["--spot", SPOT], 0),
], ids=["listed", "listed-other-case", "other-spot", "none", "spot-option", "file-and-option"])
def test_preflight_allows_the_spots_production_toml_lists(spotted, tmp_path, capsys, listed,
                                                           extra, code):
    production = _production(tmp_path, listed)
    assert main(["preflight", str(spotted), "--production", str(production), *extra]) == code
    out = capsys.readouterr().out
    if code:
        assert f"별색 {SPOT} 사용" in out and UNLISTED in out, out
        assert "불합격: " + CHECKS["spot_lab"] in out
    else:
        assert "합격: 인쇄소에 보낼 수 있습니다" in out and UNLISTED not in out, out


def test_preflight_reads_the_shipped_production_toml_by_default(spotted, capsys):
    # The shipped file lists no spot: a file printing one is refused.
    assert load_production(Path(DEFAULT_DATA).parent / "production.toml").spots == ()
    assert main(["preflight", str(spotted)]) == 1
    assert UNLISTED in capsys.readouterr().out


BAD_SPOTS = [
    ("not-a-list", SPOT, "output.spots", repr(SPOT)),
    ("empty-name", [""], "output.spots[1]", "''"),
    ("blank-name", ["   "], "output.spots[1]", "'   '"),
    ("number", [286], "output.spots[1]", "286"),
    ("duplicate", [SPOT, "pantone 286 c"], "output.spots[2]", "'pantone 286 c'"),
    ("process-plate", ["Black"], "output.spots[1]", "'Black'"),
    ("registration", ["All"], "output.spots[1]", "'All'"),
    ("too-long", ["P" * 61], "output.spots[1]", "P" * 61),
]


@pytest.mark.parametrize("spots, field, value", [case[1:] for case in BAD_SPOTS],
                         ids=[case[0] for case in BAD_SPOTS])
def test_a_bad_spots_value_is_refused(tmp_path, spots, field, value):
    path = _production(tmp_path, spots)
    with pytest.raises(DataError) as raised:
        load_production(path)
    assert raised.value.field == field
    message = str(raised.value)
    assert message.startswith(str(path)) and f"'{field}'" in message and value in message
    assert "PANTONE 286 C" in message  # what is allowed, by example


@pytest.mark.parametrize("command", ["preflight", "build", "package"])
def test_a_bad_spots_value_exits_2_and_writes_nothing(tmp_path, capsys, spotted, command):
    production = _production(tmp_path, [SPOT, SPOT])
    before = production.read_bytes()
    out = tmp_path / "out"
    argv = {"preflight": ["preflight", str(spotted)],
            "build": ["build", "--out", str(out)],
            "package": ["package", "--out", str(out), "--no-record"]}[command]
    assert main([*argv, "--production", str(production)]) == 2
    err = capsys.readouterr().err
    assert str(production) in err and "'output.spots[2]'" in err and repr(SPOT) in err
    assert "아무 파일도 바꾸지 않았습니다" in err
    assert not out.exists() and production.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["production.toml"]


@pytest.fixture(scope="module")
def spot_package(tmp_path_factory):
    """A vendor package of the shipped content for a job that lists one spot."""
    folder = tmp_path_factory.mktemp("spot-package")
    result = make_package(DEFAULT_DATA, _production(folder, [SPOT]), folder / "out", None,
                          record=False)
    with zipfile.ZipFile(result.zip_path) as archive:
        return {info.filename.split("/", 1)[1]: archive.read(info)
                for info in archive.infolist()}


def _text(pdf: bytes) -> tuple[int, str]:
    pages = read_pages(pdf)
    return len(pages), " ".join(" ".join(page.text.split()) for page in pages)


@pytest.mark.parametrize("product", ["pocket", "poster-a4"])
def test_the_vendor_zip_carries_each_preflight_report_as_a_pdf(spot_package, product,
                                                              keep_on_failure):
    report = spot_package[f"preflight/{product}.pdf"]
    keep_on_failure(f"preflight-{product}", report)
    assert f"preflight/{product}.txt" in spot_package  # the text stays beside it
    pages, text = _text(report)
    assert pages == 1
    print_file = f"print/{product}.pdf"
    assert print_file in text
    assert hashlib.sha256(spot_package[print_file]).hexdigest() in text.replace(" ", "")
    for label in CHECKS.values():
        assert f"{' '.join(label.split())} 통과" in text, label
    assert "실패" not in text
    assert "합격: 인쇄소에 보낼 수 있습니다" in text
    assert SPOT in text  # the spots the check allowed
    assert json.loads(spot_package["manifest.json"])["date"] in text  # the check's date


def test_the_spec_sheet_and_readme_list_the_report_pdfs_and_the_spot(spot_package):
    _, spec = _text(spot_package["인쇄사양서.pdf"])
    assert "preflight/pocket.pdf" in spec and "preflight/poster-a4.pdf" in spec
    assert f"별색 {SPOT}" in spec
    readme = spot_package["README.txt"].decode("utf-8")
    assert "preflight/pocket.pdf" in readme and "preflight/poster-a4.pdf" in readme
