"""URL -> QR symbol as inline SVG (vector, coloured by CSS ``color``).

The caller passes the module colour as a literal CSS value (the theme's
K-only ink for print): WeasyPrint's SVG renderer does not resolve CSS
variables, and an unresolved colour silently becomes RGB black. No raster
image is ever produced.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import qrcode
import qrcode.constants
from markupsafe import Markup

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
MIN_MODULE_MM = 0.4  # smallest module a phone reads at hand distance
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


class QRTooDenseError(ValueError):
    """The URL needs more modules than fit at the printed width."""


@dataclass(frozen=True)
class QRSymbol:
    """A QR symbol sized for print."""

    svg: Markup
    modules: int  # per side, quiet zone included
    width_mm: float

    @property
    def module_mm(self) -> float:
        """Printed size of one module."""
        return self.width_mm / self.modules


@functools.lru_cache(maxsize=32)  # every render of a build asks for the same few symbols
def make_qr(url: str, width_mm: float, colour: str) -> QRSymbol:
    """Encode ``url`` as a QR symbol ``width_mm`` wide (quiet zone included) in ``colour``."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    if width_mm / size < MIN_MODULE_MM:
        raise QRTooDenseError(
            f"QR 모듈 {width_mm / size:.2f} mm < {MIN_MODULE_MM} mm: 주소가 너무 깁니다"
        )
    # One subpath per horizontal run of dark modules: no seams between
    # neighbouring squares when a RIP or viewer anti-aliases edges.
    path = "".join(
        f"M{start} {y}h{length}v1h-{length}z"
        for y, row in enumerate(matrix)
        for start, length in _runs(row)
    )
    svg = (
        f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" width="{width_mm}mm" '
        f'height="{width_mm}mm" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
        f'style="color: {colour}"><path fill="currentColor" d="{path}"/></svg>'
    )
    return QRSymbol(Markup(svg), size, width_mm)


def _runs(row):
    """(start, length) of each run of dark modules in a row."""
    start = None
    for x, dark in enumerate([*row, False]):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            yield start, x - start
            start = None
