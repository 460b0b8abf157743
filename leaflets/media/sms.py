"""문자: the SMS (≤ 90 bytes) and LMS (≤ 2,000 bytes) texts, counted in CP949."""

from __future__ import annotations

from dataclasses import asdict

from leaflets.errors import DataError
from leaflets.media.plan import (
    GATEWAY_CODEC,
    LMS_BYTES,
    SMS_BYTES,
    Facts,
    check_message,
    gateway_bytes,
)
from leaflets.media.templates import render_text

# Which content field each fact comes from, to name what to shorten ([poster-a4.howto]
# overrides [howto] when the content file has one).
_FIELDS = {"service": "service.name", "url": "service.url", "publisher": "service.publisher",
           "headline": "poster-a4.headline", "lead": "poster-a4.lead", "note": "howto.note",
           "fee_title": "fee_table.title", "howto_title": "howto.title"}


def write_sms(facts: Facts, path) -> str:
    """The SMS text; a DataError if it is over 90 bytes or not CP949 (``path`` names
    the content file)."""
    return _message("sms.txt.j2", facts, SMS_BYTES, path, "문자(SMS)")


def write_dong_sms(facts: Facts, gu_sms: str, dong) -> str:
    """A 동 edition's SMS (``facts`` of that edition), whose sender is the 동's
    주민센터. The 구's SMS ``gu_sms`` fits (it was made first), so a 동 SMS over 90
    bytes is that name's doing: the DataError names the dongs file, the 동 and
    its ``centre`` field, and how many bytes to take off it."""
    text = render_text("sms.txt.j2", facts).strip()
    where = dong.field("centre")
    try:
        gateway_bytes(facts.sender, dong.path, where)  # a character CP949 lacks, named
        size = gateway_bytes(text, dong.path, where)
    except DataError as error:
        raise error.of_dong(dong.name, "centre") from None
    if size <= SMS_BYTES:
        return text
    over = size - SMS_BYTES
    title = len(facts.sender.encode(GATEWAY_CODEC))
    room = title - over
    example = (f' (예: "{dong.name}")' if len(dong.name.encode(GATEWAY_CODEC)) <= room
               else "")
    shorter = (f"{room}바이트(한글 {room // 2}자) 이하의 짧은 주민센터 이름을 "
               f"적어 주세요{example}" if room > 0 else
               "templates/media/sms.txt.j2 의 문구를 줄여 주세요")
    raise DataError(dong.path, where,
                    f"{dong.name}의 문자(SMS)가 {size:,}바이트로 {SMS_BYTES}바이트를 "
                    f"{over:,}바이트 넘습니다 (CP949 기준, 한글 1자 = 2바이트; 문자 머리에 "
                    f"주민센터 이름 '{facts.sender}' {title}바이트가 들어갑니다; 구 문자는 "
                    f"{len(gu_sms.encode(GATEWAY_CODEC))}바이트)",
                    value=facts.sender, allowed=shorter, dong=dong.name, key="centre")


def write_lms(facts: Facts, path) -> str:
    """The LMS text with the fee comparison and the steps (≤ 2,000 bytes)."""
    return _message("lms.txt.j2", facts, LMS_BYTES, path, "문자(LMS)")


def _message(template: str, facts: Facts, limit: int, path, field: str) -> str:
    text = render_text(template, facts).strip()
    check_message(text, limit, path, field, _sources(facts, text))
    return text


def _sources(facts: Facts, text: str) -> dict[str, str]:
    """{content field: its text} for the facts that appear in ``text``."""
    found = {_FIELDS[key]: value for key, value in asdict(facts).items()
             if key in _FIELDS and value and value in text}
    for number, fee in enumerate(facts.fees, start=1):
        if fee.document in text:
            found[f"fees[{number}].document"] = fee.document
    for number, step in enumerate(facts.steps, start=1):
        if step in text:
            found[f"howto.steps[{number}]"] = step
    return found
