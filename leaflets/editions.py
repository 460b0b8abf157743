"""동 editions: the common pages laid out once, each 동's block stamped over them.

Every 동 edition shares all of its pages with the others except the reserved
slot and, in print files, the slug. :func:`make_common` renders those common
pages once per build (the 구's screen files, print files without a slug, the
proofs and the office-sheet furniture); :func:`dong_edition` then lays out only
the 동's overlay (block and slug) and stamps it over them (``leaflets.compose``).
The result is the page a whole render gives (a test compares them pixel by
pixel), and every print file is still preflighted in full.

:class:`EditionPool` spreads the editions over worker processes, one per core,
with fonts and the common pages loaded once per worker.
"""

from __future__ import annotations

import ctypes
import gc
import io
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from leaflets.artifacts import Artifact, PreflightFailed, sha256, write_files
from leaflets.content import Content
from leaflets.dongs import Dong
from leaflets.errors import LeafletsError
from leaflets.impose.plan import plan_office, sheet_note
from leaflets.production import Production
from leaflets.products import PRODUCTS

if TYPE_CHECKING:
    from leaflets.preflight import Report
    from leaflets.render import RenderedProduct, Renderer


@dataclass(frozen=True)
class Common:
    """What every 동 edition of one build shares."""

    screen: dict[str, RenderedProduct]  # the 구's screen files: slot empty
    print: dict[str, RenderedProduct]  # print files with the slot empty and no slug
    proofs: dict[tuple[str, int], bytes]  # PNG proofs of the screen pages
    office: dict[str, bytes]  # office sheets of the print pages, per product
    checked: dict[str, tuple[Report, tuple[float, ...]]]  # print pages' preflight, ink
    blank_slot: dict[str, bool]  # nothing printed where the block goes (checked by parts)
    slot_box: dict[str, tuple[float, ...]]  # the slot on the print page, in points


def make_common(content: Content, production: Production, renderer: Renderer,
                screen: dict[str, RenderedProduct] | None = None,
                proofs: dict[tuple[str, int], bytes] | None = None) -> Common:
    """Render the common pages (``screen`` and ``proofs``: the 구's, when at hand)."""
    # The 구's own screen files fill the slot with the 구's block: the 동 editions are
    # stamped on pages with the slot left empty.
    screen = {name: renderer.render_product(content, product, "screen", edition="common")
              for name, product in PRODUCTS.items()}
    from leaflets.render import proof_pngs

    if proofs is None:
        proofs = {(name, number): png for name in PRODUCTS
                  for number, png in enumerate(proof_pngs(screen[name].pdf), start=1)}
    printed = {name: renderer.render_product(content, product, "print", edition="common")
               for name, product in PRODUCTS.items()}
    from leaflets.impose.pdf import impose

    office = {}
    for run in production.runs:
        plan = plan_office(run, production.office_sheet, content.trim_mm(run.product),
                           content.bleed_mm(run.product))
        furniture = renderer.render_sheet(plan, PRODUCTS[run.product].title, content.sha256)
        office[run.product] = impose(plan, printed[run.product].pdf, furniture)
    from leaflets.compose import parsed, slot_box
    from leaflets.preflight import cmyk_rasters, ink_in, page_tac, preflight

    checked, blank, boxes = {}, {}, {}
    names = list(printed)
    for name, images in zip(names, cmyk_rasters([printed[n].pdf for n in names]), strict=True):
        pdf, page = printed[name].pdf, PRODUCTS[name].dong_page
        report = preflight(pdf, f"공통 쪽 print/{name}.pdf", bleed_mm=printed[name].bleed_mm,
                           url=content.service.url, rasters=images, spots=production.spots)
        if not report.passed:
            raise PreflightFailed([report])
        checked[name] = (report, page_tac(pdf, images))
        boxes[name] = slot_box(parsed(pdf).pages[page - 1], printed[name].slot_px)
        blank[name] = ink_in(pdf, images[page - 1], page, boxes[name]) == 0
    return Common(screen, printed, proofs, office, checked, blank, boxes)


def dong_edition(content: Content, production: Production, dong: Dong, renderer: Renderer,
                 common: Common) -> list:
    """Every file of one 동 edition: [(path, (Artifact, bytes))] under ``dongs/<동>/``."""
    return _in_order(dong_editions(content, production, [dong], renderer, common)[0])


