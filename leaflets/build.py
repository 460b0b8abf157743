"""Orchestrates a build: content -> rendered products -> an output folder.

Files are written into a staging folder beside the target as they are made
(so memory does not grow with the number of 동) and the folder is swapped in
only when all of them succeeded: an error leaves the previous output exactly
as it was.

The vendor orders in ``<out>/vendor/`` (``leaflets.vendor``) are never lost by a
swap. :meth:`_Staging.commit` takes the vendor lock (the one ``leaflets package``
and the web app's order button hold while they write an order), then moves
``vendor/`` into the staging folder by one rename (the same folder: O(1), nothing
copied) and swaps the folders, and only then lets go. No order can be written
into the old output after ``vendor/`` left it, and a package that waited for the
lock finds ``vendor/`` in the new output. A build killed after moving ``vendor/``
leaves it in its staging folder ``.<out>.new-<pid>-*``: the next run (a build,
``--media-only``, a 동 build or a package, under the lock) puts it back before
removing that folder (:func:`_remove_stale`), and a staging folder holding a
``vendor/`` is never removed while anything in it could not be put back.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets import __version__
from leaflets.artifacts import Artifact, PreflightFailed, sha256, write_files
from leaflets.budget import plan_for_run
from leaflets.cache import EditionCache, edition_key
from leaflets.clock import build_date
from leaflets.content import Content, load_content
from leaflets.dongs import Dong, load_dongs
from leaflets.editions import Delivered, Delivery, EditionPool, make_common
from leaflets.errors import OutputError
from leaflets.impose.plan import plan_office, sheet_note
from leaflets.media import FOLDER as MEDIA_FOLDER
from leaflets.media import dong_media_files, edition_media, media_files
from leaflets.media.printed import print_media_files
from leaflets.production import Production, load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_DONGS, DEFAULT_PRODUCTION
from leaflets.vendor import LOCK_NAME, LOCK_SUFFIX, locked, sweep

if TYPE_CHECKING:  # WeasyPrint takes a third of a second to import: only when rendering
    from leaflets.render import Renderer

__all__ = ["Artifact", "BuildResult", "PreflightFailed", "build"]

MANIFEST = "manifest.json"
KEPT = ("vendor",)  # vendor packages (leaflets package) live in dist/ too: a build keeps them
VENDOR = KEPT[0]
SWAP_TIMEOUT = 60.0  # seconds a finished build waits for a package to finish writing
STAGES = ("kept", "swapping")  # what a commit's ``at`` is told (tests interrupt there)


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    data_sha256: str
    artifacts: tuple[Artifact, ...]


def build(data_path, out_dir, production_path=DEFAULT_PRODUCTION,
          renderer: Renderer | None = None, *, dongs_path=DEFAULT_DONGS,
          dong_names: tuple[str, ...] = (), all_dongs: bool = False, jobs: int | None = None,
          progress=None, cache_dir=None, _at=None) -> BuildResult:
    """Validate the data, render and impose every product, replace ``out_dir`` atomically.

    With ``dong_names`` or ``all_dongs``, also the 동 editions from ``dongs_path``
    under ``dongs/<동>/`` (``leaflets.editions``), in a process pool of ``jobs``
    workers (default: one per core). ``progress(done, total, name)`` is told of each.
    With ``cache_dir``, an edition whose inputs did not change is read back from
    the cache instead of rendered (``leaflets.cache``); when nothing changed at
    all and ``out_dir`` already holds the same files, nothing is written.
    ``_at(stage)`` is told each of :data:`STAGES` of the swap (tests interrupt there).
    """
    out_dir = Path(out_dir)
    _check_target(out_dir)
    recover(out_dir)  # of a build or package run that was killed
    content = load_content(data_path)
    production = load_production(production_path)
    selected = select_dongs(dongs_path, dong_names, all_dongs)
    media = media_files(content, production.media)  # cheap: made every build, before writing
    # Each 동's 문자 and texts, checked (a 동 name too long for the SMS) before writing.
    texts = {dong.name: dong_media_files(content, dong) for dong, _ in selected}
    cache = EditionCache(cache_dir)
    base = (content.sha256, sha256(Path(production_path).read_bytes()),
            production.output.sha256, build_date())
    gu_key, common_key = edition_key("gu", *base), edition_key("common", *base)
    keys = {dong.name: edition_key("dong", *base, dong.fingerprint) for dong, _ in selected}
    # A 동's media are cached beside its edition, under a key of the same inputs.
    media_keys = {dong.name: edition_key("dong-media", *base, dong.fingerprint)
                  for dong, _ in selected}
    todo = [dong for dong, _ in selected if not cache.has(keys[dong.name])]
    media_todo = [dong for dong, _ in selected if not cache.has(media_keys[dong.name])]
    manifest = {"generator": f"leaflets {__version__}", "data_sha256": content.sha256,
                "production_sha256": base[1]}
    if selected:
        manifest["dongs_sha256"] = selected[0][1]
    if not todo and not media_todo and cache.has(gu_key):
        gu_files = _cached_artifacts(cache, [gu_key])
        editions = _cached_artifacts(cache, _by_dong(keys, media_keys))
        artifacts = None
        if gu_files is not None and editions is not None:  # in the order a build writes
            artifacts = gu_files + tuple(artifact for _, (artifact, _) in media) + editions
        if artifacts is not None and _already_there(out_dir, artifacts, manifest):
            return BuildResult(out_dir, content.sha256, artifacts)
    gu = cache.get(gu_key)
    common = cache.get(common_key, "common") if todo else None
    if gu is None or todo or media_todo:  # imported here, once, before the workers fork
        import leaflets.compose  # noqa: F401
        import leaflets.render  # noqa: F401
    if renderer is not None or gu is None or (todo and common is None) or media_todo:
        from leaflets.render import print_renderer  # a given one too: print follows the job

        renderer = print_renderer(production.output, renderer)
    artifacts = []
    with _Staging(out_dir, _at) as staging:
        screens = {}
        if gu is None:
            gu = list(render_files(content, renderer, rendered=screens,
                                   spots=production.spots))
            prints = {artifact.product: data for _, (artifact, data) in gu
                      if artifact.kind == "print"}
            gu += list(imposed_files(content, production, prints, renderer))
            gu += print_media_files(content, production.media, renderer, production.spots)
            cache.put(gu_key, gu)
        if todo and common is None:
            proofs = {(a.product, a.page): data for _, (a, data) in gu if a.kind == "proof-png"}
            common = make_common(content, production, renderer, screens or None, proofs)
            cache.put(common_key, common, "common")
        # The workers start on the 동 editions while this process writes the 구's files.
        delivery = Delivery(str(staging.folder), str(out_dir),
                            str(cache.folder) if cache.folder else None, keys)
        with EditionPool(content, production, todo, renderer, common, jobs,
                         delivery) as pool:
            artifacts += staging.write_all(gu)
            artifacts += staging.write_all(media)
            del gu
            fresh = pool.editions()  # in the order of ``todo``
            rendering = {dong.name for dong in todo}
            for done, (dong, _) in enumerate(selected, start=1):
                if dong.name in rendering:
                    _, edition = next(fresh)
                    if isinstance(edition, Delivered):  # written and cached by a worker
                        artifacts += edition.artifacts
                        edition = []
                    else:
                        cache.put(keys[dong.name], edition)
                else:
                    edition = cache.get(keys[dong.name])
                    if edition is None:  # the cache entry went bad during the build
                        edition = _render_alone(content, production, dong, renderer, common)
                artifacts += staging.write_all(edition)
                del edition
                own = cache.get(media_keys[dong.name])
                if own is None:
                    own = edition_media(content, production.media, dong, renderer,
                                        production.spots, texts[dong.name])
                    cache.put(media_keys[dong.name], own)
                artifacts += staging.write_all(own)
                if progress:
                    progress(done, len(selected), dong.name)
        artifacts = tuple(artifacts)
        manifest["artifacts"] = [manifest_entry(artifact) for artifact in artifacts]
        if _already_there(out_dir, artifacts, manifest):
            staging.discard()
        else:
            staging.commit(manifest)
    cache.prune()
    return BuildResult(out_dir, content.sha256, artifacts)


def build_media(data_path, out_dir, production_path=DEFAULT_PRODUCTION,
                renderer: Renderer | None = None, *, dongs_path=DEFAULT_DONGS,
                all_dongs: bool = False, _at=None) -> BuildResult:
    """Make only the media (``leaflets build --media-only``): no poster or pocket.

    ``out_dir/media/``, and each 동 edition's ``media/`` for the 동 editions
    ``out_dir`` holds (all 동 of ``dongs_path`` with ``all_dongs``). Every medium
    is made and checked before anything is written; then the output folder is
    swapped in whole: the other files of the previous build (hard links, not
    copies) with the new media and a manifest whose media entries are replaced
    (it notes the media's content). An error leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    _check_target(out_dir)
    content = load_content(data_path)
    production = load_production(production_path)
    files = media_files(content, production.media)
    dongs = [dong for dong, _ in select_dongs(dongs_path, previous_dongs(out_dir, dongs_path),
                                             all_dongs)]
    texts = {dong.name: dong_media_files(content, dong) for dong in dongs}  # before rendering
    from leaflets.render import print_renderer

    renderer = print_renderer(production.output, renderer)
    files += print_media_files(content, production.media, renderer, production.spots)
    for dong in dongs:
        files += edition_media(content, production.media, dong, renderer, production.spots,
                               texts[dong.name])
    artifacts = tuple(artifact for _, (artifact, _) in files)
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts"), list):
        write_folder(out_dir, dict(files), {"generator": f"leaflets {__version__}",
                                            "data_sha256": content.sha256,
                                            "artifacts": [manifest_entry(a) for a in artifacts]})
        return BuildResult(out_dir, content.sha256, artifacts)
    kept = [entry for entry in manifest["artifacts"] if not _in_media(entry)]
    manifest.update(media_data_sha256=content.sha256,
                    artifacts=kept + [manifest_entry(a) for a in artifacts])
    with _Staging(out_dir, _at) as staging:
        _link_tree(out_dir, staging.folder, skip=_is_media_path)
        staging.write_all(files)
        staging.commit(manifest)
    return BuildResult(out_dir, content.sha256, artifacts)


def _is_media_path(relative: str) -> bool:
    """``media/...`` (the 구's) or ``dongs/<동>/media/...`` (a 동 edition's)."""
    parts = relative.split("/")
    return parts[0] == MEDIA_FOLDER or (len(parts) > 2 and parts[0] == "dongs"
                                        and parts[2] == MEDIA_FOLDER)


def _in_media(entry) -> bool:
    return isinstance(entry, dict) and _is_media_path(str(entry.get("path", "")))


def _link_tree(source: Path, target: Path, skip):
    """Hard-link every file of ``source`` into ``target`` (copy where links cannot be
    made), except the manifest, the kept folders and the paths ``skip`` names."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source).as_posix()
        if path.is_dir() or path.is_symlink() or relative == MANIFEST \
                or relative.split("/")[0] in KEPT or skip(relative):
            continue
        destination = target / relative
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, destination)
            except OSError:  # another file system, or links not allowed
                shutil.copy2(path, destination)
        except OSError as error:
            raise OutputError(f"출력 폴더 '{source}'의 '{relative}'를 옮길 수 없습니다: "
                              f"{error.strerror}") from None


def _by_dong(*keys: dict[str, str]) -> list[str]:
    """The cache keys of each 동 in turn: its edition's, then its media's."""
    return [key for name in keys[0] for key in (table[name] for table in keys)]


def _render_alone(content, production, dong, renderer, common):
    """One edition in this process (when its cache entry vanished during the build)."""
    from leaflets.editions import dong_edition
    from leaflets.render import print_renderer

    renderer = print_renderer(production.output, renderer)
    if common is None:
        common = make_common(content, production, renderer)
    return dong_edition(content, production, dong, renderer, common)


def _cached_artifacts(cache, keys):
    """The artifacts of cached editions, read one at a time; None if one is missing."""
    artifacts = []
    for key in keys:
        edition = cache.get(key)
        if edition is None:
            return None
        artifacts += [artifact for _, (artifact, _) in edition]
    return tuple(artifacts)


def _already_there(out_dir: Path, artifacts, manifest: dict) -> bool:
    """True when ``out_dir`` holds exactly these files and this manifest."""
    try:
        on_disk = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = dict(manifest, artifacts=[manifest_entry(a) for a in artifacts])
    if on_disk != json.loads(json.dumps(expected, ensure_ascii=False)):
        return False
    present = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")
               if p.is_file() and p.relative_to(out_dir).parts[0] not in KEPT}
    if present != {a.path for a in artifacts} | {MANIFEST}:
        return False
    return all(sha256((out_dir / a.path).read_bytes()) == a.sha256 for a in artifacts)


def previous_dongs(out_dir, dongs_path) -> tuple[str, ...]:
    """The 동 whose editions the last build left in ``out_dir`` and that the dongs file
    still lists: a plain build makes them again with the new content."""
    try:
        manifest = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
        found = {entry["dong"] for entry in manifest.get("artifacts", ())
                 if isinstance(entry, dict) and isinstance(entry.get("dong"), str)}
    except (OSError, ValueError, AttributeError, TypeError):
        return ()  # no previous build, or not one of ours: nothing to keep
    if not found:
        return ()
    listed = [dong.name for dong in load_dongs(dongs_path).dongs]
    return tuple(name for name in listed if name in found)


def select_dongs(dongs_path, names, all_dongs) -> list[tuple[Dong, str]]:
    """The 동 to build, validated before anything is rendered: [(dong, file sha256)]."""
    if not names and not all_dongs:
        return []
    dongs = load_dongs(dongs_path)
    chosen = dongs.dongs if all_dongs else [dongs.get(name) for name in dict.fromkeys(names)]
    return [(dong, dongs.sha256) for dong in chosen]


def write_folder(out_dir: Path, files: dict, manifest: dict):
    """Replace ``out_dir`` with ``files`` ({path: (Artifact, bytes)}) and ``manifest``."""
    _check_target(out_dir)
    with _Staging(out_dir) as staging:
        staging.write_all(files.items())
        staging.commit(manifest)


def render_files(content: Content, renderer: Renderer, rendered: dict | None = None,
                 spots: tuple[str, ...] = ()):
    """Yield (relative path, (Artifact, bytes)) for every file of the 구 edition.

    ``rendered``, if given, receives each product's screen rendering; ``spots`` are the
    spot colours the job prints (production.toml's [output] spots). Raises
    PreflightFailed, after rendering everything, if any print file fails.
    """
    from leaflets.preflight import preflight_many
    from leaflets.render import PROOF_DPI, proof_pngs

    failed, printed = [], {}
    for name, product in PRODUCTS.items():
        screen = renderer.render(content, name, "screen")
        if rendered is not None:
            rendered[name] = screen
        pdf_path = f"{name}.pdf"
        yield pdf_path, (
            Artifact(name, "proof-pdf", pdf_path, sha256(screen.pdf), screen.pages,
                     screen.trim_mm),
            screen.pdf,
        )
        for number, png in enumerate(proof_pngs(screen.pdf), start=1):
            png_path = f"{name}-p{number}.png"
            yield png_path, (
                Artifact(name, "proof-png", png_path, sha256(png), 1, screen.trim_mm,
                         page=number, side=product.pages[number - 1], dpi=PROOF_DPI),
                png,
            )
        printed[name] = renderer.render(content, name, "print")
    # One preflight pass for all print files (one Ghostscript run).
    reports = preflight_many([(p.pdf, f"print/{name}.pdf", p.bleed_mm)
                              for name, p in printed.items()], url=content.service.url,
                             spots=spots)
    for (name, result), report in zip(printed.items(), reports, strict=True):
        if not report.passed:
            failed.append(report)
        print_path = f"print/{name}.pdf"
        yield print_path, (
            Artifact(name, "print", print_path, sha256(result.pdf), result.pages,
                     result.trim_mm, bleed_mm=result.bleed_mm, preflight="passed"),
            result.pdf,
        )
    if failed:
        raise PreflightFailed(failed)


def imposed_files(content: Content, production: Production, prints: dict[str, bytes],
                  renderer: Renderer, *, product: str | None = None, sheet: str | None = None,
                  method: str | None = None, kinds=("imposed", "office")):
    """Yield (path, (Artifact, bytes)) for the press and office sheets of every run.

    ``prints`` holds each product's print-ready PDF; the sheets place its pages.
    """
    from leaflets.impose.pdf import impose

    for run in production.runs:
        if product is not None and run.product != product:
            continue
        piece = content.trim_mm(run.product)
        title = PRODUCTS[run.product].title
        plans = {
            "imposed": (f"imposed/{run.product}.pdf", lambda run=run: plan_for_run(
                run, production, content, sheet=sheet, method=method)),
            "office": (f"office/{run.product}-{production.office_sheet.name}.pdf",
                       lambda run=run, piece=piece: plan_office(
                           run, production.office_sheet, piece,
                           content.bleed_mm(run.product))),
        }
        for kind in kinds:
            path, make_plan = plans[kind]
            plan = make_plan()
            furniture = renderer.render_sheet(plan, title, content.sha256)
            pdf = impose(plan, prints[run.product], furniture)
            yield path, (
                Artifact(run.product, kind, path, sha256(pdf), len(plan.sides), piece,
                         sheet=plan.sheet.name, sheet_mm=plan.sheet_mm, n_up=plan.n_up,
                         method=plan.method, sheets=plan.sheets, quantity=plan.quantity,
                         used_percent=round(plan.used_percent, 1),
                         cell_bleed_mm=plan.bleed_mm, note=sheet_note(plan)),
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
    if artifact.cell_bleed_mm is not None:
        entry["cell_bleed_mm"] = _number(artifact.cell_bleed_mm)
    return {key: value for key, value in entry.items() if value is not None}


def _number(value: float):
    return int(value) if float(value).is_integer() else value


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


class _Staging:
    """A folder beside ``out_dir`` that files are written into, then swapped in whole.

    Leaving the ``with`` block by an exception, or :meth:`discard`, removes it;
    :meth:`commit` puts it in place of ``out_dir``, carrying ``vendor/`` over.
    ``at(stage)``, if given, is told each of :data:`STAGES` during the commit.
    """

    def __init__(self, out_dir: Path, at=None):
        self.out_dir = Path(out_dir)
        self.parent = self.out_dir.resolve().parent
        self.folder = None
        self.at = at

    def __enter__(self):
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            recover(self.out_dir)
            self.folder = Path(tempfile.mkdtemp(prefix=_prefix(self.out_dir.name, "new"),
                                                dir=self.parent))
        except OSError as error:
            raise OutputError(f"출력 폴더 '{self.out_dir}'를 만들 수 없습니다: "
                              f"{error.strerror}") from None
        return self

    def __exit__(self, kind, *exc):
        if kind is not None:
            self.discard()
        return False

    def write(self, relative: str, data: bytes):
        write_files(self.folder, [(relative, (None, data))], self.out_dir)

    def write_all(self, files) -> list[Artifact]:
        """Write [(path, (Artifact, bytes))]; return the artifacts."""
        return write_files(self.folder, files, self.out_dir)

    def discard(self):
        """Remove the staging folder, unless it holds a kept folder that could not be put
        back (then a later run, once this process has ended, puts it back)."""
        if self.folder is not None:
            if not any(os.path.lexists(self.folder / name) for name in KEPT):
                shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def commit(self, manifest: dict | None = None):
        """Write ``manifest`` (if any); under the vendor lock, move ``vendor/`` over and
        swap in; remove the old output."""
        if manifest is not None:
            self.write(MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=2)
                                  + "\n").encode())
        out_dir, staging = self.out_dir, self.folder
        old = None
        try:
            os.chmod(staging, 0o755)
            with locked(out_dir / VENDOR, SWAP_TIMEOUT):
                try:
                    for name in KEPT:  # one rename each: the same folder, lock and orders
                        if os.path.lexists(out_dir / name) \
                                and not os.path.lexists(staging / name):
                            os.rename(out_dir / name, staging / name)
                    _stage(self.at, "kept")
                    if out_dir.exists():
                        old = Path(tempfile.mkdtemp(prefix=_prefix(out_dir.name, "old"),
                                                    dir=self.parent))
                        os.rename(out_dir, old / "previous")
                    _stage(self.at, "swapping")
                    os.rename(staging, out_dir)
                except BaseException:
                    with contextlib.suppress(OSError):
                        if old is not None and (old / "previous").exists() \
                                and not out_dir.exists():
                            os.rename(old / "previous", out_dir)
                    for name in KEPT:
                        _put_back(staging / name, out_dir)
                    raise
        except OSError as error:
            self.discard()
            raise OutputError(f"출력 폴더 '{out_dir}'를 바꿀 수 없습니다: "
                              f"{error.strerror}") from None
        except BaseException:
            self.discard()
            raise
        self.folder = None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _stage(at, stage: str):
    if at is not None:
        at(stage)


def recover(out_dir: Path):
    """Under the vendor lock: what killed builds left (:func:`restore_output`), then what
    killed packages left in ``vendor/`` (:func:`leaflets.vendor.sweep`)."""
    out_dir = Path(out_dir)
    if not _left_over(out_dir):  # nothing to do: take no lock, create no lock file
        return
    with locked(out_dir / VENDOR, SWAP_TIMEOUT):
        restore_output(out_dir)
        sweep(out_dir / VENDOR)


def _left_over(out_dir: Path) -> bool:
    """Whether ``out_dir`` has a ``vendor/`` or a staging folder beside it (what
    :func:`recover` looks at). A build or package that starts one afterwards takes the
    lock itself, so looking without it is safe."""
    if os.path.lexists(out_dir / VENDOR):
        return True
    prefix = f".{out_dir.name}."
    try:
        return any(entry.name.startswith(prefix) and not entry.name.endswith(LOCK_SUFFIX)
                   for entry in out_dir.resolve().parent.iterdir())
    except OSError:
        return False


def restore_output(out_dir: Path):
    """Put back the output and the orders of builds that were killed while swapping,
    and remove their staging folders. Call with the vendor lock held."""
    out_dir = Path(out_dir)
    _remove_stale(out_dir.resolve().parent, out_dir.name)


def _prefix(name: str, kind: str) -> str:
    """``.dist.new-<pid>-``: the pid tells a later build whether the folder's maker is
    still running."""
    return f".{name}.{kind}-{os.getpid()}-"


def _remove_stale(parent: Path, name: str):
    """Remove the staging folders beside ``parent/name`` left by a build that was killed
    (its process is gone); never one of a build still running. The previous output and
    the ``vendor/`` they hold are put back first. Call with the vendor lock held."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(new|old)-(\d+)-\w+")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    found = [(match.group(1) != "old", entry.name, entry) for entry in entries
             if (match := pattern.fullmatch(entry.name)) and not _running(int(match.group(2)))]
    for _, _, entry in sorted(found):  # ``old`` first: the output back before its orders
        if not entry.is_dir() or entry.is_symlink():
            continue
        try:  # killed between its two renames: the previous output is still in there
            if (entry / "previous").is_dir() and not (parent / name).exists():
                os.rename(entry / "previous", parent / name)
        except OSError:
            continue
        kept = [folder / kept for folder in (entry, entry / "previous") for kept in KEPT]
        if all([_put_back(folder, parent / name) for folder in kept]):
            shutil.rmtree(entry, ignore_errors=True)


def _put_back(kept: Path, out_dir: Path) -> bool:
    """Move a kept folder (``vendor/``) that a killed or failed swap left in ``kept``
    back into ``out_dir``; merged name by name if ``out_dir`` has one again (an order
    written since). True when nothing of it is left to keep."""
    if not os.path.lexists(kept):
        return True
    target = out_dir / kept.name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.path.lexists(target):
            os.rename(kept, target)
            return True
        if kept.is_symlink() or not kept.is_dir() or target.is_symlink() \
                or not target.is_dir():
            return False
        for item in sorted(kept.iterdir()):
            if item.name == LOCK_NAME:  # an earlier version's lock file: nothing to keep
                item.unlink()
            elif not os.path.lexists(target / item.name):
                os.rename(item, target / item.name)
        os.rmdir(kept)  # only if empty: a name taken meanwhile in both keeps it all
    except OSError:
        return False
    return True


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process; a pid out of range
        return True
    return True


def _replace_folder(out_dir: Path, payload: dict[str, bytes]):
    """Replace ``out_dir`` with ``payload`` ({relative path: bytes}); ``vendor/`` stays."""
    with _Staging(out_dir) as staging:
        for relative, data in payload.items():
            staging.write(relative, data)
        staging.commit()
