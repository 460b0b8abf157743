"""production.toml validation: clear messages, exit code 2, nothing written."""

from __future__ import annotations

import pytest
import tomlkit

from leaflets.cli import main
from leaflets.errors import DataError
from leaflets.production import load_production
from leaflets.project import DEFAULT_PRODUCTION
from tests.conftest import set_at as _set

DEFAULT = DEFAULT_PRODUCTION.read_text(encoding="utf-8")


def _write(tmp_path, edit, name="production.toml"):
    doc = tomlkit.parse(DEFAULT)
    edit(doc)
    path = tmp_path / name
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def test_defaults_are_the_plans_runs():
    production = load_production(DEFAULT_PRODUCTION)
    runs = {run.product: run for run in production.runs}
    assert (runs["pocket"].quantity, runs["pocket"].double_sided) == (10_000, True)
    assert (runs["poster-a4"].quantity, runs["poster-a4"].double_sided) == (5_000, False)
    sizes = {sheet.name: sheet.size_mm for sheet in production.sheets}
    for name, size in [("국전지", (939, 636)), ("4×6전지", (1091, 788)), ("국2절", (636, 468)),
                       ("46 2절", (788, 545)), ("국4절 디지털", (467, 316)), ("SRA3", (450, 320)),
                       ("330×487", (487, 330)), ("A4", (297, 210))]:
        assert sizes[name] == size
    assert production.office_sheet.name == "A4"



def _delete_office(doc):
    for sheet in doc["sheets"]:
        sheet.pop("office", None)


INVALID = [
    ("quantity-zero", _set(["runs", 0, "quantity"], 0), "runs[1].quantity", "0"),
    ("quantity-text", _set(["runs", 0, "quantity"], "만 부"), "runs[1].quantity", "'만 부'"),
    ("quantity-float", _set(["runs", 1, "quantity"], 5000.5), "runs[2].quantity", "5000.5"),
    ("unknown-product", _set(["runs", 0, "product"], "banner"), "runs[1].product", "'banner'"),
    ("two-page-single-sided", _set(["runs", 0, "colours"], "4/0"), "runs[1].colours", "'4/0'"),
    ("one-page-double-sided", _set(["runs", 1, "colours"], "4/4"), "runs[2].colours", "'4/4'"),
    ("colours-format", _set(["runs", 0, "colours"], "CMYK"), "runs[1].colours", "'CMYK'"),
    ("unknown-method", _set(["runs", 0, "method"], "flip"), "runs[1].method", "'flip'"),
    ("negative-overs", _set(["runs", 0, "overs_percent"], -1), "runs[1].overs_percent", "-1"),
    ("unknown-sheet-in-run", _set(["runs", 0, "sheets"], ["B0"]), "runs[1].sheets", "'B0'"),
    ("unknown-key", _set(["runs", 0, "colour"], "4/4"), "runs[1].colour", None),
    ("duplicate-run", lambda doc: doc["runs"][1].update(product="pocket", colours="4/4"),
     "runs[2].product", "'pocket'"),
    ("sheet-too-small", _set(["sheets", 0, "size_mm"], [10, 10]), "sheets[1].size_mm",
     "[10, 10]"),
    ("negative-gripper", _set(["sheets", 0, "gripper_mm"], -5), "sheets[1].gripper_mm", "-5"),
    ("duplicate-sheet", _set(["sheets", 1, "name"], "국전지"), "sheets[2].name", "'국전지'"),
    ("no-office-sheet", _delete_office, "sheets", None),
    ("missing-runs", lambda doc: doc.pop("runs"), "runs", None),
]


@pytest.mark.parametrize("edit, field, value", [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_production_is_refused(tmp_path, edit, field, value):
    path = _write(tmp_path, edit, "발주.toml")
    with pytest.raises(DataError) as raised:
        load_production(path)
    assert raised.value.field == field
    message = str(raised.value)
    assert message.startswith(str(path)) and f"'{field}'" in message
    if value is not None:
        assert value in message


@pytest.mark.parametrize("command", ["check", "impose", "build"])
def test_commands_exit_2_and_write_nothing(tmp_path, capsys, command):
    bad = _write(tmp_path, _set(["runs", 0, "quantity"], -10))
    out = tmp_path / "out"
    argv = [command, "--production", str(bad)]
    if command in ("build", "impose"):
        argv += ["--out", str(out)]
    assert main(argv) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "runs[1].quantity" in err and "-10" in err
