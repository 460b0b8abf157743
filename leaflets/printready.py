"""Print-ready furniture: bleed, crop marks, registration targets and slug.

The geometry is pure (millimetres from the trim's top-left corner); the
renderer places it outside the BleedBox of each page, and :func:`finisher`
writes the page boxes a vendor's preflight reads.
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import dataclass

import pydyf
from markupsafe import Markup

from leaflets.production import OutputCondition, builtin_output

MM_TO_PT = 72 / 25.4
PDF_VARIANT = "pdf/x-4"
MARK_GAP_MM = 1.0  # between the bleed edge and the start of a crop mark
MARK_LENGTH_MM = 6.0
MARK_STROKE_MM = 0.1
TARGET_RADIUS_MM = 2.2
SLUG_ZONE_MM = 12.0  # beyond the bleed: room for marks and the slug line


@dataclass(frozen=True)
class PrintSetup:
    """Trim and bleed of one product, and the media around them."""

    trim_mm: tuple[float, float]
    bleed_mm: float

    @property
    def margin_mm(self) -> float:
        """From the trim edge to the media edge, on every side."""
        return self.bleed_mm + SLUG_ZONE_MM

    @property
    def mark_start_mm(self) -> float:
        return self.bleed_mm + MARK_GAP_MM

    def crop_marks(self) -> list[tuple[float, float, float, float]]:
        """Eight line segments (x1, y1, x2, y2), two per corner, on the trim lines."""
        width, height = self.trim_mm
        start, end = self.mark_start_mm, self.mark_start_mm + MARK_LENGTH_MM
        lines = []
        for x, sign_x in ((0, -1), (width, 1)):
            for y, sign_y in ((0, -1), (height, 1)):
                lines.append((x + sign_x * start, y, x + sign_x * end, y))
                lines.append((x, y + sign_y * start, x, y + sign_y * end))
        return lines

    def targets(self) -> list[tuple[float, float]]:
        """Centres of the registration targets: left, right and top middle.

        The bottom edge is left to the slug line.
        """
        width, height = self.trim_mm
        distance = self.mark_start_mm + TARGET_RADIUS_MM + 1.0
        return [(-distance, height / 2), (width + distance, height / 2), (width / 2, -distance)]

    def slug_top_mm(self) -> float:
        """Top of the slug line, below the bottom bleed and clear of the marks' start."""
        return self.trim_mm[1] + self.mark_start_mm + 1.0

    def marks_svg(self, colour: str) -> Markup:
        """Crop marks and registration targets as SVG in ``colour`` (a literal CSS value)."""
        margin = self.margin_mm
        width, height = (v + 2 * margin for v in self.trim_mm)
        return marks_svg((-margin, -margin, width, height), self.crop_marks(), self.targets(),
                         TARGET_RADIUS_MM, colour)


def marks_svg(view, segments, targets, radius, colour) -> Markup:
    """An SVG of line segments and registration targets, in millimetres, y down.

    ``view`` is (x, y, width, height) of the area the SVG covers.
    """
    x0, y0, width, height = view
    stroke = f'stroke="currentColor" stroke-width="{MARK_STROKE_MM}" fill="none"'
    parts = [f'<line x1="{a:.3f}" y1="{b:.3f}" x2="{c:.3f}" y2="{d:.3f}" {stroke}/>'
             for (a, b), (c, d) in (((s[0], s[1]), (s[2], s[3])) if len(s) == 4 else s
                                    for s in segments)]
    r = radius
    for x, y in targets:
        parts.append(f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{r}" {stroke}/>')
        parts.append(f'<circle cx="{x:.3f}" cy="{y:.3f}" r="{r / 2}" {stroke}/>')
        parts.append(f'<line x1="{x - r * 1.5:.3f}" y1="{y:.3f}" x2="{x + r * 1.5:.3f}" '
                     f'y2="{y:.3f}" {stroke}/>')
        parts.append(f'<line x1="{x:.3f}" y1="{y - r * 1.5:.3f}" x2="{x:.3f}" '
                     f'y2="{y + r * 1.5:.3f}" {stroke}/>')
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
        f'viewBox="{x0} {y0} {width} {height}" style="color: {colour}">'
        f'{"".join(parts)}</svg>'
    )


