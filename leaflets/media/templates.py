"""The office-editable short templates of ``templates/media/``.

Sandboxed Jinja2: a template the office edits may only read the facts it is
given, and the facts are passed as values, never compiled as template code.
Plain-text templates (``.txt.j2``) are not escaped; HTML ones are.
"""

from __future__ import annotations

import functools
from dataclasses import asdict

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from leaflets.errors import LeafletsError
from leaflets.media.plan import Facts
from leaflets.project import TEMPLATES

FOLDER = TEMPLATES / "media"


@functools.cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(loader=FileSystemLoader(FOLDER), undefined=StrictUndefined,
                                autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
                                keep_trailing_newline=True)


def render_text(name: str, facts: Facts, **extra) -> str:
    """Render ``templates/media/<name>`` with the facts (and ``extra`` values)."""
    context = asdict(facts)
    context["fees"] = facts.fees  # the rows keep their attributes (fee.document)
    context["cheapest"] = max(facts.fees, key=lambda fee: fee.saving)
    try:
        return _environment().get_template(name).render(**context, **extra)
    except TemplateError as error:
        raise LeafletsError(f"templates/media/{name}: 템플릿 오류 — {error.message} "
                            f"(줄 {getattr(error, 'lineno', '?')})") from None
