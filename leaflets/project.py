"""Where the project's own files live.

The renderer may read these folders and nothing else (see ``fetcher.py``).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
FONTS = ROOT / "fonts"
DEFAULT_DATA = ROOT / "minwon24.toml"
DEFAULT_PRODUCTION = ROOT / "production.toml"
DEFAULT_DONGS = ROOT / "dongs.toml"
DEFAULT_OUT = ROOT / "dist"
PROFILES = ROOT / "profiles"
PROFILE = PROFILES / "FOGRA39L.icc"
