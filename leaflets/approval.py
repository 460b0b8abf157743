"""The 결재 attachment: one A4 PDF of a content change, for an approval request.

Title and date, the change table (field in plain Korean, before, after), the
before and after proofs of every changed page with the changes outlined, and
the budget of the new content in the words and 천원 figures of ``leaflets
budget``. The comparison comes from :mod:`leaflets.diff`, the budget from
:mod:`leaflets.budget` through :mod:`leaflets.budgetview`; nothing is
recomputed here. The command line writes the bytes; the web app serves them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from leaflets.budget import Pricer, report_rows
from leaflets.budgetview import budget_page
from leaflets.content import Content
from leaflets.diff import DIFF_DPI, Change, PageDiff, field_changes, page_diffs
from leaflets.errors import OutputError
from leaflets.fetcher import MEMORY_SCHEME
from leaflets.products import PRODUCTS
from leaflets.render import png_bytes

TEMPLATE = "approval.html.j2"
TITLE = "민원24 홍보물 내용 변경 검토"


@dataclass(frozen=True)
class Version:
    """One version of the content file: its bytes, what to call it, and its content."""

    data: bytes
    label: str  # a file name or a git revision, as the user named it
    content: Content

    @property
    def name(self) -> str:
        """The label without the folders of this computer."""
        return Path(self.label).name

    @property
    def short_hash(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:12]


@dataclass(frozen=True)
class Proof:
    """One changed page as the report shows it."""

    title: str  # product and page, in Korean
    regions: int
    before_url: str
    after_url: str


def approval_pdf(old: Version, new: Version, production, renderer, *, date: str,
                 spent: tuple[int, int] | None = None, ordered: int | None = None,
                 pages: list[PageDiff] | None = None) -> bytes:
    """The 결재 PDF comparing ``old`` with ``new``; the budget is that of ``new``.

    ``spent`` and ``ordered`` are this year's orders as :func:`leaflets.budget.
    year_spending` gives them (None without a ledger); ``pages`` the page differences
    if the caller has them already (else they are rendered here)."""
    changes = field_changes(old.data, new.data)
    if pages is None:
        pages = page_diffs(old.content, new.content, renderer)
    pricer = Pricer(production, new.content)
    check = pricer.check()
    remedies = [] if check.within else pricer.remedies(check)
    budget = budget_page(check, remedies, spent, ordered)
    images, proofs = {}, []
    for page in pages:
        stem = f"approval-{page.product}-p{page.page}"
        for side, image in (("before", page.before), ("after", page.after)):
            images[f"{stem}-{side}.png"] = (png_bytes(image, DIFF_DPI), "image/png")
        proofs.append(Proof(f"{PRODUCTS[page.product].title} {page.page}쪽", len(page.regions),
                            f"{MEMORY_SCHEME}:{stem}-before.png",
                            f"{MEMORY_SCHEME}:{stem}-after.png"))
    seed = "\n".join([TITLE, date, old.short_hash, new.short_hash,
                      hashlib.sha256(production.path.read_bytes()).hexdigest()
                      if production.path.exists() else "", repr(spent), repr(ordered)])
    return renderer.render_document(
        TEMPLATE, seed, images=images, title=TITLE, date=date, old=old, new=new,
        changes=_rows(changes), proofs=proofs, budget=budget,
        budget_corner=report_rows(check)[0][0])


def _rows(changes: list[Change]) -> list[tuple[int, str, list[str], list[str]]]:
    """(number, field, before lines, after lines): line breaks kept as lines, never markup."""
    return [(number, change.field, change.before.split("\n"), change.after.split("\n"))
            for number, change in enumerate(changes, start=1)]


def check_report_path(path: Path) -> None:
    """Refuse, before any work, a report path that cannot take a new PDF."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise OutputError(f"--report '{path}': 파일 이름이 .pdf 로 끝나야 합니다 "
                          "(예: 결재자료.pdf)")
    if path.is_dir():
        raise OutputError(f"--report '{path}': 폴더입니다. 만들 PDF 파일의 이름을 적어 주세요 "
                          "(예: 결재자료.pdf)")
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"--report '{path}': 폴더 '{folder}'가 없습니다. 있는 폴더를 "
                          "지정하거나 폴더를 먼저 만들어 주세요")
    if not os.access(folder, os.W_OK | os.X_OK) or (
            path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"--report '{path}': 쓰기 권한이 없습니다. 다른 위치를 지정해 주세요")
