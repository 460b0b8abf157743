"""The office web app: edit fees, preview, budget, 동 pages, vendor package, media,
evaluation.

A thin layer over the same functions the CLI uses. Server-rendered Korean
pages (templates/web/), forms that work without JavaScript. Every POST
carries a CSRF token; session cookies are HttpOnly and SameSite=Lax and
name a session the server can end; login attempts are rate-limited; a 동
담당자 gets 403 for any other 동; every response forbids framing, and its
Content-Security-Policy allows only the site's own script files (served from
templates/web/scripts/, no inline script: the copy button and the live preview);
every error, a crash included, is a Korean page. Renders run on a small pool
(leaflets.renderpool) so cached previews are served while others render.

One module per area, each with ``register(app, site)`` (``app.AREAS``): auth
(login, logout, password), home, fonts, fees (content, previews, print files), dong,
budget, orders (the vendor package), production (production.toml), evaluation
(붙임 1), media, approval (the 결재 PDF). ``app`` builds the app; ``common`` holds
what they share; ``fields`` places a save's errors at their inputs; ``lastbuild``
reads dist/'s manifest.
"""

from leaflets.web.app import create_app
from leaflets.web.common import is_local, local_path

__all__ = ["create_app", "is_local", "local_path"]
