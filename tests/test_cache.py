"""The incremental build cache: nothing re-rendered when nothing changed, exactly the
editions that depend on a change otherwise, and never a stale file."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import pickle
import shutil

import pytest
from PIL import Image

from leaflets.artifacts import Artifact
from leaflets.build import build
from leaflets.cache import CACHE_NAME, CacheWarning, EditionCache
from leaflets.cli import main
from leaflets.render import Renderer
from tests.conftest import read_pages

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
    pdf = (tmp_path / "dist" / "dongs" / "옥수동" / "pocket.pdf").read_bytes()
    words = "".join("".join(page.text.split()) for page in read_pages(pdf))
    assert "새안내문구입니다" in words
    assert any(a.dong == "옥수동" for a in result.artifacts)


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


def test_a_production_change_reaches_a_cached_build(tmp_path, data_file):
    """The pocket run raised from 10,000 to 20,000 between two cached builds: the sheets
    and their slugs count 20,000. Expected by hand: 20,000 + 5 % overs = 21,000 copies;
    4 per office A4 sheet -> 5,250 sheets; 24 per 국전지 (with its marks' room; the
    cheapest sheet here: 975 sheets of 152원 against 684 of 4×6전지 at 219원, both 2연)
    -> 875."""
    import tomlkit

    from leaflets.project import DEFAULT_PRODUCTION

    data, production = data_file(), tmp_path / "production.toml"
    doc = tomlkit.parse(DEFAULT_PRODUCTION.read_text(encoding="utf-8"))
    (pocket,) = [run for run in doc["runs"] if run["product"] == "pocket"]
    assert (pocket["quantity"], pocket["overs_percent"]) == (10000, 5)

    def build_with(quantity):
        pocket["quantity"] = quantity
        production.write_text(tomlkit.dumps(doc), encoding="utf-8")
        build(data, tmp_path / "dist", production, cache_dir=tmp_path / "cache")
        manifest = json.loads((tmp_path / "dist" / "manifest.json").read_text("utf-8"))
        return {a["kind"]: a for a in manifest["artifacts"]
                if a["product"] == "pocket" and a["kind"] in ("imposed", "office")}

    before = build_with(10000)
    assert (before["office"]["sheets"], before["office"]["quantity"]) == (2625, 10000)
    after = build_with(20000)
    assert (after["office"]["quantity"], after["office"]["sheets"]) == (20000, 5250)
    assert (after["imposed"]["n_up"], after["imposed"]["sheets"]) == (24, 875)
    office = read_pages((tmp_path / "dist" / "office" / "pocket-A4.pdf").read_bytes())
    slug = [line for line in office[0].lines if "장 →" in line]
    assert slug and "A4 5,250장 → 21,000부 (한 장에 4부, 양면 긴 쪽 넘김 · 주문 20,000부 " \
        "+ 여분 1,000부)" in slug[0], slug


def _dong_picture(folder, colour):
    picture = Image.new("RGB", (400, 400), (255, 255, 255))
    picture.paste(colour, (40, 40, 360, 360))
    picture.save(folder / "logo.png")


def _pixels_near(png: bytes, colour, tolerance=40) -> int:
    with Image.open(io.BytesIO(png)) as image:
        raw = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(raw), 3)
               if all(abs(raw[i + c] - colour[c]) <= tolerance for c in range(3)))


def test_a_new_dong_picture_of_the_same_name_renders_the_dong_again(tmp_path, data_file):
    """Only the picture's bytes change (same file name, same dongs.toml): the cached
    edition must not be reused. Checked on the proof's pixels: the new picture's colour
    is there, the old one's is gone."""
    red, blue = (200, 30, 30), (30, 30, 200)
    data = data_file()
    dongs = tmp_path / "dongs.toml"
    dongs.write_text('[[dongs]]\nname = "옥수동"\nimage = "logo.png"\n', encoding="utf-8")
    proof = tmp_path / "dist" / "dongs" / "옥수동" / "pocket-p2.png"

    def build_with(colour):
        _dong_picture(tmp_path, colour)
        build(data, tmp_path / "dist", dongs_path=dongs, all_dongs=True, jobs=1,
              cache_dir=tmp_path / "cache")
        return proof.read_bytes()

    first = build_with(red)
    assert _pixels_near(first, red) > 500 and _pixels_near(first, blue) == 0
    second = build_with(blue)
    assert _pixels_near(second, blue) > 500, "the new picture is not on the proof"
    assert _pixels_near(second, red) == 0, "the old picture is still on the proof"


def test_the_cache_keeps_only_the_most_recent_entries(tmp_path, data_file, monkeypatch):
    monkeypatch.setattr("leaflets.cache.KEEP", 3)
    _build(tmp_path, data_file())  # the 구, the common pages and two 동: four entries
    assert len(list((tmp_path / "cache").glob("*.json"))) == 3
    assert len(list((tmp_path / "cache").glob("*.data"))) == 3


