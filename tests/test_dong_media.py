"""Each 동 edition's own media: 문자, e-메일 and 소식지 name the 동's 주민센터 and its
block (dongs.toml) instead of the 구's desk, within the same byte limits."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys

import pytest

from leaflets.admission import EditionChecker
from leaflets.build import build, build_media
from leaflets.dongs import load_dongs
from leaflets.errors import DataError
from leaflets.media import dong_media_files
from leaflets.preflight import preflight
from leaflets.products import PRINT_MEDIA
from leaflets.project import DEFAULT_PRODUCTION, ROOT
from tests.conftest import read_pages

DONGS = ('[[dongs]]\nname = "옥수동"\ndesk = "1층 3번 창구"\nhours = "평일 09:00~18:00"\n'
         'address = "서울 성동구 독서당로 1"\nphone = "{phone}"\n')
LONG = "가나다라마바사아자차카타동"  # 13 characters: its "… 주민센터" is 35 bytes in CP949
GU_DESK = "구청 민원실과 17개 동 주민센터에서"  # minwon24.toml's [desk] text


def dongs_file(folder, phone="02-2286-7000", text=None):
    path = folder / "dongs.toml"
    path.write_text(text or DONGS.format(phone=phone), encoding="utf-8")
    return path


def texts(files) -> dict[str, bytes]:
    return {path.rsplit("/", 1)[1]: data for path, (_, data) in files}


def mail_parts(eml: bytes) -> list[str]:
    message = email.message_from_bytes(eml, policy=email.policy.default)
    return [message.get_body((kind,)).get_content() for kind in ("plain", "html")]


def test_dong_texts_name_the_dong_and_its_phone_not_the_gu_desk(tmp_path, default_content):
    dong = load_dongs(dongs_file(tmp_path)).get("옥수동")
    files = dong_media_files(default_content, dong)
    assert {path for path, _ in files} == {f"dongs/옥수동/media/{name}" for name in (
        "sms.txt", "lms.txt", "minwon24.eml", "newsletter.txt", "newsletter.html")}
    assert all(artifact.dong == "옥수동" for _, (artifact, _) in files)
    made = texts(files)
    bodies = {name: made[name].decode() for name in ("lms.txt", "newsletter.txt",
                                                     "newsletter.html")}
    bodies |= dict(zip(("mail text", "mail html"), mail_parts(made["minwon24.eml"]),
                       strict=True))
    for name, body in bodies.items():
        assert "옥수동 주민센터" in body and "02-2286-7000" in body, name
        assert "독서당로" in body and GU_DESK not in body, name
    assert made["sms.txt"].decode().startswith("[옥수동 주민센터]")
    assert len(made["sms.txt"].decode().encode("cp949")) <= 90


def test_the_gu_media_carry_the_gu_desk(default_content):
    from leaflets.media import media_files
    from leaflets.production import load_production

    made = texts(media_files(default_content, load_production(DEFAULT_PRODUCTION).media))
    for name in ("lms.txt", "newsletter.txt", "newsletter.html"):
        assert GU_DESK in made[name].decode(), name
    assert all(GU_DESK in part for part in mail_parts(made["minwon24.eml"]))


def long_named(folder):
    return dongs_file(folder, text=f'extra_names = ["{LONG}"]\n\n[[dongs]]\nname = "{LONG}"\n')


def cli(*args):
    return subprocess.run([sys.executable, "-m", "leaflets", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_a_dong_name_too_long_for_the_sms_stops_build_and_check_naming_it(tmp_path):
    dongs = long_named(tmp_path)
    out = tmp_path / "dist"
    result = cli("build", "--dong", LONG, "--dongs", str(dongs), "--out", str(out),
                 "--no-cache")
    assert result.returncode == 2, result.stderr
    assert f"dongs[1] ({LONG}).centre" in result.stderr and "97바이트로 90바이트를 7바이트" \
        in result.stderr, result.stderr
    assert "28바이트(한글 14자) 이하" in result.stderr
    assert not out.exists()
    checked = cli("check", "--dongs", str(dongs))
    assert checked.returncode == 2 and f"dongs[1] ({LONG}).centre" in checked.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dongs.toml"]


def test_the_web_save_refuses_the_same_dong(tmp_path):
    dong = load_dongs(long_named(tmp_path)).get(LONG)
    checker = EditionChecker(ROOT / "minwon24.toml", DEFAULT_PRODUCTION)
    try:
        with pytest.raises(DataError) as caught:
            checker.check(dong)
    finally:
        checker.close()
    assert caught.value.field == f"dongs[1] ({LONG}).centre"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """옥수동's edition built, then built again after its phone changed (same cache)."""
    folder = tmp_path_factory.mktemp("dong-media")
    dongs, out, cache = dongs_file(folder), folder / "dist", folder / "cache"
    first = build(ROOT / "minwon24.toml", out, dongs_path=dongs, dong_names=("옥수동",),
                  cache_dir=cache, jobs=1)
    before = {a.path: (out / a.path).read_bytes() for a in first.artifacts
              if a.path.startswith("dongs/옥수동/media/")}
    dongs_file(folder, phone="02-9999-1234")
    second = build(ROOT / "minwon24.toml", out, dongs_path=dongs, dong_names=("옥수동",),
                   cache_dir=cache, jobs=1)
    return out, first, before, second


