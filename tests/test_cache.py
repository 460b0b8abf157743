"""The incremental build cache: nothing re-rendered when nothing changed, exactly the
editions that depend on a change otherwise, and never a stale file."""

from __future__ import annotations

import pytest

from leaflets.build import build
from leaflets.render import Renderer

DONGS = '[[dongs]]\nname = "옥수동"\nmessage = "{oksu}"\n\n[[dongs]]\nname = "송정동"\n'


@pytest.fixture
def renders(monkeypatch):
    """Which editions the renderer was asked for: None for the 구, else the 동 name."""
    seen = []
    real = Renderer.render_product

    def counting(self, content, product, mode="screen", dong=None, **options):
        seen.append(dong.name if dong else None)
        return real(self, content, product, mode, dong, **options)

    monkeypatch.setattr(Renderer, "render_product", counting)
    return seen


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(tmp_path, data, message="도와 드립니다", out="dist", cache="cache"):
    dongs = tmp_path / "dongs.toml"
    dongs.write_text(DONGS.format(oksu=message), encoding="utf-8")
    return build(data, tmp_path / out, dongs_path=dongs, all_dongs=True, jobs=1,
                 cache_dir=tmp_path / cache if cache else None)


def test_nothing_changed_renders_nothing_and_leaves_the_output_alone(tmp_path, data_file,
                                                                      renders):
    data = data_file()
    _build(tmp_path, data)
    assert set(renders) == {None, "옥수동", "송정동"}
    manifest = tmp_path / "dist" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    renders.clear()
    _build(tmp_path, data)
    assert renders == []
    assert manifest.stat().st_mtime_ns == stamp


def test_a_fee_change_renders_every_edition_again(tmp_path, data_file, renders):
    _build(tmp_path, data_file())
    renders.clear()
    _build(tmp_path, data_file(lambda doc: doc["fees"][0].update(counter=500)))
    assert set(renders) == {None, "옥수동", "송정동"}


def test_a_dong_message_change_renders_only_that_dong(tmp_path, data_file, renders):
    data = data_file()
    _build(tmp_path, data)
    renders.clear()
    result = _build(tmp_path, data, message="새 안내 문구입니다")
    assert set(renders) == {"옥수동"}
    text = (tmp_path / "dist" / "dongs" / "옥수동" / "pocket.pdf").read_bytes()
    assert text and any(a.dong == "옥수동" for a in result.artifacts)


def test_cached_output_is_byte_identical_to_a_fresh_build(tmp_path, data_file, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    data = data_file()
    _build(tmp_path, data)
    _build(tmp_path, data, out="again")  # every edition from the cache
    _build(tmp_path, data, out="fresh", cache=None)
    assert _files(tmp_path / "again") == _files(tmp_path / "fresh")


def test_a_new_build_date_is_a_new_key(tmp_path, data_file, renders, monkeypatch):
    data = data_file()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")
    _build(tmp_path, data)
    renders.clear()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764100000")  # the next day: new slugs
    _build(tmp_path, data)
    assert set(renders) == {None, "옥수동", "송정동"}


def test_the_cache_keeps_only_the_most_recent_entries(tmp_path, data_file, monkeypatch):
    monkeypatch.setattr("leaflets.cache.KEEP", 3)
    _build(tmp_path, data_file())  # the 구, the common pages and two 동: four entries
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 3


def test_editions_cached_by_worker_processes_are_read_back(tmp_path, data_file):
    data = data_file()
    dongs = tmp_path / "dongs.toml"
    dongs.write_text(DONGS.format(oksu="안내") + '\n[[dongs]]\nname = "용답동"\n',
                     encoding="utf-8")
    build(data, tmp_path / "dist", dongs_path=dongs, all_dongs=True, jobs=2,
          cache_dir=tmp_path / "cache")  # three 동 over two workers: whole editions
    entries = {p.name: p.stat().st_ino for p in (tmp_path / "cache").glob("*.pickle")}
    assert len(entries) == 5  # the 구, the common pages, three 동
    result = build(data, tmp_path / "again", dongs_path=dongs, all_dongs=True, jobs=2,
                   cache_dir=tmp_path / "cache")
    # Nothing was rendered again: a new entry would replace its file (a new inode).
    assert {p.name: p.stat().st_ino for p in (tmp_path / "cache").glob("*.pickle")} == entries
    assert _files(tmp_path / "again") == _files(tmp_path / "dist")
    assert {a.dong for a in result.artifacts} == {None, "옥수동", "송정동", "용답동"}
