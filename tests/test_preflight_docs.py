"""The README's preflight section is what a vendor's questions are answered from: it
lists every row of the preflight table (key and Korean label, as the report prints
them) with what it means, and says which file to send."""

from __future__ import annotations

import re

from leaflets.preflight import CHECKS
from leaflets.project import ROOT


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## 인쇄용 파일 사전 검사")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_readme_lists_every_preflight_row_with_its_label_and_meaning():
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?) \| ([^|]+)", _section(), re.MULTILINE)
    assert [(key, label) for key, label, _ in rows] == list(CHECKS.items())
    assert all(len(meaning.strip()) > 20 for _, _, meaning in rows)


def test_the_readme_says_which_file_to_send():
    section = _section()
    assert "**인쇄소에 보낼 파일**" in section
    for name in ("print/poster-a4.pdf", "print/pocket.pdf", "preflight/제품.pdf"):
        assert name in section
