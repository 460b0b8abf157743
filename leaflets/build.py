"""Orchestrates a build: content -> rendered products -> an output folder.

Everything is rendered in memory first; files are written into a staging
folder beside the target and swapped in only when all of them succeeded,
so an error leaves the previous output exactly as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from leaflets import __version__
from leaflets.budget import plan_for_run
from leaflets.content import Content, load_content
from leaflets.errors import LeafletsError, OutputError
from leaflets.impose.pdf import impose
from leaflets.impose.plan import plan_office
from leaflets.preflight import Report, preflight
from leaflets.production import Production, load_production
from leaflets.products import PRODUCTS
from leaflets.project import DEFAULT_PRODUCTION
from leaflets.render import PROOF_DPI, Renderer, rasterize

MANIFEST = "manifest.json"


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
          renderer: Renderer | None = None) -> BuildResult:
    """Validate the data, render and impose every product, replace ``out_dir`` atomically."""
    out_dir = Path(out_dir)
    _check_target(out_dir)
    content = load_content(data_path)
    production = load_production(production_path)
    renderer = renderer or Renderer()
    files = dict(render_files(content, renderer))
    prints = {artifact.product: data for artifact, data in files.values()
              if artifact.kind == "print"}
    files.update(imposed_files(content, production, prints, renderer))
    artifacts = tuple(artifact for artifact, _ in files.values())
    manifest = {
        "generator": f"leaflets {__version__}",
        "data_sha256": content.sha256,
        "artifacts": [manifest_entry(artifact) for artifact in artifacts],
    }
    write_folder(out_dir, files, manifest)
    return BuildResult(out_dir, content.sha256, artifacts)


def write_folder(out_dir: Path, files: dict, manifest: dict):
    """Replace ``out_dir`` with ``files`` ({path: (Artifact, bytes)}) and ``manifest``."""
    _check_target(out_dir)
    payload = {path: data for path, (_, data) in files.items()}
    payload[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    _replace_folder(out_dir, payload)


def render_files(content: Content, renderer: Renderer):
    """Yield (relative path, (Artifact, bytes)) for every file of a build.

    Raises PreflightFailed, after rendering everything, if any print file fails.
    """
    failed = []
    for name, product in PRODUCTS.items():
        screen = renderer.render(content, name, "screen")
        pdf_path = f"{name}.pdf"
        yield pdf_path, (
            Artifact(name, "proof-pdf", pdf_path, _sha256(screen.pdf), screen.pages,
                     screen.trim_mm),
            screen.pdf,
        )
        for number, image in enumerate(rasterize(screen.pdf, PROOF_DPI), start=1):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", dpi=(PROOF_DPI, PROOF_DPI))
            png = buffer.getvalue()
            png_path = f"{name}-p{number}.png"
            yield png_path, (
                Artifact(name, "proof-png", png_path, _sha256(png), 1, screen.trim_mm,
                         page=number, side=product.pages[number - 1], dpi=PROOF_DPI),
                png,
            )
        printed = renderer.render(content, name, "print")
        print_path = f"print/{name}.pdf"
        report = preflight(printed.pdf, print_path, bleed_mm=printed.bleed_mm,
                           url=content.service.url)
        if not report.passed:
            failed.append(report)
        yield print_path, (
            Artifact(name, "print", print_path, _sha256(printed.pdf), printed.pages,
                     printed.trim_mm, bleed_mm=printed.bleed_mm, preflight="passed"),
            printed.pdf,
        )
    if failed:
        raise PreflightFailed(failed)


def imposed_files(content: Content, production: Production, prints: dict[str, bytes],
                  renderer: Renderer, *, product: str | None = None, sheet: str | None = None,
                  method: str | None = None):
    """Yield (path, (Artifact, bytes)) for the press and office sheets of every run.

    ``prints`` holds each product's print-ready PDF; the sheets place its pages.
    """
    for run in production.runs:
        if product is not None and run.product != product:
            continue
        piece = content.trim_mm(run.product)
        title = PRODUCTS[run.product].title
        plans = [("imposed", f"imposed/{run.product}.pdf",
                  plan_for_run(run, production, content, sheet=sheet, method=method)),
                 ("office", f"office/{run.product}-{production.office_sheet.name}.pdf",
                  plan_office(run, production.office_sheet, piece))]
        for kind, path, plan in plans:
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


def _replace_folder(out_dir: Path, payload: dict[str, bytes]):
    """Write ``payload`` into a staging folder, then swap it in for ``out_dir``."""
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