def dong_editions(content: Content, production: Production, dongs: list[Dong],
                  renderer: Renderer, common: Common,
                  products: tuple[str, ...] = tuple(PRODUCTS)) -> list[list]:
    """The files of several 동 editions (see :func:`dong_edition`), of ``products`` only,
    their print files preflighted together (one Ghostscript run). Raises
    PreflightFailed if one fails."""
    from leaflets.compose import crop
    from leaflets.preflight import (
        MAX_TAC,
        CMYKRasters,
        Parts,
        RasterError,
        block_codes,
        ink_bound,
        preflight_many,
    )

    prints = [_draw_print(content, dong, renderer, common, products) for dong in dongs]
    printed, blocks = [], []
    for dong, pdfs in zip(dongs, prints, strict=True):
        for name, (pdf, overlay) in pdfs.items():
            printed.append((pdf, f"{dong.slug}/print/{name}.pdf", common.print[name].bleed_mm))
            page = PRODUCTS[name].dong_page
            box = common.slot_box[name]
            block = len(PRODUCTS[name].pages)  # after one slug page per side: the block
            bound = ink_bound(overlay, block)
            if bound is not None and bound <= MAX_TAC:
                blocks.append((name, page, box, bound, None))
            else:  # a picture, say: measure it on a raster of the slot
                blocks.append((name, page, box, None, crop(overlay, block, box)))
    # The files are checked by parts (preflight.Parts): the common pages were checked
    # once; each block is bounded by its colours or drawn alone in its slot, all of
    # those in one Ghostscript run.
    with CMYKRasters([pdf for *_, pdf in blocks if pdf]) as rasters:  # it works meanwhile
        screens = [_draw_screen(content, dong, renderer, common, products) for dong in dongs]
        try:
            images = iter(rasters.result())
            parts = [Parts(*common.checked[name],
                           ((page, next(images)[0] if pdf else None, box, bound),),
                           block_codes(pdf, page, content.service.url) if pdf else ())
                     if common.blank_slot[name] else None  # else: check the file whole
                     for name, page, box, bound, pdf in blocks]
        except RasterError:  # every file then reports what it could not check
            parts = None
        reports = preflight_many(printed, url=content.service.url, parts=parts,
                                 spots=production.spots)
    failed = [report for report in reports if not report.passed]
    if failed:
        raise PreflightFailed(failed)
    return [_finish(content, production, dong, files, pdfs, common, products)
            for dong, files, pdfs in zip(dongs, screens, prints, strict=True)]


def _draw_print(content, dong, renderer, common, products) -> dict[str, tuple[bytes, bytes]]:
    """A 동's print files, not yet preflighted, and their overlays."""
    from leaflets.compose import Draw, stamp

    prints = {}
    for name in products:
        base = common.print[name]
        overlay = renderer.render_product(content, PRODUCTS[name], "print", dong,
                                          edition="overlay", slot=base.slot_px)
        sides = len(PRODUCTS[name].pages)  # one slug page per side, then the block
        draws = [Draw(index, index) for index in range(sides)]
        draws.append(Draw(PRODUCTS[name].dong_page - 1, sides))
        prints[name] = (stamp(base.pdf, overlay.pdf, draws,
                              f"{content.sha256}:{name}:print:{dong.name}"), overlay.pdf)
    return prints


def _draw_screen(content, dong, renderer, common, products) -> list:
    """A 동's screen files and their PNG proofs: [(path, Artifact, bytes)]."""
    from leaflets.compose import Draw, stamp
    from leaflets.render import PROOF_DPI, proof_pngs

    files = []
    for name in products:
        product, base = PRODUCTS[name], common.screen[name]
        overlay = renderer.render_product(content, product, "screen", dong,
                                          edition="overlay", slot=base.slot_px)
        pdf = stamp(base.pdf, overlay.pdf, [Draw(product.dong_page - 1, 0)],
                    f"{content.sha256}:{name}:screen:{dong.name}")
        files.append((f"{name}.pdf", Artifact(name, "proof-pdf", f"{name}.pdf", sha256(pdf),
                                              base.pages, base.trim_mm), pdf))
        (block_png,) = proof_pngs(pdf, [product.dong_page])
        for number in range(1, base.pages + 1):
            png = block_png if number == product.dong_page else common.proofs[(name, number)]
            path = f"{name}-p{number}.png"
            files.append((path, Artifact(name, "proof-png", path, sha256(png), 1, base.trim_mm,
                                         page=number, side=product.pages[number - 1],
                                         dpi=PROOF_DPI), png))
    return files


