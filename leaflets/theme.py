"""The colour palette of ``templates/theme.css``, and its screen (RGB) form.

Colours are defined once, in CMYK, as ``--name: device-cmyk(c m y k)``
custom properties in the theme. Print output uses them as they are; screen
output (the proof PDF for the web and e-mail) overrides each property with
its sRGB equivalent, converted through the print profile so the screen
shows what the press will print.
"""

from __future__ import annotations

import functools
import re

from PIL import Image, ImageCms

from leaflets.project import PROFILE, TEMPLATES

THEME = TEMPLATES / "theme.css"
_PROPERTY = re.compile(r"--([a-z][a-z0-9-]*)\s*:\s*device-cmyk\(([^)]*)\)")


@functools.cache
def palette() -> dict[str, tuple[float, float, float, float]]:
    """Every theme colour as CMYK fractions, by custom-property name."""
    colours = {}
    for name, values in _PROPERTY.findall(THEME.read_text(encoding="utf-8")):
        parts = values.split()
        colours[name] = tuple(_fraction(part) for part in parts)
    return colours


def _fraction(value: str) -> float:
    return float(value[:-1]) / 100 if value.endswith("%") else float(value)


@functools.cache
def _to_srgb():
    return ImageCms.buildTransform(
        ImageCms.getOpenProfile(str(PROFILE)), ImageCms.createProfile("sRGB"),
        "CMYK", "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


def cmyk_to_rgb(cmyk) -> tuple[int, int, int]:
    """The sRGB colour of a CMYK colour printed under the project's profile."""
    pixel = Image.new("CMYK", (1, 1), tuple(round(v * 255) for v in cmyk))
    return ImageCms.applyTransform(pixel, _to_srgb()).getpixel((0, 0))


def css_colour(name: str, mode: str) -> str:
    """A theme colour as a literal CSS value, for SVG (which cannot read var())."""
    cmyk = palette()[name]
    if mode == "print":
        return "device-cmyk({})".format(" ".join(f"{v:g}" for v in cmyk))
    return "rgb({} {} {})".format(*cmyk_to_rgb(cmyk))


def screen_css() -> str:
    """CSS that overrides every theme colour with its sRGB equivalent."""
    rules = " ".join(
        "--{}: rgb({} {} {});".format(name, *cmyk_to_rgb(cmyk))
        for name, cmyk in palette().items()
    )
    return f":root {{ {rules} }}"
