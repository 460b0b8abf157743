"""Orchestrates a build: content -> rendered products -> an output folder.

Everything is rendered in memory first; files are written into a staging
folder beside the target and swapped in only when all of them succeeded,
so an error leaves the previous output exactly as it was.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets import __version__
from leaflets.budget import plan_for_run
from leaflets.cache import EditionCache, edition_key
from leaflets.clock import build_date
from leaflets.content import Content, load_content
from leaflets.dongs import Dong, load_dongs
from leaflets.errors import LeafletsError, OutputError
from leaflets.impose.pdf import impose
from leaflets.impose.plan import plan_office
from leaflets.production import Production, load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DONGS, DEFAULT_PRODUCTION

if TYPE_CHECKING:  # WeasyPrint takes a third of a second to import: only when rendering
    from leaflets.preflight import Report
    from leaflets.render import Renderer

MANIFEST = "manifest.json"
KEPT = ("vendor",)  # vendor packages (leaflets package) live in dist/ too: a build keeps them


@dataclass(frozen=True)
class Artifact:
    """One file of a build, as listed in ``manifest.json``."""

    product: str
    kind: str
    path: str  # relative to the output folder
    sha256: str
    pages: int
    trim_mm: tuple[float, float]
    page: int | None = None
    side: str | None = None
    dpi: int | None = None
    bleed_mm: float | None = None
    preflight: str | None = None  # "passed" for print files
    sheet: str | None = None  # imposed and office sheets
    sheet_mm: tuple[float, float] | None = None
    n_up: int | None = None
    method: str | None = None
    sheets: int | None = None
    quantity: int | None = None
    used_percent: float | None = None
    dong: str | None = None  # 동 editions


class PreflightFailed(LeafletsError):
    """A print-ready file the build made did not pass its own preflight."""

    def __init__(self, reports: list[Report]):
        self.reports = reports
        names = ", ".join(report.name for report in reports)
        super().__init__(f"인쇄용 파일이 사전 검사(preflight)를 통과하지 못했습니다: {names}")


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    data_sha256: str
    artifacts: tuple[Artifact, ...]


def build(data_path, out_dir, production_path=DEFAULT_PRODUCTION,
          renderer: Renderer | None = None, *, dongs_path=DEFAULT_DONGS,
          dong_names: tuple[str, ...] = (), all_dongs: bool = False, jobs: int | None = None,
          progress=None, cache_dir=None) -> BuildResult:
    """Validate the data, render and impose every product, replace ``out_dir`` atomically.

    With ``dong_names`` or ``all_dongs``, also the 동 editions from ``dongs_path``
    under ``dongs/<동>/``, rendered in a process pool of ``jobs`` workers
    (default: one per core). ``progress(done, total, name)`` is told of each.
    With ``cache_dir``, an edition whose inputs did not change is read back from
    the cache instead of rendered (``leaflets.cache``); when nothing changed at
    all and ``out_dir`` already holds the same files, nothing is written.
    """
    out_dir = Path(out_dir)
    _check_target(out_dir)
    content = load_content(data_path)
    production = load_production(production_path)
    selected = select_dongs(dongs_path, dong_names, all_dongs)
    cache = EditionCache(cache_dir)
    base = (content.sha256, _sha256(Path(production_path).read_bytes()), build_date())
    gu_key = edition_key("gu", *base)
    gu = cache.get(gu_key)
    keys = {dong.name: edition_key("dong", *base, dong.fingerprint)
            for dong, _ in selected}
    ready = {name: cache.get(key) for name, key in keys.items()}
    todo = [(dong, sha) for dong, sha in selected if ready[dong.name] is None]
    if renderer is None and (gu is None or todo):
        from leaflets.render import Renderer

        renderer = Renderer()
    with EditionPool(content, production, todo, renderer, jobs) as editions:
        if gu is None:
            gu = list(render_files(content, renderer))
            prints = {artifact.product: data for _, (artifact, data) in gu
                      if artifact.kind == "print"}
            gu += list(imposed_files(content, production, prints, renderer))
            cache.put(gu_key, gu)
        for dong, edition in editions.editions(progress):
            ready[dong.name] = edition
            cache.put(keys[dong.name], edition)
    files = dict(gu)
    for dong, _ in selected:
        files.update(ready[dong.name])
    artifacts = tuple(artifact for artifact, _ in files.values())
    manifest = {
        "generator": f"leaflets {__version__}",
        "data_sha256": content.sha256,
        "artifacts": [manifest_entry(artifact) for artifact in artifacts],
    }
    if selected:
        manifest["dongs_sha256"] = selected[0][1]
    if not _already_there(out_dir, files, manifest):
        write_folder(out_dir, files, manifest)
    return BuildResult(out_dir, content.sha256, artifacts)


def _already_there(out_dir: Path, files: dict, manifest: dict) -> bool:
    """True when ``out_dir`` holds exactly these files and this manifest."""
    try:
        on_disk = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if on_disk != json.loads(json.dumps(manifest, ensure_ascii=False)):
        return False
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")
               if p.is_file() and p.relative_to(out_dir).parts[0] not in KEPT}
    if present != set(files) | {MANIFEST}:
        return False
    return all(_sha256((out_dir / path).read_bytes()) == artifact.sha256
               for path, (artifact, _) in files.items())


def select_dongs(dongs_path, names, all_dongs) -> list[tuple[Dong, str]]:
    """The 동 to build, validated before anything is rendered: [(dong, file sha256)]."""
    if not names and not all_dongs:
        return []
    dongs = load_dongs(dongs_path)
    chosen = dongs.dongs if all_dongs else [dongs.get(name) for name in dict.fromkeys(names)]
    return [(dong, dongs.sha256) for dong in chosen]


def dong_edition(content: Content, production: Production, dong: Dong,
                 renderer: Renderer) -> list:
    """Every file of one 동 edition: [(path, (Artifact, bytes))] under ``dongs/<동>/``."""
    prefix = f"dongs/{dong.slug}/"
    files = dict(render_files(content, renderer, dong=dong))
    prints = {a.product: data for a, data in files.values() if a.kind == "print"}
    files.update(imposed_files(content, production, prints, renderer, kinds=("office",),
                               dong=dong))
    return [(prefix + path, (replace(artifact, path=prefix + path, dong=dong.name), data))
            for path, (artifact, data) in files.items()]


class EditionPool:
    """Renders 동 editions in worker processes (one per core) while the caller goes on.

    Entering starts the work; :meth:`files` yields each edition's files in
    order as they finish. One edition, or ``jobs=1``, renders in-process.
    """

    def __init__(self, content, production, selected, renderer, jobs=None):
        self.content, self.production, self.renderer = content, production, renderer
        self.selected = selected
        self.workers = min(jobs or os.cpu_count() or 1, len(selected))
        self.pool = None
        self.futures = []

    def __enter__(self):
        if self.workers > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context)
            self.futures = [self.pool.submit(_edition_in_worker, self.content, self.production,
                                             dong) for dong, _ in self.selected]
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            for future in self.futures:
                future.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)
        return False

    def editions(self, progress=None):
        """Yield (dong, [(path, (Artifact, bytes))]) for every edition, in order."""
        total = len(self.selected)
        for done, (dong, _) in enumerate(self.selected, start=1):
            if self.pool is None:
                edition = dong_edition(self.content, self.production, dong, self.renderer)
            else:
                edition = self.futures[done - 1].result()
                if isinstance(edition, _Failure):
                    edition.throw()
            yield dong, edition
            if progress:
                progress(done, total, dong.name)


@dataclass(frozen=True)
class _Failure:
    """An input error in a worker, carried back as plain data (our errors do not pickle)."""

    message: str
    reports: tuple = ()

    def throw(self):
        if self.reports:
            raise PreflightFailed(list(self.reports))
        raise LeafletsError(self.message)


_worker_renderer: Renderer | None = None


def _edition_in_worker(content, production, dong):
    global _worker_renderer
    if _worker_renderer is None:  # fonts loaded once per worker
        from leaflets.render import Renderer

        _worker_renderer = Renderer()
        # Layout makes many short-lived objects and few cycles: collect less often
        # (about 10 % faster per edition, measured by scripts/bench).
        gc.freeze()
        gc.set_threshold(100_000, 50, 1000)
    try:
        return dong_edition(content, production, dong, _worker_renderer)
    except PreflightFailed as failure:
        return _Failure(str(failure), tuple(failure.reports))
    except LeafletsError as error:
        return _Failure(str(error))


def write_folder(out_dir: Path, files: dict, manifest: dict):
    """Replace ``out_dir`` with ``files`` ({path: (Artifact, bytes)}) and ``manifest``."""
    _check_target(out_dir)
    payload = {path: data for path, (_, data) in files.items()}
    payload[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    _replace_folder(out_dir, payload, keep=KEPT)


def render_files(content: Content, renderer: Renderer, dong: Dong | None = None):
    """Yield (relative path, (Artifact, bytes)) for every file of a build (or a 동 edition).

    Raises PreflightFailed, after rendering everything, if any print file fails.
    """
    from leaflets.preflight import preflight_many
    from leaflets.render import PROOF_DPI, rasterize

    failed, printed = [], {}
    for name, product in PRODUCTS.items():
        screen = renderer.render(content, name, "screen", dong)
        pdf_path = f"{name}.pdf"
        yield pdf_path, (
            Artifact(name, "proof-pdf", pdf_path, _sha256(screen.pdf), screen.pages,
                     screen.trim_mm),
            screen.pdf,
        )
        for number, image in enumerate(rasterize(screen.pdf, PROOF_DPI), start=1):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", dpi=(PROOF_DPI, PROOF_DPI), compress_level=3)
            png = buffer.getvalue()
            png_path = f"{name}-p{number}.png"
            yield png_path, (
                Artifact(name, "proof-png", png_path, _sha256(png), 1, screen.trim_mm,
                         page=number, side=product.pages[number - 1], dpi=PROOF_DPI),
                png,
            )
        printed[name] = renderer.render(content, name, "print", dong)
    # One preflight pass for all print files (one Ghostscript run).
    where = f"{dong.slug}/" if dong else ""
    reports = preflight_many([(p.pdf, f"{where}print/{name}.pdf", p.bleed_mm)
                              for name, p in printed.items()], url=content.service.url)
    for (name, result), report in zip(printed.items(), reports, strict=True):
        if not report.passed:
            failed.append(report)
        print_path = f"print/{name}.pdf"
        yield print_path, (
            Artifact(name, "print", print_path, _sha256(result.pdf), result.pages,
                     result.trim_mm, bleed_mm=result.bleed_mm, preflight="passed"),
            result.pdf,
        )
    if failed:
        raise PreflightFailed(failed)


def imposed_files(content: Content, production: Production, prints: dict[str, bytes],
                  renderer: Renderer, *, product: str | None = None, sheet: str | None = None,
                  method: str | None = None, kinds=("imposed", "office"),
                  dong: Dong | None = None):
    """Yield (path, (Artifact, bytes)) for the press and office sheets of every run.

    ``prints`` holds each product's print-ready PDF; the sheets place its pages.
    """
    for run in production.runs:
        if product is not None and run.product != product:
            continue
        piece = content.trim_mm(run.product)
        title = PRODUCTS[run.product].title
        plans = {
            "imposed": (f"imposed/{run.product}.pdf", lambda run=run: plan_for_run(
                run, production, content, sheet=sheet, method=method)),
            "office": (f"office/{run.product}-{production.office_sheet.name}.pdf",
                       lambda run=run, piece=piece: plan_office(run, production.office_sheet,
                                                               piece)),
        }
        if dong is not None:
            title = f"{title} · {dong.name}"
        for kind in kinds:
            path, make_plan = plans[kind]
            plan = make_plan()
            furniture = renderer.render_sheet(plan, title, content.sha256)
            pdf = impose(plan, prints[run.product], furniture)
            yield path, (
                Artifact(run.product, kind, path, _sha256(pdf), len(plan.sides), piece,
                         sheet=plan.sheet.name, sheet_mm=plan.sheet_mm, n_up=plan.n_up,
                         method=plan.method, sheets=plan.sheets, quantity=plan.quantity,
                         used_percent=round(plan.used_percent, 1)),
                pdf,
            )


def manifest_entry(artifact: Artifact) -> dict:
    """The manifest.json form of ``artifact``."""
    entry = asdict(artifact)
    entry["trim_mm"] = [_number(v) for v in artifact.trim_mm]
    if artifact.bleed_mm is not None:
        entry["bleed_mm"] = _number(artifact.bleed_mm)
    if artifact.sheet_mm is not None:
        entry["sheet_mm"] = [_number(v) for v in artifact.sheet_mm]
    return {key: value for key, value in entry.items() if value is not None}


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_target(out_dir: Path):
    """Refuse to replace anything that is not a previous build output."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(
            f"출력 위치 '{out_dir}'는 폴더가 아니라 파일입니다. 다른 --out 을 지정해 주세요"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise OutputError(
            f"출력 폴더 '{out_dir}'에 다른 파일이 있습니다 ({MANIFEST} 없음). "
            "leaflets가 만든 폴더만 새로 덮어씁니다: 빈 폴더나 새 폴더를 지정해 주세요"
        )


def _replace_folder(out_dir: Path, payload: dict[str, bytes], keep=()):
    """Write ``payload`` into a staging folder, then swap it in for ``out_dir``.

    Subfolders named in ``keep`` are copied over from the old folder first.
    """
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    except OSError as error:
        raise OutputError(f"출력 폴더 '{out_dir}'를 만들 수 없습니다: {error.strerror}") from None
    try:
        for relative, data in payload.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for name in keep:
            if (out_dir / name).is_dir() and not (staging / name).exists():
                shutil.copytree(out_dir / name, staging / name, symlinks=True)
        os.chmod(staging, 0o755)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"출력 폴더 '{out_dir}'에 쓸 수 없습니다: {error.strerror}") from None
    old = None
    try:
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=parent))
            os.rename(out_dir, old / "previous")
        os.rename(staging, out_dir)
    except OSError as error:
        if old is not None and (old / "previous").exists() and not out_dir.exists():
            os.rename(old / "previous", out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"출력 폴더 '{out_dir}'를 바꿀 수 없습니다: {error.strerror}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
