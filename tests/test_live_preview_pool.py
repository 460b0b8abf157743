"""The live preview's worst case: an outdated preview is abandoned, not waited for, and
the quicker draft render shows the same pixels as the saved preview's render."""

from __future__ import annotations

import threading
import time

import pytest
from PIL import ImageChops

from leaflets.render import rasterize
from leaflets.renderpool import RenderPool, Superseded
from leaflets.web.common import LIVE_DPI
from tests.conftest import read_pages


def _until_superseded(pool, key):
    """Wait (polling, no time limit asserted) until ``key`` is no longer wanted."""
    for _ in range(3000):
        try:
            pool.wanted(key)
        except Superseded:
            return
        time.sleep(0.01)
    raise AssertionError(f"{key} still wanted")


def _ask(pool, group, key, make, answers):
    def run():
        try:
            answers[key] = pool.latest(group, key, make)
        except Superseded:
            answers[key] = "superseded"
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_newer_preview_supersedes_the_older_ones_of_the_same_editor():
    pool = RenderPool(workers=1)
    started, go, made = threading.Event(), threading.Event(), []
    answers = {}

    def first(renderer):  # still rendering when the editor types twice more
        started.set()
        go.wait(120)
        made.append("first")
        pool.wanted("k1")  # between stages: stops here
        made.append("first, finished")
        return "first"

    def maker(name):
        def make(renderer):
            made.append(name)
            return name
        return make

    threads = [_ask(pool, "editor", "k1", first, answers)]
    assert started.wait(120)
    threads.append(_ask(pool, "editor", "k2", maker("second"), answers))
    _until_superseded(pool, "k1")
    threads.append(_ask(pool, "editor", "k3", maker("third"), answers))
    _until_superseded(pool, "k2")
    go.set()
    for thread in threads:
        thread.join(120)
    assert answers == {"k1": "superseded", "k2": "superseded", "k3": "third"}
    assert made == ["first", "third"]  # the second never started, the first stopped
    assert pool.latest("editor", "k3", maker("again")) == "third"  # kept
    assert pool.latest("editor", "k1", maker("first, anew")) == "first, anew"  # not kept


def test_a_preview_another_editor_waits_for_is_finished():
    pool = RenderPool(workers=1)
    started, go = threading.Event(), threading.Event()
    answers, later = {}, {}

    def shared(renderer):
        started.set()
        go.wait(120)
        pool.wanted("same")
        return "shared"

    threads = [_ask(pool, "one", "same", shared, answers)]
    assert started.wait(120)
    threads.append(_ask(pool, "two", "same", shared, answers))  # the same render
    _until(lambda: _newest(pool, "two") == "same")
    threads.append(_ask(pool, "one", "newer", lambda renderer: "newer", later))
    _until(lambda: _newest(pool, "one") == "newer")
    pool.wanted("same")  # "one" moved on, "two" still waits: not superseded
    go.set()
    for thread in threads:
        thread.join(120)
    assert answers == {"same": "shared"} and later == {"newer": "newer"}


def _newest(pool, group):
    with pool._lock:
        return pool._newest.get(group)


def _until(condition):
    """Poll ``condition`` (waits for other threads; no time limit is asserted)."""
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("never happened")


@pytest.mark.parametrize("product", ["poster-a4", "pocket"])
def test_the_draft_render_shows_what_the_screen_render_shows(renderer, default_content,
                                                             product):
    screen = renderer.render(default_content, product, "screen").pdf
    draft = renderer.render(default_content, product, "screen", draft=True).pdf
    assert [page.lines for page in read_pages(draft)] == \
        [page.lines for page in read_pages(screen)]
    for shown, drafted in zip(rasterize(screen, LIVE_DPI), rasterize(draft, LIVE_DPI),
                              strict=True):
        assert ImageChops.difference(shown.convert("RGB"),
                                     drafted.convert("RGB")).getbbox() is None
    with pytest.raises(ValueError):
        renderer.render(default_content, product, "print", draft=True)
