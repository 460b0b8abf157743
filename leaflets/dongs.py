"""``dongs.toml`` -> validated 동 editions: each 동's own block for the poster and leaflet.

Everything a 동 supplies is untrusted. Text is length-limited, must be
drawable by the project's fonts, and is escaped by the templates (typed
HTML prints as text). An image must be a real PNG or JPEG inside the
folder of the dongs file (no absolute paths, no ``..``, no URL, no symlink
out), under the byte and pixel caps; it is read here, once, and handed to
the renderer as bytes, so the renderer never opens a path a 동 typed.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms

from leaflets.errors import DataError, DataErrors, MissingGlyphError
from leaflets.korean import font_coverage
from leaflets.project import PROFILE
from leaflets.text import check_text
from leaflets.tomlfile import parse_toml, read_file

# field -> (Korean label, longest text in characters)
FIELDS = {
    "centre": ("주민센터 이름", 20),
    "address": ("주소", 40),
    "phone": ("전화번호", 20),
    "desk": ("전용창구 위치", 25),
    "hours": ("운영 시간", 25),
    "contact": ("담당자", 15),
    "message": ("동 안내 문구", 50),
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 25_000_000  # 5000 x 5000; Pillow's own bomb guard is only a warning below 2x
MIN_PRINT_PPI = 300
MIN_IMAGE_SIDE = 50  # pixels: smaller cannot be a logo or a photo at any print size
MAX_IMAGE_ASPECT = 20  # a 70000×1 strip fits the slot at a fraction of a pixel
_PHONE = re.compile(r"^[0-9()+\- ]{7,20}$")
_NAME = re.compile(r"^[가-힣0-9·]{2,12}동$")
# The 17 행정동 of 성동구, as the 구 names them (행정동 명칭, 성동구 행정기구 조례 별표;
# the plan's 붙임 1 evaluates these 17). Another name needs ``extra_names`` in the file.
DONG_NAMES = (
    "왕십리도선동", "왕십리제2동", "마장동", "사근동", "행당제1동", "행당제2동", "응봉동",
    "금호1가동", "금호2·3가동", "금호4가동", "옥수동", "성수1가제1동", "성수1가제2동",
    "성수2가제1동", "성수2가제3동", "송정동", "용답동",
)


@dataclass(frozen=True)
class DongImage:
    """A checked PNG or JPEG, held in memory."""

    source: str  # as written in the dongs file
    data: bytes
    format: str  # "PNG" or "JPEG"
    size_px: tuple[int, int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def effective_ppi(self, box_mm: tuple[float, float]) -> float:
        """Resolution when fitted (contained) into ``box_mm``."""
        width, height = self.size_px
        scale = min(box_mm[0] / width, box_mm[1] / height)  # mm per pixel
        return 25.4 / scale

    def for_print(self, profile: bytes | None = None) -> bytes:
        """The image as a CMYK JPEG in the output ``profile`` (ICC bytes, default the
        built-in FOGRA39), flattened on white. A CMYK original is taken as it is."""
        with Image.open(io.BytesIO(self.data)) as image:
            image.load()
            cmyk = to_print_cmyk(image, profile)
            out = io.BytesIO()
            cmyk.save(out, "JPEG", quality=95, subsampling=0)
            return out.getvalue()

    def for_screen(self) -> bytes:
        """The image as an RGB PNG (CMYK JPEGs converted through the print profile)."""
        with Image.open(io.BytesIO(self.data)) as image:
            image.load()
            if image.mode == "CMYK":
                image = ImageCms.profileToProfile(
                    image, str(PROFILE), ImageCms.createProfile("sRGB"), outputMode="RGB")
            elif image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, "PNG")
            return out.getvalue()


def to_print_cmyk(image: Image.Image, profile: bytes | None = None) -> Image.Image:
    """``image`` in the output ``profile`` (ICC bytes, default the built-in FOGRA39),
    flattened on white; a CMYK original is taken as it is."""
    if image.mode == "CMYK":
        return image
    target = ImageCms.ImageCmsProfile(io.BytesIO(profile)) if profile else str(PROFILE)
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return ImageCms.profileToProfile(
        flat, ImageCms.createProfile("sRGB"), target,
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="CMYK",
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


@dataclass(frozen=True)
class Dong:
    name: str
    centre: str = ""
    address: str = ""
    phone: str = ""
    desk: str = ""
    hours: str = ""
    contact: str = ""
    message: str = ""
    image: DongImage | None = None
    path: Path | None = None  # the dongs file, for error messages
    row: int = 0  # its [[dongs]] table in that file, 1-based (0: not from a file)

    def field(self, key: str) -> str:
        """How an error names this 동's ``key`` (``dongs[11] (옥수동).centre``)."""
        return f"{_where(self.row, self.name)}.{key}"

    @property
    def fingerprint(self) -> str:
        """Everything of this 동 that its edition shows: its fields and its picture."""
        fields = [self.name, *(getattr(self, key) for key in FIELDS)]
        fields.append(self.image.sha256 if self.image else "")
        return "\x1f".join(fields)

    @property
    def title(self) -> str:
        return self.centre or f"{self.name} 주민센터"

    @property
    def slug(self) -> str:
        """Folder name: the 동's name (Hangul is fine in paths; nothing else is allowed)."""
        return self.name


