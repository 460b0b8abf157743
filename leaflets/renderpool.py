"""Renders for the web app: a few at a time, each key once, finished previews kept.

A render takes seconds; a cached preview should take milliseconds even while
renders run. So the cache is looked up under a lock held only for dict
operations, renders run on a small pool of worker threads (each with its
own Renderer, which is not meant to be shared between threads), and a
request for something already being rendered waits for that render only.
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


class RenderPool:
    """At most ``workers`` renders at once; up to ``keep`` results cached by key."""

    def __init__(self, workers: int = 2, keep: int = 64):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="leaflets-render")
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the two dicts below, never held while rendering
        self._done: OrderedDict[Hashable, object] = OrderedDict()
        self._running: dict[Hashable, Future] = {}
        self._keep = keep

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
            value = self._call(make)
        except BaseException:
            with self._lock:
                del self._running[key]  # the next request tries again
            raise
        with self._lock:
            self._done[key] = value
            while len(self._done) > self._keep:
                self._done.popitem(last=False)
            del self._running[key]
        return value

    def _call(self, make, output: OutputCondition | None = None):
        """``make`` with this thread's renderer for ``output`` (the built-in by default),
        one per output condition, made on first use."""
        output = output or builtin_output()
        renderers = self._local.__dict__.setdefault("renderers", {})
        renderer = renderers.get(output.sha256)
        if renderer is None:
            renderer = renderers[output.sha256] = Renderer(output=output)
        return make(renderer)
