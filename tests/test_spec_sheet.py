"""The spec sheet (인쇄사양서) a vendor receives: who orders and who prints, from
production.toml's [order]; the office's own prices only when asked for; no
package at all while 담당자 or 인쇄소 is still empty."""

from __future__ import annotations

import json
import shutil

import pytest

from leaflets.cli import main
from leaflets.project import DEFAULT_DATA, DEFAULT_PRODUCTION
from tests.conftest import ORDER, ordered_production, read_pages


def _spec_text(folder) -> str:
    pdf = (folder / "인쇄사양서.pdf").read_bytes()
    return " ".join(page.text for page in read_pages(pdf)).replace("\n", " ")


@pytest.fixture(scope="module")
def budget():
    """The budget checker's figures for the default files (JSON, whole 원)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["budget", "--format", "json", "--ledger", "/nonexistent/x.sqlite"]) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("with_prices", [False, True])
def test_spec_sheet_names_the_order_and_shows_prices_only_on_request(
        tmp_path, budget, capsys, monkeypatch, with_prices):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    production = ordered_production(tmp_path)
    args = ["package", "--production", str(production), "--out", str(tmp_path / "out"),
            "--no-record"]
    assert main(args + (["--with-prices"] if with_prices else [])) == 0
    capsys.readouterr()
    (folder,) = [p for p in (tmp_path / "out" / "vendor").iterdir() if p.is_dir()]
    text = _spec_text(folder)
    assert ORDER["contact"] in text and ORDER["vendor"] in text
    for run in budget["runs"]:
        assert f"{run['quantity']:,}부" in text
        assert f"{run['sheet']} {run['n_up']}면" in text
        assert f"{run['sheets']:,}장(여분 포함)" in text  # the slug's 인쇄 장수
    assert "※ 인쇄 장수 = 부수 ÷ 판걸이 + 여분" in text
    amounts = [f"{run[key]:,}원" for run in budget["runs"] for key in ("supply", "vat", "total")]
    amounts.append(f"{budget['total']:,}원")
    if with_prices:
        assert all(amount in text for amount in amounts), text
        assert all(f"{run['press_sheets']:,}장 ({run['reams']}연)" in text
                   for run in budget["runs"] if run["press_sheets"])
    else:
        assert [amount for amount in amounts if amount in text] == []
        assert "합계" not in text and "단가" not in text and "공급가액" not in text
        assert "견적은 이 사양으로 인쇄소에서" in text
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert ("금액" in readme) == with_prices


def test_no_package_while_contact_or_vendor_is_empty(tmp_path, capsys):
    production = tmp_path / "production.toml"
    shutil.copy(DEFAULT_PRODUCTION, production)  # as shipped: both left for the office
    out = tmp_path / "out"
    code = main(["package", "--data", str(DEFAULT_DATA), "--production", str(production),
                 "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(production) in err
    assert "'order.contact'" in err and "담당자를 적어야 합니다" in err
    assert "'order.vendor'" in err and "인쇄소를 적어야 합니다" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["production.toml"]  # no ledger