@dataclass(frozen=True)
class Dongs:
    path: Path
    dongs: tuple[Dong, ...]
    sha256: str

    def get(self, name: str) -> Dong:
        for dong in self.dongs:
            if dong.name == name:
                return dong
        raise DataError(self.path, "dongs.name", "목록에 없는 동입니다", value=name,
                        allowed=", ".join(d.name for d in self.dongs))


def load_dongs(path: str | Path) -> Dongs:
    """Read and validate a dongs file; raise DataError on any problem."""
    path = Path(path)
    return parse_dongs(read_file(path), path)


def parse_dongs(raw: bytes, path: str | Path) -> Dongs:
    """Validate the text of a dongs file held in memory (pictures are read from the
    folder of ``path``); raise DataError on any problem."""
    path = Path(path)
    doc = parse_toml(raw, path)
    for key in doc:
        if key not in ("dongs", "extra_names"):
            raise DataError(path, key, "알 수 없는 항목입니다", allowed="dongs, extra_names")
    extra = _extra_names(path, doc.get("extra_names", []))
    rows = doc.get("dongs")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise DataError(path, "dongs", "[[dongs]] 표가 하나 이상 있어야 합니다")
    if len(rows) > 5000:
        raise DataError(path, "dongs", "동이 너무 많습니다", value=len(rows), allowed="5000개 이하")
    dongs, errors = [], []
    for number, row in enumerate(rows, start=1):
        try:  # every 동 is checked, so that one run names every 동 to fix
            dong = _read_dong(path, row, number, extra)
            if any(d.name == dong.name for d in dongs):
                raise DataError(path, f"dongs[{number}].name", "같은 이름의 동이 이미 있습니다",
                                value=dong.name, dong=dong.name, key="name")
        except DataError as error:
            errors.extend(getattr(error, "errors", None) or [error])
            continue
        dongs.append(dong)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(errors)
    digest = hashlib.sha256(raw)
    for dong in dongs:
        if dong.image:
            digest.update(dong.image.data)
    return Dongs(path, tuple(dongs), digest.hexdigest())


def _extra_names(path: Path, names) -> tuple[str, ...]:
    """Names allowed besides the 17 행정동 (a new or renamed 동), each a valid 동 name."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(path, "extra_names", "동 이름 목록이어야 합니다", value=names,
                        allowed='예: extra_names = ["새동"]')
    for number, name in enumerate(names, start=1):
        if not _NAME.match(name):
            raise DataError(path, f"extra_names[{number}]", "동 이름이 틀렸습니다", value=name,
                            allowed="한글 동 이름, 예: 옥수동, 금호2·3가동")
    return tuple(names)


def _read_dong(path: Path, row: dict, number: int, extra: tuple[str, ...] = ()) -> Dong:
    where = f"dongs[{number}]"
    name = row.get("name")
    if not isinstance(name, str) or not _NAME.match(name.strip()):
        raise DataError(path, f"{where}.name", "동 이름이 틀렸습니다", value=name,
                        allowed="한글 동 이름, 예: 옥수동, 금호2·3가동", key="name")
    name = name.strip()
    if name not in DONG_NAMES and name not in extra:
        raise DataError(path, f"{where}.name", f"성동구의 행정동이 아닙니다{_did_you_mean(name)}",
                        value=name, allowed="성동구 17개 행정동 (" + ", ".join(DONG_NAMES)
                        + "), 또는 extra_names 에 적은 이름", key="name")
    where = _where(number, name)
    allowed = ("name", "image", *FIELDS)
    for key in row:
        if key not in allowed:
            raise DataError(path, f"{where}.{key}", "알 수 없는 항목입니다",
                            allowed=", ".join(allowed), dong=name, key=key)
    values, errors = {}, []
    for key in FIELDS:  # every field is checked, so that one save names every field to fix
        try:
            values[key] = _read_field(path, row, where, key)
        except DataError as error:
            errors.append(error.of_dong(name, key))
            values[key] = ""
    if values["phone"] and not _PHONE.match(values["phone"]):
        errors.append(DataError(path, f"{where}.phone", "전화번호 형식이 틀렸습니다",
                                value=values["phone"],
                                allowed="숫자와 - ( ) + 공백, 예: 02-2286-0000",
                                dong=name, key="phone"))
    image = None
    if row.get("image", "") != "":
        try:
            image = _read_image(path, row["image"], f"{where}.image")
        except DataError as error:
            errors.append(error.of_dong(name, "image"))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DataErrors(errors)
    return Dong(name=name, image=image, path=path, row=number, **values)


def _where(number: int, name: str) -> str:
    """The path errors give a 동's record: ``dongs[11] (옥수동)``."""
    return f"dongs[{number}] ({name})" if number else f"dongs ({name})"


