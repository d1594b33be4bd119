"""The font files shipped beside this module, loaded once per (name, size).

Only non-DejaVu families are used, so that this generator does not share its typefaces
with the project's first card generator. Licences: fonts/OFL-1.1.txt, fonts/Apache-2.0.txt,
fonts/OCRB-LICENSE.txt.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"

FILES = {
    "sans": "NECardSans-Regular.ttf",
    "sans_bold": "NECardSans-Bold.ttf",
    "mono": "NECardMono-Regular.ttf",
    "open": "OpenSans-Regular.ttf",
    "open_bold": "OpenSans-Bold.ttf",
    "open_cond_bold": "OpenSans-CondBold.ttf",
    "ocrb": "OCRB.otf",
}

# A printer's style: the face of the codes, of the values and of the title.
STYLES = (
    {"code": "sans_bold", "value": "sans", "title": "sans_bold"},
    {"code": "open_bold", "value": "open", "title": "open_bold"},
    {"code": "open_cond_bold", "value": "sans", "title": "open_cond_bold"},
    {"code": "sans_bold", "value": "open", "title": "open_cond_bold"},
    {"code": "open_cond_bold", "value": "mono", "title": "sans_bold"},
)


@lru_cache(maxsize=256)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The shipped font `name` (a key of FILES) at `size` pixels."""
    return ImageFont.truetype(str(FONT_DIR / FILES[name]), max(6, int(size)))