def _finish(content, production, dong, files, prints, common, products):
    """Add the preflighted print files and the office sheets; put all under dongs/<동>/.

    ``prints`` holds (stamped print file, overlay) per product: an office sheet is
    the common office sheet with the overlay's block drawn at every copy."""
    from pypdf import PdfReader

    from leaflets.compose import Draw, stamper
    from leaflets.impose.pdf import clip_box, placements

    for name, (pdf, _) in prints.items():
        base = common.print[name]
        path = f"print/{name}.pdf"
        files.append((path, Artifact(name, "print", path, sha256(pdf), base.pages,
                                     base.trim_mm, bleed_mm=base.bleed_mm,
                                     preflight="passed"), pdf))
    for run in production.runs:
        if run.product not in products:
            continue
        piece = content.trim_mm(run.product)
        plan = plan_office(run, production.office_sheet, piece, content.bleed_mm(run.product))
        overlay = prints[run.product][1]
        pages = PdfReader(io.BytesIO(overlay)).pages
        block = len(pages) - 1  # the overlay's last page: the block alone, no slug
        draws = [Draw(side, block, matrix, clip_box(plan)) for side, page, matrix
                 in placements(plan, pages) if page == PRODUCTS[run.product].dong_page - 1]
        pdf = stamper(common.office[run.product]).write(
            overlay, draws, f"{content.sha256}:{run.product}:office:{dong.name}")
        path = f"office/{run.product}-{production.office_sheet.name}.pdf"
        files.append((path, Artifact(run.product, "office", path, sha256(pdf), len(plan.sides),
                                     piece, sheet=plan.sheet.name, sheet_mm=plan.sheet_mm,
                                     n_up=plan.n_up, method=plan.method, sheets=plan.sheets,
                                     quantity=plan.quantity,
                                     used_percent=round(plan.used_percent, 1),
                                     cell_bleed_mm=plan.bleed_mm, note=sheet_note(plan)),
                      pdf))
    prefix = f"dongs/{dong.slug}/"
    return [(prefix + path, (replace(artifact, path=prefix + path, dong=dong.name), data))
            for path, artifact, data in files]


_KINDS = ("proof-pdf", "proof-png", "print", "office")


def _in_order(edition: list) -> list:
    """An edition's files in one order however its products were split over workers:
    screen files and proofs, print files, office sheets; products in table order."""
    names = list(PRODUCTS)

    def key(item):
        artifact = item[1][0]
        kind = _KINDS.index(artifact.kind)
        return (max(kind - 1, 0), names.index(artifact.product), kind, artifact.page or 0)

    return sorted(edition, key=key)


CHUNK = 6  # editions per task: one Ghostscript run preflights all their print files