def _read_field(path: Path, row: dict, where: str, key: str) -> str:
    """One text field of a 동's record, checked."""
    label, limit = FIELDS[key]
    coverage = font_coverage()
    value = row.get(key, "")
    if not isinstance(value, str):
        raise DataError(path, f"{where}.{key}", f"{label}은(는) 글자여야 합니다", value=value)
    value = value.strip()
    if value.count("\n") >= (2 if key == "message" else 1):
        raise DataError(path, f"{where}.{key}", f"{label}의 줄 수가 너무 많습니다",
                        value=value, allowed="문구는 두 줄, 나머지는 한 줄")
    if len(value) > limit:
        raise DataError(path, f"{where}.{key}", f"{label}이(가) 너무 깁니다 ({len(value)}자)",
                        value=value, allowed=f"{limit}자 이하")
    check_text(path, f"{where}.{key}", value, multiline=key == "message")
    char = coverage.first_missing(value)
    if char is not None:
        raise MissingGlyphError(path, f"{where}.{key}", char, value)
    return value


def _did_you_mean(name: str) -> str:
    """ " — 혹시 '행당제1동'을(를) 말씀하셨나요?" for a near miss, else ""."""
    import difflib

    def plain(text):  # 행당1동 and 행당제1동 are the same 동 to a reader
        return text.replace("제", "").replace("·", "").replace(".", "")

    exact = [known for known in DONG_NAMES if plain(known) == plain(name)]
    close = exact or difflib.get_close_matches(name, DONG_NAMES, n=1, cutoff=0.6)
    return f" — 혹시 '{close[0]}'을(를) 말씀하셨나요?" if close else ""


def _read_image(path: Path, source, where) -> DongImage:
    if not isinstance(source, str):
        raise DataError(path, where, "이미지는 파일 경로(글자)여야 합니다", value=source)
    check_text(path, where, source)
    folder = path.parent.resolve()
    allowed = f"{path.name}이(가) 있는 폴더 안의 PNG 또는 JPEG 파일 (예: images/옥수동.png)"
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", source) or source.startswith(("/", "\\")):
        raise DataError(path, where, "이미지는 URL이나 절대 경로가 아닌, 폴더 안의 파일이어야 "
                        "합니다", value=source, allowed=allowed)
    if ".." in Path(source).parts:
        raise DataError(path, where, "이미지 경로에 '..'을 쓸 수 없습니다", value=source,
                        allowed=allowed)
    try:  # the OS refuses some names (a NUL, too long): ValueError or OSError
        target = (folder / source).resolve()
        if not target.is_relative_to(folder):
            raise DataError(path, where, "이미지가 폴더 밖을 가리킵니다 (심볼릭 링크)",
                            value=source, allowed=allowed)
        if not target.is_file():
            raise DataError(path, where, "이미지 파일이 없습니다", value=source, allowed=allowed)
        size = target.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise DataError(path, where, f"이미지 파일이 너무 큽니다 ({size / 1048576:.1f} MB)",
                            value=source, allowed=f"{MAX_IMAGE_BYTES // 1048576} MB 이하")
        data = target.read_bytes()
    except DataError:
        raise
    except (ValueError, OSError):
        raise DataError(path, where, "이미지 파일을 열 수 없습니다", value=source,
                        allowed=allowed) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                width, height = image.size
                if kind not in ("PNG", "JPEG"):
                    raise DataError(path, where, f"PNG나 JPEG가 아닙니다 (실제 형식: {kind})",
                                    value=source, allowed="PNG, JPEG")
                if width * height > MAX_IMAGE_PIXELS:
                    raise DataError(path, where, f"이미지가 너무 큽니다 ({width}×{height} 픽셀)",
                                    value=source, allowed=f"{MAX_IMAGE_PIXELS:,} 픽셀 이하")
                if min(width, height) < MIN_IMAGE_SIDE or \
                        max(width, height) > MAX_IMAGE_ASPECT * min(width, height):
                    raise DataError(path, where, f"이미지 모양이 인쇄할 수 없는 크기입니다 "
                                    f"({width}×{height} 픽셀)", value=source,
                                    allowed=f"가로·세로 {MIN_IMAGE_SIDE}픽셀 이상, "
                                    f"긴 쪽이 짧은 쪽의 {MAX_IMAGE_ASPECT}배 이하")
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() does not decode; a truncated file fails here
    except DataError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(path, where, "이미지가 너무 큽니다 (압축 폭탄 의심)", value=source,
                        allowed=f"{MAX_IMAGE_PIXELS:,} 픽셀 이하") from None
    except Exception as error:  # Pillow raises many kinds for broken files
        raise DataError(path, where, f"이미지를 읽을 수 없습니다 ({type(error).__name__})",
                        value=source, allowed="PNG, JPEG") from None
    return DongImage(source, data, kind, (width, height))
