"""A 동's edition ordered through ``leaflets package --dong``: its own bundle and order
(with the 동 in the ledger), counted once by ``leaflets evaluate`` (real renderer,
real SQLite)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from leaflets.cli import main
from leaflets.ledger import Ledger
from tests.conftest import ordered_production

EPOCH = "1434326400"  # 2015-06-15: inside the example evaluation's period (2015)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "evaluation"


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _evaluate(ledger: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["evaluate", "--counts", str(EXAMPLES / "실적.csv"), "--activities",
                 str(EXAMPLES / "활동.csv"), "--year", "2015", "--ledger", str(ledger),
                 "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    return {entry["dong"]: entry for entry in result["dongs"]}


def test_dong_package_is_ordered_once_and_counted_once(tmp_path, capsys):
    production = ordered_production(tmp_path)
    ledger, out = tmp_path / "orders.sqlite", tmp_path / "dist"
    package = ["package", "--production", str(production), "--ledger", str(ledger),
               "--out", str(out)]
    before = _evaluate(ledger, capsys)["옥수동"]
    assert not any("발주" in case["content"] for case in before["detail"]["special"])

    # The 구's edition first: the 동's is another bundle, not "already ordered".
    assert main(package) == 0
    assert main([*package, "--dong", "옥수동"]) == 0
    printed = capsys.readouterr().out
    assert "옥수동 자체홍보물" in printed
    orders = Ledger(ledger).orders()
    assert [order.dong for order in orders] == [None, "옥수동"]
    gu, dong = orders
    assert gu.bundle_sha256 != dong.bundle_sha256
    assert dong.package.startswith("20150615-") and dong.package.endswith("-옥수동")
    assert dong.total == gu.total  # priced with the production runs as they are
    assert [(r.product, r.quantity) for r in dong.runs] == \
        [(r.product, r.quantity) for r in gu.runs]

    # The bundle holds the 동's print files (not the 구's), preflighted, and marks the 동.
    folder = out / "vendor" / dong.package
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["dong"] == "옥수동" and manifest["package"] == dong.package
    assert "옥수동" in (folder / "README.txt").read_text(encoding="utf-8")
    gu_folder = out / "vendor" / gu.package
    prints = sorted(p.name for p in (folder / "print").iterdir())
    assert prints and prints == sorted(p.name for p in (gu_folder / "print").iterdir())
    for name in prints:
        assert (folder / "print" / name).read_bytes() != (gu_folder / "print" / name).read_bytes()
        report = (folder / "preflight" / name.replace(".pdf", ".txt")).read_text()
        assert "통과" in report
    with zipfile.ZipFile(out / "vendor" / f"{dong.package}.zip") as archive:
        assert f"{dong.package}/인쇄사양서.pdf" in archive.namelist()

    scored = _evaluate(ledger, capsys)["옥수동"]
    ordered = [case for case in scored["detail"]["special"]
               if f"발주 #{dong.id}" in case["content"]]
    assert len(ordered) == 1 and ordered[0]["counted"] is True
    assert scored["special"] == before["special"] + 5

    # Twice: the same bundle is not ordered again; still one order, one case.
    assert main([*package, "--dong", "옥수동"]) == 0
    assert "이미 발주한 묶음입니다" in capsys.readouterr().out
    assert [order.dong for order in Ledger(ledger).orders()] == [None, "옥수동"]
    again = _evaluate(ledger, capsys)["옥수동"]
    assert [c for c in again["detail"]["special"] if "발주 #" in c["content"]] == ordered
    assert again["special"] == scored["special"]


def test_unknown_dong_is_refused_before_anything_is_written(tmp_path, capsys):
    production = ordered_production(tmp_path)
    ledger, out = tmp_path / "orders.sqlite", tmp_path / "dist"
    assert main(["package", "--production", str(production), "--ledger", str(ledger),
                 "--out", str(out), "--dong", "없는동"]) == 2
    assert "없는동" in capsys.readouterr().err
    assert not (out / "vendor").exists() and Ledger(ledger).orders() == []
