"""e-메일: a ready .eml — plain text and HTML (for mail clients), the QR inline."""

from __future__ import annotations

import hashlib
import io
from email.message import EmailMessage
from email.policy import SMTP

import qrcode
import qrcode.constants

from leaflets.media.plan import Facts
from leaflets.media.templates import render_text

QR_PX = 150  # as shown in the mail; the PNG has twice the pixels for sharp screens


def qr_png(url: str, size_px: int) -> bytes:
    """A QR code PNG of ``url``, black on white with the 4-module quiet zone, whose side
    is at most ``size_px`` pixels (whole pixels per module, so it stays sharp)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    modules = len(code.get_matrix())
    code.box_size = max(1, size_px // modules)
    image = code.make_image().get_image().convert("L")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write_email(facts: Facts) -> bytes:
    """The message as .eml bytes: multipart/alternative of text/plain and a
    multipart/related HTML part holding the QR as an inline PNG (Content-ID).

    No sender, recipients or date: the mail program fills them in (X-Unsent opens
    the file as a draft in Outlook). The same facts give the same bytes.
    """
    subject = render_text("email-subject.txt.j2", facts).strip()
    cid = f"<qr-{hashlib.sha256(facts.url.encode()).hexdigest()[:16]}@leaflets.invalid>"
    message = EmailMessage()
    message["Subject"] = subject
    message["MIME-Version"] = "1.0"
    message["X-Unsent"] = "1"
    message.set_content(render_text("email.txt.j2", facts), charset="utf-8")
    html = render_text("email.html.j2", facts, subject=subject, qr_cid=cid[1:-1])
    message.add_alternative(html, subtype="html", charset="utf-8")
    message.get_payload()[1].add_related(qr_png(facts.url, 2 * QR_PX), "image", "png",
                                         cid=cid, filename="qr.png", disposition="inline")
    digest = hashlib.sha256(html.encode()).hexdigest()[:24]
    for number, part in enumerate(part for part in message.walk() if part.is_multipart()):
        part.set_boundary(f"=_leaflets_{number}_{digest}")  # not random: same input, same file
    return message.as_bytes(policy=SMTP)
