"""문자: the SMS (≤ 90 bytes) and LMS (≤ 2,000 bytes) texts, counted in CP949."""

from __future__ import annotations

from dataclasses import asdict

from leaflets.media.plan import LMS_BYTES, SMS_BYTES, Facts, check_message
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