def test_editions_cached_by_worker_processes_are_read_back(tmp_path, data_file):
    data = data_file()
    dongs = tmp_path / "dongs.toml"
    dongs.write_text(DONGS.format(oksu="안내") + '\n[[dongs]]\nname = "용답동"\n',
                     encoding="utf-8")
    build(data, tmp_path / "dist", dongs_path=dongs, all_dongs=True, jobs=2,
          cache_dir=tmp_path / "cache")  # three 동 over two workers: whole editions
    entries = {p.name: p.stat().st_ino for p in (tmp_path / "cache").glob("*.json")}
    assert len(entries) == 8  # the 구, the common pages, three 동 and their three media
    result = build(data, tmp_path / "again", dongs_path=dongs, all_dongs=True, jobs=2,
                   cache_dir=tmp_path / "cache")
    # Nothing was rendered again: a new entry would replace its file (a new inode).
    assert {p.name: p.stat().st_ino for p in (tmp_path / "cache").glob("*.json")} == entries
    assert _files(tmp_path / "again") == _files(tmp_path / "dist")
    assert {a.dong for a in result.artifacts} == {None, "옥수동", "송정동", "용답동"}


# What is read back from the cache is verified: damaged, altered or unexpected
# entries are rendered again, never loaded, and nothing read can run code.

def _edition_index(cache, path):
    """The index of the cached edition that holds ``path``, and its parsed JSON."""
    for index in sorted(cache.glob("*.json")):
        entry = json.loads(index.read_bytes())
        if entry["body"]["schema"] == "edition" and any(
                item[0] == path for item in entry["body"]["value"]):
            return index, entry
    raise AssertionError(f"no cached edition holds {path}")


def _item(entry, path):
    """The [path, [artifact fields, blob SHA-256]] of ``path`` in an edition's index."""
    return next(item for item in entry["body"]["value"] if item[0] == path)