def slug_text(product: str, side: str, setup: PrintSetup, date: str, data_sha256: str,
              edition: str | None = None) -> str:
    """The slug line: what a press operator needs to identify the sheet (and 동 edition)."""
    width, height = (f"{v:g}" for v in setup.trim_mm)
    who = f" · {edition}" if edition else ""
    return (f"{product} {side}{who} · 재단 {width}×{height} mm · 도련 {setup.bleed_mm:g} mm · "
            f"{date} · 내용 {data_sha256[:8]}")


def finisher(bleed_mm: float | None, output_intent: bool = True,
             output: OutputCondition | None = None):
    """A WeasyPrint finisher for print files.

    - draws the 400 % marks in the registration colour and makes K100 overprint
      (:func:`separate_marks_and_overprint`);
    - sets each page's BleedBox to trim + ``bleed_mm`` (WeasyPrint puts it at
      most 10 pt outside the TrimBox; the media here is wider, it holds marks);
    - adds the PDF/X OutputIntent of ``output`` (production.toml's [output],
      default the built-in FOGRA39) with its CMYK profile. WeasyPrint
      can do this from an ``@color-profile`` rule, but it re-compresses the
      250 KB profile at zlib level 9 for every file (about 0.2 s each); the
      compressed profile is made once per process here instead.
    """

    condition = output or builtin_output()

    def finish(document, pdf):
        separate_marks_and_overprint(pdf)
        if bleed_mm is not None:
            bleed = bleed_mm * MM_TO_PT
            for obj in pdf.objects:
                if isinstance(obj, pydyf.Dictionary) and "TrimBox" in obj:
                    left, top, right, bottom = obj["TrimBox"]
                    obj["BleedBox"] = pydyf.Array([left - bleed, top - bleed,
                                                   right + bleed, bottom + bleed])
        if output_intent:
            profile = pydyf.Stream([_compressed_profile(condition.data)], pydyf.Dictionary(
                {"N": 4, "Filter": "/FlateDecode"}))
            pdf.add_object(profile)
            intent = pydyf.Dictionary({
                "Type": "/OutputIntent",
                "S": "/GTS_PDFX",
                "OutputConditionIdentifier": pydyf.String(condition.identifier),
                "OutputCondition": pydyf.String(condition.description),
                "Info": pydyf.String(condition.description),
                "DestOutputProfile": profile.reference,
            })
            if condition.registry:
                intent["RegistryName"] = pydyf.String(condition.registry)
            pdf.catalog["OutputIntents"] = pydyf.Array([intent])
        pdf.info["GTS_PDFXVersion"] = pydyf.String("PDF/X-4")
        stamp_creator(pdf)

    return finish


def stamp_creator(pdf) -> None:
    """Name the project as the creator, in the Info dictionary and in the XMP
    (xmp:CreatorTool) alike: a preflight knows its own files by it (and asks them
    for their QR code)."""
    from leaflets import __version__

    tool = f"leaflets {__version__}"
    pdf.info["Creator"] = pydyf.String(tool)
    reference = pdf.catalog.get("Metadata")
    if reference is None:
        return
    stream = pdf.objects[int(reference.split()[0])]
    described = (f'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
                 f"<xmp:CreatorTool>{tool}</xmp:CreatorTool></rdf:Description></rdf:RDF>")
    stream.stream = [part.replace(b"</rdf:RDF>", described.encode(), 1)
                     if isinstance(part, bytes) else part for part in stream.stream]


# Registration colour and overprint, applied to WeasyPrint's content streams.
#
# The templates draw marks in device-cmyk(1 1 1 1) and K-only ink in
# device-cmyk(0 0 0 1); WeasyPrint writes every colour change as one
# "/DeviceCMYK cs|CS" item followed by one "c m y k scn|SCN" item. The pass below
# rewrites the 400 % colour as the registration colour and, after each colour
# change, selects an ExtGState so that exactly the K100 fills and strokes
# overprint and nothing else does (white in particular). q/Q save and restore
# the overprint state with the colour, so the pass keeps a stack alongside.
REGISTRATION_SPACE = "LeafletsAll"  # the colour-space resource name of /All
_OVERPRINT_STATES = {  # (fill overprints, stroke overprints) -> ExtGState name
    (False, False): "LeafletsOP00", (True, False): "LeafletsOP10",
    (False, True): "LeafletsOP01", (True, True): "LeafletsOP11",
}
_CMYK_SET = re.compile(rb"^([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9.]+) (scn|SCN)$")


