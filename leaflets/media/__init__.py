"""Every medium of the plan from the same content: 문자, e-메일, 홈페이지 배너, 소식지.

:func:`media_files` is the stage's one entry: validated Content and the
production settings in, ``(path, (Artifact, bytes))`` out for ``dist/media/``.
Each medium's writer is its own module; :mod:`leaflets.media.plan` holds the
facts they share. A text that cannot be sent (too many bytes, a character
outside CP949) raises a DataError before anything is written.
"""

from __future__ import annotations

from leaflets.artifacts import Artifact, sha256
from leaflets.content import Content
from leaflets.media.banner import draw_banner, plan_banner
from leaflets.media.mail import write_email
from leaflets.media.plan import Facts, plan_facts
from leaflets.media.sms import write_dong_sms, write_lms, write_sms
from leaflets.media.templates import render_text
from leaflets.production import MediaSettings

__all__ = ["FOLDER", "dong_media_files", "edition_media", "media_files", "plan_facts"]

FOLDER = "media"
PRODUCT = "media"


def media_files(content: Content, settings: MediaSettings):
    """[(relative path, (Artifact, bytes))] of every medium, all checked before any
    is returned (so a bad text stops the build before it writes)."""
    facts = plan_facts(content)
    files = [("sms.txt", "sms", write_sms(facts, content.path).encode()),
             ("lms.txt", "lms", write_lms(facts, content.path).encode()),
             ("minwon24.eml", "email", write_email(facts))]
    sizes = dict.fromkeys(settings.banner_sizes)
    if settings.homepage_slot:
        sizes[settings.homepage_slot] = None
    for width, height in sizes:
        png = draw_banner(plan_banner(facts, (width, height)), facts)
        files.append((f"banner-{width}x{height}.png", "banner", png))
    files.append(("banner-alt.txt", "banner", _text("banner-alt.txt.j2", facts)))
    files.append(("newsletter.txt", "newsletter", _text("newsletter.txt.j2", facts)))
    files.append(("newsletter.html", "newsletter", _text("newsletter.html.j2", facts)))
    return [(f"{FOLDER}/{name}", (Artifact(PRODUCT, kind, f"{FOLDER}/{name}", sha256(data),
                                           1, (0.0, 0.0)), data))
            for name, kind, data in files]


def dong_media_files(content: Content, dong):
    """The media of ``dong``'s edition that name a place to come or call — 문자 (SMS,
    LMS), e-메일 and the 소식지 texts — with its 주민센터 and block instead of the
    구's desk: [(path, (Artifact, bytes))] under ``dongs/<동>/media/``. The banners
    name no place and stay the 구's. A DataError (naming the 동) if a text cannot
    be sent."""
    gu_sms = write_sms(plan_facts(content), content.path)
    facts = plan_facts(content, dong)
    files = [("sms.txt", "sms", write_dong_sms(facts, gu_sms, dong).encode()),
             ("lms.txt", "lms", write_lms(facts, content.path).encode()),
             ("minwon24.eml", "email", write_email(facts)),
             ("newsletter.txt", "newsletter", _text("newsletter.txt.j2", facts)),
             ("newsletter.html", "newsletter", _text("newsletter.html.j2", facts))]
    prefix = f"dongs/{dong.slug}/{FOLDER}"
    return [(f"{prefix}/{name}", (Artifact(PRODUCT, kind, f"{prefix}/{name}", sha256(data),
                                           1, (0.0, 0.0), dong=dong.name), data))
            for name, kind, data in files]


def edition_media(content: Content, settings: MediaSettings, dong, renderer, spots=(),
                  texts=None):
    """Every medium of ``dong``'s edition: :func:`dong_media_files` (or ``texts``, made
    already) and its 소식지 block, rendered and preflighted
    (:func:`leaflets.media.printed.print_media_files`)."""
    from leaflets.media.printed import print_media_files

    files = list(texts) if texts is not None else dong_media_files(content, dong)
    return files + print_media_files(content, settings, renderer, spots, dong=dong)


def _text(template: str, facts: Facts) -> bytes:
    return (render_text(template, facts).strip() + "\n").encode()
