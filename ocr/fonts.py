"""Finds freely licensed TrueType fonts at run time for the synthetic card generator.

Nothing is shipped in the repository: the DejaVu family (Bitstream Vera / public-domain
licence) is looked up in pip packages that carry it (opencv's Qt build, matplotlib) and
in the usual Debian font directories; Pillow's own bundled default font is the last resort,
so the generator always works, with fewer font styles when nothing else is installed.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from PIL import ImageFont

# Style name -> candidate file names (first found wins).
STYLES: dict[str, tuple[str, ...]] = {
    "sans": ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"),
    "sans-bold": ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
    "condensed": ("DejaVuSansCondensed.ttf", "LiberationSansNarrow-Regular.ttf"),
    "condensed-bold": ("DejaVuSansCondensed-Bold.ttf",),
    "mono": ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf"),
    "serif": ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf"),
}


def _package_dir(name: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0], *parts)


@functools.lru_cache(maxsize=1)
def search_dirs() -> tuple[Path, ...]:
    """Returns the existing directories that may hold DejaVu/Liberation fonts."""
    candidates = [
        _package_dir("cv2", "qt", "fonts"),
        _package_dir("matplotlib", "mpl-data", "fonts", "ttf"),
        Path("/usr/share/fonts/truetype/dejavu"),
        Path("/usr/share/fonts/truetype/liberation"),
        Path("/usr/share/fonts/truetype/liberation2"),
    ]
    return tuple(p for p in candidates if p is not None and p.is_dir())


@functools.lru_cache(maxsize=32)
def font_path(style: str) -> Path | None:
    """Returns the path of a font file for ``style`` (see ``STYLES``), or None if none found."""
    for directory in search_dirs():
        for name in STYLES[style]:
            if (directory / name).is_file():
                return directory / name
    return None


def available_styles() -> list[str]:
    """Lists the styles that resolve to a real font file (may be empty)."""
    return [s for s in STYLES if font_path(s) is not None]


@functools.lru_cache(maxsize=256)
def load(style: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Returns a font of ``style`` at ``size`` pixels; falls back to Pillow's bundled font."""
    path = font_path(style)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)
