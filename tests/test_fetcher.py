"""The renderer reads the project's own files and nothing else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leaflets.errors import LeafletsError
from leaflets.fetcher import ProjectFetcher, RefusedURL
from leaflets.products import PRODUCTS
from leaflets.project import FONTS, ROOT, TEMPLATES
from leaflets.render import Renderer


@pytest.fixture
def fetcher():
    return ProjectFetcher([FONTS, TEMPLATES])


def test_serves_a_project_font(fetcher):
    response = fetcher.fetch((FONTS / "NanumSquareR.ttf").as_uri())
    assert response.read()[:4] == b"\x00\x01\x00\x00"


@pytest.mark.parametrize("url", [
    "http://www.minwon.go.kr/",
    "https://example.com/logo.png",
    "ftp://example.com/x",
    "data:text/plain,hello",
    "file:///etc/passwd",
    (FONTS / ".." / "minwon24.toml").as_uri(),
    (ROOT / "pyproject.toml").as_uri(),
    "file://evil.example/" + str(FONTS / "NanumSquareR.ttf"),
])
def test_refuses_everything_else(fetcher, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_a_template_reaching_outside_fails_the_render(default_content, tmp_path):
    (tmp_path / "probe.html.j2").write_text(
        '<img src="file:///etc/hostname"><p>{{ content.service.name }}</p>', encoding="utf-8")
    probe = replace(PRODUCTS["pocket"], template="probe.html.j2", pages=("1",))
    with pytest.raises(LeafletsError, match="허용되지 않은"):
        Renderer(templates=tmp_path).render_product(default_content, probe)
