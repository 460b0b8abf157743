"""Renders for the web app: a few at a time, each key once, finished previews kept.

A render takes seconds; a cached preview should take milliseconds even while
renders run. So the cache is looked up under a lock held only for dict
operations, renders run on a small pool of worker threads (each with its
own Renderer, which is not meant to be shared between threads), and a
request for something already being rendered waits for that render only.

Live previews (an edit form, re-rendered a moment after each pause in typing) have
their own lane: one thread whose renderer stays warm, never queued behind a print
file or a package. A newer live preview of the same editor supersedes an older one:
if nobody else waits for the older one it is skipped before it starts, or stopped
between stages (:meth:`RenderPool.wanted`), instead of being waited for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from leaflets.production import OutputCondition, builtin_output
from leaflets.render import Renderer

T = TypeVar("T")


class Superseded(Exception):
    """A live preview nobody waits for any more: each asker has asked for a newer one."""


class RenderPool:
    """At most ``workers`` renders at once; up to ``keep`` results cached by key."""

    def __init__(self, workers: int = 2, keep: int = 64):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="leaflets-render")
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the two dicts below, never held while rendering
        self._done: OrderedDict[Hashable, object] = OrderedDict()
        self._running: dict[Hashable, Future] = {}
        self._keep = keep
        self._live = ThreadPoolExecutor(1, thread_name_prefix="leaflets-live")
        self._newest: dict[Hashable, Hashable] = {}  # editor -> the live key asked for last
        self._askers: dict[Hashable, set] = {}  # live key not yet finished -> its editors

    def cached(self, key: Hashable, make: Callable[[Renderer], T]) -> T:
        """The kept result for ``key``, else ``make(renderer)`` on the pool, shared by askers."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            future = self._running.get(key)
            if future is None:
                future = self._executor.submit(self._make_and_keep, key, make)
                self._running[key] = future
        return future.result()

    def latest(self, group: Hashable, key: Hashable, make: Callable[[Renderer], T]) -> T:
        """For a live preview: the kept result for ``key``, else ``make(renderer)`` on the
        live lane, shared by askers. Asking in ``group`` (one editor's session) supersedes
        that group's earlier key: a render whose askers all asked for something newer is
        not started, or stops at its next :meth:`wanted`, and they get
        :class:`Superseded`."""
        with self._lock:
            self._newest[group] = key
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            self._askers.setdefault(key, set()).add(group)
            future = self._running.get(key)
            if future is None:
                future = self._live.submit(self._make_and_keep, key, make)
                self._running[key] = future
        return future.result()

    def wanted(self, key: Hashable) -> None:
        """Raise :class:`Superseded` if every asker of live ``key`` has moved on (a live
        render calls this between its stages)."""
        with self._lock:
            askers = self._askers.get(key, ())
            if askers and all(self._newest.get(group) != key for group in askers):
                raise Superseded(key)

    def kept(self, key: Hashable):
        """The kept result for ``key``, or None (never rendered, or dropped since)."""
        with self._lock:
            return self._done.get(key)

    def run(self, make: Callable[[Renderer], T], output: OutputCondition | None = None) -> T:
        """``make(renderer)`` on the pool, not kept (print files, downloads). A print
        file passes ``output`` (production.toml's [output] profile): the renderer then
        writes that OutputIntent and converts to that CMYK."""
        return self._executor.submit(self._call, make, output).result()

    def _make_and_keep(self, key, make):
        try:
            self.wanted(key)  # a superseded live preview never starts
            value = self._call(make)
        except BaseException:
            with self._lock:
                del self._running[key]  # the next request tries again
                self._forget_askers(key)
            raise
        with self._lock:
            self._done[key] = value
            while len(self._done) > self._keep:
                self._done.popitem(last=False)
            del self._running[key]
            self._forget_askers(key)
        return value

    def _forget_askers(self, key):
        """Drop a finished live key's askers (under ``_lock``), and the editors whose
        newest key it was: the two dicts stay as small as the renders in flight."""
        for group in self._askers.pop(key, ()):
            if self._newest.get(group) == key:
                del self._newest[group]

    def _call(self, make, output: OutputCondition | None = None):
        """``make`` with this thread's renderer for ``output`` (the built-in by default),
        one per output condition, made on first use."""
        output = output or builtin_output()
        renderers = self._local.__dict__.setdefault("renderers", {})
        renderer = renderers.get(output.sha256)
        if renderer is None:
            renderer = renderers[output.sha256] = Renderer(output=output)
        return make(renderer)
