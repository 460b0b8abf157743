"""The files a build makes, as the manifest lists them."""

from __future__ import annotations

import errno
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from leaflets.errors import LeafletsError, OutputError

if TYPE_CHECKING:
    from leaflets.preflight import Report


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
    cell_bleed_mm: float | None = None  # sheets: the page's own bleed around every copy
    note: str | None = None  # sheets: what the file is for, in Korean


class PreflightFailed(LeafletsError):
    """A print-ready file the build made did not pass its own preflight."""

    def __init__(self, reports: list[Report]):
        self.reports = reports
        names = ", ".join(report.name for report in reports)
        super().__init__(f"인쇄용 파일이 사전 검사(preflight)를 통과하지 못했습니다: {names}")


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def write_files(folder, files, out_dir) -> list[Artifact]:
    """Write [(relative path, (Artifact, bytes))] under ``folder``; return the artifacts.
    ``out_dir`` is the output folder the user named, for the error message. New files
    get the usual mode (0o666 less the umask). A full disk raises its OSError as is."""
    artifacts, target = [], folder
    try:
        for relative, (artifact, data) in files:
            target = Path(folder) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            artifacts.append(artifact)
    except OSError as error:
        if error.errno in _NO_SPACE:  # not a wrong --out: the command line says so
            raise OSError(error.errno, error.strerror, str(target)) from None
        raise OutputError(f"출력 폴더 '{out_dir}'에 쓸 수 없습니다: {error.strerror}") from None
    return artifacts


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