def test_the_edition_writes_its_media_with_manifest_kinds(built):
    out, first, before, _ = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    kinds = {entry["path"].removeprefix("dongs/옥수동/media/"): entry["kind"]
             for entry in manifest["artifacts"] if entry.get("dong") == "옥수동"
             and "/media/" in entry["path"]}
    assert kinds == {"sms.txt": "sms", "lms.txt": "lms", "minwon24.eml": "email",
                     "newsletter.txt": "newsletter", "newsletter.html": "newsletter",
                     "print/newsletter.pdf": "print-media"}
    pdf = before["dongs/옥수동/media/print/newsletter.pdf"]
    page = read_pages(pdf)[0]
    assert "옥수동 주민센터" in page.text and "02-2286-7000" in page.text
    assert "독서당로" in page.text and GU_DESK not in page.text
    product = PRINT_MEDIA["newsletter"]
    report = preflight(pdf, "newsletter", bleed_mm=product.bleed_mm, safe_mm=product.safe_mm,
                       url="http://www.minwon.go.kr", min_text_pt=product.min_text_pt)
    assert report.passed, report


def test_a_changed_phone_reaches_the_media_on_the_next_build(built):
    out, _, before, second = built
    lms = (out / "dongs/옥수동/media/lms.txt").read_text(encoding="utf-8")
    assert "02-9999-1234" in lms and "02-2286-7000" not in lms
    assert "02-2286-7000" in before["dongs/옥수동/media/lms.txt"].decode()
    for kind in ("plain", "html"):
        assert all("02-9999-1234" in part for part in mail_parts(
            (out / "dongs/옥수동/media/minwon24.eml").read_bytes())), kind
    page = read_pages((out / "dongs/옥수동/media/print/newsletter.pdf").read_bytes())[0]
    assert "02-9999-1234" in page.text and "02-2286-7000" not in page.text
    assert any(a.path == "dongs/옥수동/media/sms.txt" for a in second.artifacts)


def test_media_only_refreshes_the_dong_editions_media_and_keeps_the_rest(built, tmp_path):
    out, *_ = built
    copy = tmp_path / "dist"
    subprocess.run(["cp", "-a", str(out), str(copy)], check=True)
    poster = copy / "dongs/옥수동/print/poster-a4.pdf"
    inode = os.stat(poster).st_ino
    (copy / "dongs/옥수동/media/lms.txt").write_text("old", encoding="utf-8")
    dongs = dongs_file(tmp_path, phone="02-5555-0000")
    result = build_media(ROOT / "minwon24.toml", copy, dongs_path=dongs)
    assert {a.path for a in result.artifacts if a.dong} >= {
        "dongs/옥수동/media/lms.txt", "dongs/옥수동/media/print/newsletter.pdf"}
    assert "02-5555-0000" in (copy / "dongs/옥수동/media/lms.txt").read_text(encoding="utf-8")
    assert os.stat(poster).st_ino == inode  # the poster kept, not made again
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    paths = [entry["path"] for entry in manifest["artifacts"]]
    assert len(paths) == len(set(paths))
    assert "dongs/옥수동/print/poster-a4.pdf" in paths and "dongs/옥수동/media/lms.txt" in paths


def test_every_shipped_dong_sends_its_sms_within_90_bytes(default_content):
    """The project's own dongs.toml builds --all-dongs: each 동's SMS, headed by its
    주민센터 name (the longest is 21 bytes), fits."""
    from leaflets.media.plan import GATEWAY_CODEC, SMS_BYTES
    from leaflets.project import DEFAULT_DONGS

    for dong in load_dongs(DEFAULT_DONGS).dongs:
        sms = texts(dong_media_files(default_content, dong))["sms.txt"].decode()
        assert dong.name in sms and len(sms.encode(GATEWAY_CODEC)) <= SMS_BYTES, dong.name