def registration_colour() -> pydyf.Array:
    """The registration colour space ``[/Separation /All /DeviceCMYK fn]``.

    Tint 1 is 100 % on every plate (spot plates included) while a preflight sees
    one object of one colourant, not a 400 % CMYK fill. Add it to a page's
    /ColorSpace resources and draw with ``/<name> CS 1 SCN`` (see
    :func:`registration_ops`); the sheet furniture can reuse both.
    """
    return pydyf.Array(["/Separation", "/All", "/DeviceCMYK", pydyf.Dictionary({
        "FunctionType": 2, "Domain": pydyf.Array([0, 1]), "N": 1,
        "C0": pydyf.Array([0, 0, 0, 0]), "C1": pydyf.Array([1, 1, 1, 1]),
    })])


def registration_ops(stroke: bool, name: str = REGISTRATION_SPACE) -> bytes:
    """The content-stream operators selecting the registration colour at tint 1."""
    return f"/{name} CS 1 SCN".encode() if stroke else f"/{name} cs 1 scn".encode()


def overprint_states() -> dict[str, pydyf.Dictionary]:
    """ExtGStates by name: each combination of fill and stroke overprint, with OPM 1."""
    return {name: pydyf.Dictionary({"OP": "true" if stroke else "false",
                                    "op": "true" if fill else "false", "OPM": 1})
            for (fill, stroke), name in _OVERPRINT_STATES.items()}


def separate_marks_and_overprint(pdf) -> None:
    """Rewrite every content stream of ``pdf`` (a pydyf PDF not yet written): 400 %
    marks in the registration colour, K100 fills and strokes overprinting."""
    by_reference = {obj.reference: obj for obj in pdf.objects
                    if isinstance(obj, pydyf.Dictionary)}
    for obj in list(pdf.objects):
        resources = getattr(obj, "_resources", None)  # WeasyPrint's content streams
        if not isinstance(obj, pydyf.Stream) or resources is None:
            continue
        items, used_registration, used_overprint = _rewrite(obj.stream)
        if not (used_registration or used_overprint):
            continue
        obj.stream = items
        if used_overprint:
            resources["ExtGState"].update(overprint_states())
        if used_registration:
            spaces = resources.get("ColorSpace")
            spaces = by_reference.get(spaces, spaces)
            if not isinstance(spaces, pydyf.Dictionary):
                spaces = resources["ColorSpace"] = pydyf.Dictionary()
            spaces[REGISTRATION_SPACE] = registration_colour()


def _rewrite(stream: list) -> tuple[list, bool, bool]:
    items, stack = [], []
    applied = [False, False]  # the overprint (fill, stroke) in force
    wanted = [False, False]
    used_registration = used_overprint = False
    for item in stream:
        data = item if isinstance(item, bytes) else None
        if data == b"q":
            stack.append((tuple(applied), tuple(wanted)))
        elif data == b"Q" and stack:
            applied[:], wanted[:] = (list(state) for state in stack.pop())
        match = _CMYK_SET.match(data) if data is not None else None
        if match is None:
            items.append(item)
            continue
        stroke = match.group(5) == b"SCN"
        cmyk = tuple(float(value) for value in match.groups()[:4])
        if cmyk == (1, 1, 1, 1):
            items.append(registration_ops(stroke))
            used_registration = True
        else:
            items.append(item)
        wanted[1 if stroke else 0] = cmyk == (0, 0, 0, 1)
        if wanted != applied:
            items.append(f"/{_OVERPRINT_STATES[tuple(wanted)]} gs".encode())
            applied[:] = wanted
            used_overprint = True
    return items, used_registration, used_overprint


@functools.lru_cache(maxsize=4)
def _compressed_profile(data: bytes) -> bytes:
    return zlib.compress(data, 6)
