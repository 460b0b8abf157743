"""Content -> the plain facts every medium repeats, and the byte rules of 문자.

Pure: no files, no fonts. Every medium's writer takes a :class:`Facts` so
the fees, the steps and the address come from one place and a fee change
reaches all of them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leaflets.content import Content
from leaflets.errors import DataError

if TYPE_CHECKING:
    from leaflets.dongs import Dong

BOLD = "**"  # the content file's bold markup: dropped in plain media
SMS_BYTES = 90  # one SMS, counted in CP949 (the measure Korean SMS gateways use)
LMS_BYTES = 2000  # one LMS
GATEWAY_CODEC = "cp949"


@dataclass(frozen=True)
class FeeLine:
    document: str
    counter: str  # formatted: "400원" or the free label
    kiosk: str
    online: str
    saving: int  # 원 saved online against the counter


@dataclass(frozen=True)
class Facts:
    """What the media say, as plain text (no ``**``)."""

    service: str
    url: str
    short_url: str  # the address without "http://" and a final "/": phones link it as well
    publisher: str
    headline: str  # one line
    lead: str
    fee_title: str
    counter_label: str
    kiosk_label: str
    online_label: str
    document_label: str
    fees: tuple[FeeLine, ...]
    howto_title: str
    steps: tuple[str, ...]
    note: str
    qr_caption: str
    # Who sends the message and where to come or call: the 구's [desk] in the 구
    # edition, the 동's own block (dongs.toml) in a 동 edition.
    sender: str = ""  # the SMS/LMS and e-mail subject's "[...]"
    place_title: str = ""  # "" when there is nothing to name
    place_lines: tuple[str, ...] = ()
    dong: str = ""  # the 동's name in a 동 edition


def plain(text: str) -> str:
    """``text`` without the bold markers, its line breaks made spaces."""
    return " ".join(text.replace(BOLD, "").split())


def unspaced(label: str) -> str:
    """A label letter-spaced for print ("무 료") as text media write it ("무료");
    a label of words ("수수료 없음") stays as it is."""
    parts = label.split()
    return "".join(parts) if len(parts) > 1 and all(len(p) == 1 for p in parts) else label


def bare_url(url: str) -> str:
    """``url`` as a text message shows it: no scheme, no final slash
    ("http://www.minwon.go.kr/" -> "www.minwon.go.kr")."""
    for scheme in ("https://", "http://"):
        url = url.removeprefix(scheme)
    return url.rstrip("/")


def plan_facts(content: Content, dong: Dong | None = None) -> Facts:
    """The facts of ``content`` for the media (the poster's wording); with ``dong``,
    those of its edition (its name and block instead of the 구's desk)."""
    table = content.fee_table
    howto = content.poster.howto  # the shared [howto] with the poster's own wording

    def won(amount: int) -> str:
        return unspaced(plain(table.free_label)) if amount == 0 else f"{amount:,}원"

    return Facts(
        service=plain(content.service.name),
        url=content.service.url,
        short_url=bare_url(content.service.url),
        publisher=plain(content.service.publisher),
        headline=plain(content.poster.headline),
        lead=plain(content.poster.lead),
        fee_title=plain(table.title),
        counter_label=plain(table.counter_label),
        kiosk_label=plain(table.kiosk_label),
        online_label=plain(table.online_label),
        document_label=plain(table.document_label),
        fees=tuple(FeeLine(plain(fee.document), won(fee.counter), won(fee.kiosk),
                           won(fee.online), fee.counter - fee.online)
                   for fee in content.fees),
        howto_title=plain(howto.title),
        steps=tuple(plain(step) for step in howto.steps),
        note=plain(howto.note),
        qr_caption=plain(content.qr_caption),
        **(_dong_place(dong, plain(content.service.name)) if dong is not None
           else _desk_place(content)),
    )


def _desk_place(content: Content) -> dict:
    """The 구 edition: sent by the publisher; the content file's [desk], if any."""
    place = {"sender": plain(content.service.publisher)}
    if content.desk is not None:
        place.update(place_title=plain(content.desk.title),
                     place_lines=(plain(content.desk.text),))
    return place


def _dong_place(dong: Dong, service: str) -> dict:
    """A 동 edition: sent by its 주민센터; its desk, hours, address and phone (the lines
    of its block on the poster, the empty fields left out)."""
    desk = [dong.desk, dong.hours, f"담당 {dong.contact}" if dong.contact else ""]
    reach = [dong.address, f"전화 {dong.phone}" if dong.phone else ""]
    lines = [" · ".join(part for part in desk if part),
             " · ".join(part for part in reach if part), plain(dong.message)]
    return {"sender": dong.title, "place_title": f"{dong.title} 『{service}』 전용창구",
            "place_lines": tuple(line for line in lines if line), "dong": dong.name}


def gateway_bytes(text: str, path, field: str) -> int:
    """The length of ``text`` in CP949; a character CP949 lacks is a DataError naming it."""
    try:
        return len(text.encode(GATEWAY_CODEC))
    except UnicodeEncodeError as error:
        char = error.object[error.start]
        name = unicodedata.name(char, f"U+{ord(char):04X}")
        raise DataError(path, field, f"문자 메시지(CP949)로 보낼 수 없는 글자 '{char}' "
                        f"({name}, U+{ord(char):04X})가 있습니다", value=text,
                        allowed="한글(KS X 1001 완성형 2,350자)·영문·숫자·일반 기호; "
                                "이 글자를 다른 글자로 바꾸세요") from None


def check_message(text: str, limit: int, path, field: str, sources: dict[str, str]) -> bytes:
    """``text`` in CP949 if it fits ``limit`` bytes; else a DataError with the byte count
    and the longest of ``sources`` ({field: text}) as what to shorten."""
    size = gateway_bytes(text, path, field)
    if size <= limit:
        return text.encode(GATEWAY_CODEC)
    longest = sorted(sources.items(), key=lambda item: -len(item[1].encode(GATEWAY_CODEC,
                                                                           "replace")))[:3]
    hint = ", ".join(f"{key} ({len(value.encode(GATEWAY_CODEC, 'replace'))}바이트)"
                     for key, value in longest)
    raise DataError(path, field, f"{size:,}바이트로 {limit:,}바이트를 {size - limit:,}바이트 "
                    f"넘습니다 (CP949 기준, 한글 1자 = 2바이트)", value=text,
                    allowed=f"{limit:,}바이트 이하. 줄일 곳: {hint}, "
                            f"또는 templates/media/ 의 문구")