def _save(index, entry):
    """Write ``entry`` back with a valid checksum, as someone who knows the format would."""
    body = json.dumps(entry["body"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    entry["sha256"] = hashlib.sha256(body.encode()).hexdigest()
    index.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")


class _Payload:
    """A pickle that creates ``marker`` when it is loaded."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _assert_output_matches_its_manifest(out):
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["artifacts"]
    for artifact in manifest["artifacts"]:
        assert hashlib.sha256((out / artifact["path"]).read_bytes()).hexdigest() \
            == artifact["sha256"], artifact["path"]


def test_a_flipped_byte_in_a_cached_file_is_rendered_again(tmp_path, data_file, renders):
    data, out = data_file(), tmp_path / "dist"
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0
    index, entry = _edition_index(tmp_path / CACHE_NAME, "print/poster-a4.pdf")
    offset, size = entry["body"]["blobs"][_item(entry, "print/poster-a4.pdf")[1][1]]
    stored = bytearray(index.with_suffix(".data").read_bytes())
    stored[offset + size // 2] ^= 0x01
    index.with_suffix(".data").write_bytes(bytes(stored))
    shutil.rmtree(out)
    renders.clear()
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0
    assert None in renders  # the 구 edition was rendered again
    _assert_output_matches_its_manifest(out)
    assert main(["preflight", str(out / "print" / "poster-a4.pdf")]) == 0
    renders.clear()  # the bad entry was replaced by a good one
    assert main(["build", "--data", str(data), "--out", str(tmp_path / "again")]) == 0
    assert renders == []


def _pickles_everywhere(cache, index, entry, marker):
    """Pickles where the old cache kept entries and where entries live now."""
    payload = pickle.dumps(_Payload(marker))
    index.with_suffix(".pickle").write_bytes(payload)
    index.with_suffix(".data").write_bytes(payload)
    index.write_bytes(payload)


def _path_outside(cache, index, entry, marker):
    item = _item(entry, "print/poster-a4.pdf")
    item[0] = item[1][0]["path"] = "../../x"
    _save(index, entry)


def _absolute_path(cache, index, entry, marker):
    item = _item(entry, "print/poster-a4.pdf")
    item[0] = item[1][0]["path"] = str(marker)
    _save(index, entry)


def _unexpected_field(cache, index, entry, marker):
    _item(entry, "print/poster-a4.pdf")[1][0]["command"] = "touch x"
    _save(index, entry)


def _wrong_type(cache, index, entry, marker):
    _item(entry, "print/poster-a4.pdf")[1][0]["pages"] = "1"
    _save(index, entry)


def _not_signed_again(cache, index, entry, marker):
    _item(entry, "print/poster-a4.pdf")[1][0]["pages"] = 7
    index.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")


def _blob_of_another_file(cache, index, entry, marker):
    other = _item(entry, "poster-a4.pdf")[1][1]  # the screen file's bytes, hash and all
    _item(entry, "print/poster-a4.pdf")[1][1] = other
    _save(index, entry)


def _writable_by_others(cache, index, entry, marker):
    index.with_suffix(".data").chmod(0o666)


def _truncated_data(cache, index, entry, marker):
    data = index.with_suffix(".data")
    data.write_bytes(data.read_bytes()[:1000])


@pytest.mark.parametrize("craft", [
    _pickles_everywhere, _path_outside, _absolute_path, _unexpected_field, _wrong_type,
    _not_signed_again, _blob_of_another_file, _writable_by_others, _truncated_data,
])
def test_an_altered_entry_is_never_loaded_but_rendered_again(tmp_path, data_file, renders,
                                                            craft):
    data, cache = data_file(), tmp_path / "cache"
    out = tmp_path / "a" / "b" / "dist"  # "../../x" from its staging folder: tmp_path/a/x
    build(data, out, cache_dir=cache)
    index, entry = _edition_index(cache, "print/poster-a4.pdf")
    marker = tmp_path / "marker"
    craft(cache, index, entry, marker)
    renders.clear()
    result = build(data, out, cache_dir=cache)
    assert None in renders
    assert not marker.exists() and not (tmp_path / "a" / "x").exists()
    assert {a.path for a in result.artifacts} >= {"print/poster-a4.pdf", "pocket.pdf"}
    _assert_output_matches_its_manifest(out)
    assert not list(cache.glob("*.pickle"))  # an earlier version's entries are removed
    entry_now = json.loads(index.read_bytes())  # rendered again, and cached again
    assert _item(entry_now, "print/poster-a4.pdf")[1][0]["path"] == "print/poster-a4.pdf"


def test_the_pickle_payload_of_these_tests_would_run(tmp_path):
    """The crafted pickles above are live: loading one does create its marker."""
    marker = tmp_path / "proof"
    pickle.loads(pickle.dumps(_Payload(marker))).close()
    assert marker.exists()


def test_an_altered_common_entry_is_rendered_again(tmp_path, data_file, renders):
    data = data_file()
    _build(tmp_path, data)
    (common,) = [index for index in (tmp_path / "cache").glob("*.json")
                 if json.loads(index.read_bytes())["body"]["schema"] == "common"]
    entry = json.loads(common.read_bytes())
    entry["body"]["value"]["blank_slot"] = [["pocket", "yes"]]
    _save(common, entry)
    renders.clear()
    _build(tmp_path, data, message="바뀐 안내")  # one 동 to render: the common pages needed
    assert set(renders) == {None, "옥수동"}  # None: the common pages, rendered again
    assert json.loads(common.read_bytes())["body"]["value"]["blank_slot"] != [["pocket", "yes"]]
    _assert_output_matches_its_manifest(tmp_path / "dist")


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757], ids=oct)
def test_a_cache_folder_others_can_write_is_not_used(tmp_path, data_file, renders, capsys,
                                                     mode):
    data, out = data_file(), tmp_path / "dist"
    cache = tmp_path / CACHE_NAME
    cache.mkdir()
    cache.chmod(mode)
    assert main(["build", "--data", str(data), "--out", str(out)]) == 0
    warning = capsys.readouterr().err
    assert warning.count("경고:") == 1 and "다른 사용자도 쓸 수 있어" in warning
    assert list(cache.iterdir()) == []
    _assert_output_matches_its_manifest(out)
    renders.clear()
    with pytest.warns(CacheWarning, match="캐시 없이"):  # the library alone says so too
        build(data, tmp_path / "again", cache_dir=cache)
    assert None in renders and list(cache.iterdir()) == []


def _edition(n):
    data = bytes([n % 256]) * (200_000 + n)
    return [(f"f{n}.pdf", (Artifact("pocket", "print", f"f{n}.pdf",
                                    hashlib.sha256(data).hexdigest(), 2, (90.0, 120.0)), data))]


def _put_many(folder, count):
    cache = EditionCache(folder)
    for _ in range(count):
        cache.put("k" * 64, _edition(1))


def test_two_builds_writing_the_same_entry_never_show_half_of_it(tmp_path):
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_put_many, args=(tmp_path, 40)) for _ in range(2)]
    for writer in writers:
        writer.start()
    cache, seen = EditionCache(tmp_path), []
    while any(writer.is_alive() for writer in writers):
        seen.append(cache.get("k" * 64))
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert all(value in (None, _edition(1)) for value in seen)
    assert cache.get("k" * 64) == _edition(1)
    assert not list(tmp_path.glob("*.tmp"))