class EditionPool:
    """Renders 동 editions in worker processes (one per core) while the caller goes on.

    Entering starts the work; :meth:`editions` yields each edition's files in
    order as they finish. One edition, or ``jobs=1``, renders in-process.
    """

    def __init__(self, content, production, dongs, renderer, common, jobs=None,
                 delivery: Delivery | None = None):
        self.content, self.production, self.renderer = content, production, renderer
        self.common, self.delivery = common, delivery
        self.dongs = dongs
        self.workers = min(jobs or os.cpu_count() or 1, max(len(dongs), len(PRODUCTS)))
        if not dongs:
            self.workers = 0
        self.pool = None
        self.tasks, self.futures = [], []

    def __enter__(self):
        if self.workers > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context,
                                            initializer=_start_worker,
                                            initargs=(self.content, self.production,
                                                      self.common, os.getpid()))
            if len(self.dongs) >= self.workers:  # chunks of whole editions
                rounds = -(-len(self.dongs) // (CHUNK * self.workers))
                size = -(-len(self.dongs) // (rounds * self.workers))  # even, at most CHUNK
                self.tasks = [(self.dongs[i:i + size], tuple(PRODUCTS))
                              for i in range(0, len(self.dongs), size)]
            else:  # fewer 동 than cores (one 동 changed): split each by product
                self.tasks = [([dong], (name,)) for dong in self.dongs for name in PRODUCTS]
            self.futures = [self.pool.submit(_editions_in_worker, *task, self.delivery)
                            for task in self.tasks]
        return self

    def __exit__(self, kind, *exc):
        if self.pool is not None:
            if kind is not None:
                # No future is cancelled here: Python 3.11's pool thread fails on one it
                # then finds in a pool whose workers ended (InvalidStateError).
                self._stop_workers()
            else:
                for future in self.futures:
                    if future is not None:
                        future.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def _stop_workers(self):
        """End the workers now (an error or Ctrl+C): none may go on writing into the
        staging folder the build is about to remove, nor outlive it."""
        # The executor offers no way to stop running tasks before Python 3.14.
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()

    def editions(self):
        """Yield (dong, [(path, (Artifact, bytes))]) for every edition, in order, or
        (dong, Delivered) for one a worker has written and cached itself."""
        yield from self._here() if self.pool is None else self._from_workers()

    def _here(self):
        if self.renderer is None and self.dongs:
            from leaflets.render import Renderer

            self.renderer = Renderer(output=self.production.output)
        for start in range(0, len(self.dongs), CHUNK):
            chunk = self.dongs[start:start + CHUNK]
            editions = dong_editions(self.content, self.production, chunk, self.renderer,
                                     self.common)
            yield from ((dong, _in_order(files)) for dong, files in zip(chunk, editions,
                                                                         strict=True))

    def _from_workers(self):
        parts = {}
        for index, (chunk, products) in enumerate(self.tasks):
            editions = self.futures[index].result()
            self.futures[index] = None  # the parent keeps no edition it has handed on
            if isinstance(editions, _Failure):
                self._throw_with_siblings(index, editions)
            for dong, files in zip(chunk, editions, strict=True):
                if isinstance(files, Delivered):
                    yield dong, files
                    continue
                done = parts.setdefault(dong.name, [])
                done += files
                if len(products) == len(PRODUCTS) or {a.product for _, (a, _) in done} \
                        == set(PRODUCTS):
                    yield dong, _in_order(parts.pop(dong.name))


    def _throw_with_siblings(self, index, failure):
        """Raise ``failure``; when a 동 was split by product, wait for its other parts
        first, so that every print file that failed its preflight is reported."""
        chunk, _ = self.tasks[index]
        reports = list(getattr(failure.error, "reports", []))
        for later in range(index + 1, len(self.tasks)):
            if self.tasks[later][0] != chunk or not reports:
                break
            try:
                other = self.futures[later].result()
            except Exception:  # noqa: BLE001  the failure at hand is the one to report
                break
            if isinstance(other, _Failure) and isinstance(other.error, PreflightFailed):
                reports += other.error.reports
        if reports:
            raise PreflightFailed(reports)
        failure.throw()


@dataclass(frozen=True)
class Delivery:
    """Where a worker puts a whole edition itself: the staging folder of the build, and
    the cache with each 동's key. The parent then receives only the artifacts."""

    folder: str
    out_dir: str  # as the user named it, for messages
    cache: str | None
    keys: dict[str, str]


@dataclass(frozen=True)
class Delivered:
    """An edition a worker has written into the staging folder (and the cache)."""

    artifacts: tuple[Artifact, ...]


def _deliver(delivery: Delivery, dong: Dong, files: list) -> Delivered:
    from leaflets.cache import EditionCache

    artifacts = write_files(delivery.folder, files, delivery.out_dir)
    EditionCache(delivery.cache).put(delivery.keys[dong.name], files)
    return Delivered(tuple(artifacts))


@dataclass(frozen=True)
class _Failure:
    """An input error in a worker, carried back whole (LeafletsError pickles)."""

    error: LeafletsError

    def throw(self):
        raise self.error


_worker = {}


def _start_worker(content, production, common, parent):
    """Fonts and the common pages, once per worker process."""
    from leaflets.render import Renderer

    _end_with_parent(parent)
    renderer = Renderer(output=production.output)
    _worker.update(content=content, production=production, common=common, renderer=renderer)
    # Pool workers end without running finalizers: remove WeasyPrint's font folder then.
    multiprocessing.util.Finalize(renderer, renderer.fonts.__del__, exitpriority=10)
    # Layout makes many short-lived objects and few cycles: collect less often.
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


def _end_with_parent(parent: int):
    """Make this worker end when the build process ``parent`` does, even by SIGKILL.

    Ctrl+C reaches the whole process group: only the parent acts on it (it stops
    the workers); a SIGTERM from the parent ends a worker at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:  # Linux: the kernel kills us with the thread that started us
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            if os.getppid() != parent:  # it ended before prctl took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _editions_in_worker(dongs, products, delivery=None):
    try:
        editions = dong_editions(_worker["content"], _worker["production"], dongs,
                                 _worker["renderer"], _worker["common"], products)
        if delivery is None or len(products) < len(PRODUCTS):
            return editions  # parts of an edition: the parent puts them together
        return [_deliver(delivery, dong, _in_order(files))
                for dong, files in zip(dongs, editions, strict=True)]
    except LeafletsError as error:
        return _Failure(error)
