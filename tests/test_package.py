"""Reproducible builds, the vendor package, the order ledger and the fee-change diff."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

import leaflets.package
from leaflets.build import build
from leaflets.cli import main
from leaflets.ledger import Ledger
from leaflets.package import make_package
from leaflets.preflight import preflight_many
from leaflets.project import DEFAULT_DATA
from tests.conftest import ordered_production, read_pages

PRODUCTION = ordered_production(Path(tempfile.mkdtemp(prefix="leaflets-package-")))

EPOCH = "1764000000"  # 2025-11-24


def _one_fee(doc):
    doc["fees"][0]["counter"] = 500


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def test_same_inputs_build_byte_identical_files(tmp_path, fixed_date):
    first = build(DEFAULT_DATA, tmp_path / "a", dong_names=("옥수동",), jobs=1)
    second = build(DEFAULT_DATA, tmp_path / "b", dong_names=("옥수동",), jobs=1)
    a, b = _files(first.out_dir), _files(second.out_dir)
    assert sorted(a) == sorted(b) and len(a) > 20
    assert [name for name in a if a[name] != b[name]] == []


def test_one_fee_change_alters_exactly_the_files_showing_fees(tmp_path, data_file, fixed_date):
    before = _files(build(DEFAULT_DATA, tmp_path / "before").out_dir)
    after = _files(build(data_file(_one_fee), tmp_path / "after").out_dir)
    changed = sorted(name for name in before if before[name] != after[name])
    # The pocket front (how-to) is the one page without fees; every print-side file carries
    # the content hash in its slug, so all of those change. The SMS and the homepage banners
    # name one fee only, 가족관계증명서's (the plan's example), which this change leaves.
    untouched = {"pocket-p1.png", "media/sms.txt", "media/banner-300x250.png",
                 "media/banner-1200x630.png"}
    assert not untouched & set(changed)
    assert changed == sorted(name for name in before if name not in untouched)


@pytest.fixture
def package(tmp_path, fixed_date):
    ledger = tmp_path / "orders.sqlite"
    result = make_package(DEFAULT_DATA, PRODUCTION, tmp_path / "out", ledger)
    return result, ledger


def test_package_holds_everything_a_vendor_needs_and_checks_out(package, capsys):
    result, _ = package
    assert result.folder.name == "20251124-" + json.loads(
        (result.folder / "manifest.json").read_text(encoding="utf-8"))["data_sha256"][:8]
    files = _files(result.folder)
    assert sorted(files) == sorted([
        "README.txt", "manifest.json", "인쇄사양서.pdf", "imposed/pocket.pdf",
        "print/pocket.pdf", "print/poster-a4.pdf", "preflight/pocket.pdf",
        "preflight/pocket.txt", "preflight/poster-a4.pdf", "preflight/poster-a4.txt",
        "proofs/pocket-p1.jpg", "proofs/pocket-p2.jpg",
        "proofs/poster-a4-p1.jpg"])
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert sorted(listed) == sorted(set(files) - {"manifest.json"})
    for path, digest in listed.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    readme = files["README.txt"].decode("utf-8")
    for path in set(listed) - {"README.txt"}:
        assert path.split("/")[0] in readme
    for report in ("preflight/pocket.txt", "preflight/poster-a4.txt"):
        text = files[report].decode("utf-8")
        assert "통과" in text and "실패" not in text, text
    with zipfile.ZipFile(result.zip_path) as archive:
        zipped = {info.filename.split("/", 1)[1]: archive.read(info) for info in
                  archive.infolist()}
    assert zipped == files


def test_package_twice_gives_identical_checksums(tmp_path, fixed_date):
    one = make_package(DEFAULT_DATA, PRODUCTION, tmp_path / "one", None, record=False)
    two = make_package(DEFAULT_DATA, PRODUCTION, tmp_path / "two", None, record=False)
    assert one.zip_path.read_bytes() == two.zip_path.read_bytes()
    assert _files(one.folder) == _files(two.folder)


def test_the_order_is_recorded_and_listed(package, capsys):
    result, ledger = package
    (order,) = Ledger(ledger).orders()
    assert order.package == result.folder.name and order.total == result.total
    assert [(run.product, run.quantity) for run in order.runs] == [("pocket", 10000),
                                                                    ("poster-a4", 5000)]
    assert main(["history", "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    assert result.folder.name in out and f"{result.total:,}원" in out
    assert main(["budget", "--ledger", str(ledger)]) == 0  # SOURCE_DATE_EPOCH: 2025
    assert f"2025년 발주 누계(leaflets package 기록): {result.total:,}원" in \
        capsys.readouterr().out


def test_an_interrupted_package_records_nothing_and_leaves_nothing(tmp_path, fixed_date):
    ledger = tmp_path / "orders.sqlite"

    def interrupt(stage):
        if stage == "placed":  # both files in place, not yet committed
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_package(DEFAULT_DATA, PRODUCTION, tmp_path / "out", ledger,
                     _at=interrupt)
    assert Ledger(ledger).orders() == []
    vendor = tmp_path / "out" / "vendor"
    assert not vendor.exists() or list(vendor.iterdir()) == []


def test_a_failing_preflight_refuses_the_package(tmp_path, fixed_date, monkeypatch, capsys):
    def strict(pdfs, url=None, spots=()):  # the vendor asks for 5 mm bleed; the files have 3
        return preflight_many([(pdf, name, 5.0) for pdf, name, _ in pdfs], url=url, spots=spots)

    monkeypatch.setattr(leaflets.package, "preflight_many", strict)
    ledger = tmp_path / "orders.sqlite"
    code = main(["package", "--production", str(PRODUCTION), "--out", str(tmp_path / "out"),
                 "--ledger", str(ledger)])
    assert code == 1
    err = capsys.readouterr().err
    assert "사전 검사" in err and "묶음을 만들지 않았습니다" in err
    assert not (tmp_path / "out").exists()
    assert Ledger(ledger).orders() == []


def test_diff_of_one_fee_outlines_that_cell_and_nothing_else(tmp_path, data_file, capsys):
    new = data_file(_one_fee)
    out = tmp_path / "diff"
    assert main(["diff", str(DEFAULT_DATA), str(new), "--out", str(out)]) == 1
    table = capsys.readouterr().out
    rows = [line for line in table.splitlines() if line.startswith("수수료")]
    assert rows == [rows[0]] and "주민등록 등초본 · 민원창구" in rows[0]
    assert "400원" in rows[0] and "500원" in rows[0]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pages = {(p["product"], p["page"]): p["regions"] for p in manifest["pages"]}
    assert sorted(pages) == [("pocket", 2), ("poster-a4", 1)]
    from leaflets.content import load_content
    from leaflets.diff import DIFF_DPI
    from leaflets.render import Renderer

    renderer = Renderer()
    content = load_content(new)
    for (product, page), regions in pages.items():
        assert (out / f"{product}-p{page}.png").is_file()
        (region,) = regions
        # The changed figure, as laid out in the new render, in pixels at DIFF_DPI.
        chars = read_pages(renderer.render(content, product, "screen").pdf)[page - 1].chars
        row = next(i for i, c in enumerate(chars) if c.text == "5" and chars[i + 1].text == "0")
        left, top, right, bottom = (v * DIFF_DPI / 25.4 for v in chars[row].box_mm)
        margin = 12  # px: the cell's padding, no more
        assert region[0] >= left - margin and region[2] <= right + margin * 3
        assert region[1] >= top - margin and region[3] <= bottom + margin


def test_diff_without_changes_is_exit_0(tmp_path, capsys):
    assert main(["diff", str(DEFAULT_DATA), str(DEFAULT_DATA), "--out", str(tmp_path / "d")]) == 0
    assert "바뀐 항목이 없습니다" in capsys.readouterr().out
    assert not (tmp_path / "d").exists()


def test_diff_reads_git_revisions(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    data = repo / "minwon24.toml"
    data.write_bytes(DEFAULT_DATA.read_bytes())

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                       cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", "minwon24.toml")
    git("commit", "-q", "-m", "fees")
    data.write_text(data.read_text(encoding="utf-8").replace("counter = 400", "counter = 500", 1),
                    encoding="utf-8")
    git("commit", "-q", "-am", "new fee")
    assert main(["diff", "HEAD~1", "HEAD", "--data", str(data),
                 "--out", str(tmp_path / "d")]) == 1
    out = capsys.readouterr().out
    assert "HEAD~1:minwon24.toml" in out and "500원" in out
    assert main(["diff", "--data", str(data), "--out", str(tmp_path / "e")]) == 0
    assert main(["diff", "없는버전", "--data", str(data)]) == 2


def test_a_later_build_keeps_the_vendor_packages(tmp_path, data_file, fixed_date):
    out = tmp_path / "dist"
    build(DEFAULT_DATA, out)
    result = make_package(DEFAULT_DATA, PRODUCTION, out, None, record=False)
    sent = _files(result.folder)
    build(data_file(_one_fee), out)  # a new fee: dist/ is replaced
    assert _files(result.folder) == sent
    assert result.zip_path.is_file()
    assert b'"data_sha256"' in (out / "manifest.json").read_bytes()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["data_sha256"] != \
        json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))["data_sha256"]
