"""The 결재 attachment: outlined proofs and the one-PDF report of ``leaflets diff``."""

from __future__ import annotations

import pytest
from PIL import ImageChops

from leaflets.diff import DIFF_DPI, OUTLINE, page_diffs
from leaflets.render import rasterize
from tests.conftest import content_with, set_at


@pytest.fixture(scope="module")
def fee_change(renderer, default_content):
    """The default content and one with 주민등록 등초본's counter fee 400 → 500원."""
    new = content_with(set_at(["fees", 0, "counter"], 500))
    return default_content, new, page_diffs(default_content, new, renderer)


def _red(image):
    """A mask of the pixels painted in the outline colour."""
    return ImageChops.difference(image, _solid(image, OUTLINE)).convert("L").point(
        lambda v: 255 if v < 24 else 0)


def _solid(image, colour):
    from PIL import Image

    return Image.new("RGB", image.size, colour)


def test_the_outline_goes_around_the_changed_figure_not_over_it(fee_change, renderer):
    old, new, diffs = fee_change
    assert [(d.product, d.page) for d in diffs] == [("poster-a4", 1), ("pocket", 2)]
    for diff in diffs:
        before = list(rasterize(renderer.render(old, diff.product).pdf, DIFF_DPI))[diff.page - 1]
        after = list(rasterize(renderer.render(new, diff.product).pdf, DIFF_DPI))[diff.page - 1]
        before, after = before.convert("RGB"), after.convert("RGB")
        changed = ImageChops.difference(before, after).convert("L").point(
            lambda v: 255 if v else 0)
        (region,) = diff.regions
        left, top, right, bottom = changed.getbbox()
        for shown, render in ((diff.after, after), (diff.before, before)):
            # Every pixel that differs between the two renders is shown as rendered.
            touched = ImageChops.difference(shown, render).convert("L").point(
                lambda v: 255 if v else 0)
            assert ImageChops.multiply(touched, changed).getbbox() is None
            # ... and the outline is there, on all four sides, clear of the change.
            red = _red(shown)
            frame = red.getbbox()
            assert frame is not None and red.crop((left, top, right, bottom)).getbbox() is None
            assert frame[0] < left and frame[1] < top and frame[2] > right and frame[3] > bottom
            assert frame[2] - frame[0] < 30 * DIFF_DPI / 25.4  # around a word, not the page
            # The neighbouring "00원" is not crossed either: no red on the render's ink.
            ink = render.convert("L").point(lambda v: 255 if v < 160 else 0)
            assert ImageChops.multiply(red, ink).getbbox() is None
            for side in ((frame[0], top, left, bottom), (left, frame[1], right, top),
                         (right, top, frame[2], bottom), (left, bottom, right, frame[3])):
                assert red.crop(side).getbbox() is not None, side
