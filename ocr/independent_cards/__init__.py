"""A second, independent generator of French registration cards and phone-photo damage.

Written from the document's public description only (not from the project's first
generator), to measure the OCR on cards it was not developed on. Public API:

- ``generate_card(seed, layout="current")`` -> (clean RGB card image, ground truth dict)
- ``degrade(card, seed, condition="random")`` -> (photo as an image or JPEG bytes, what was applied)
- ``LAYOUTS``, ``CONDITIONS``
"""

from __future__ import annotations

import random

from PIL import Image

from .degrade import CONDITIONS, degrade
from .render import draw_card
from .values import CardValues, make_values

LAYOUTS = ("current", "old")

__all__ = ["CONDITIONS", "LAYOUTS", "degrade", "generate_card"]


def generate_card(seed: int, *, layout: str = "current") -> tuple[Image.Image, dict[str, str]]:
    """A clean, flat card image and its ground truth (code -> value as printed).

    Multi-line values are joined with one space, empty fields map to "", the formula
    number is under "FORMULE" and the MRZ lines under "MRZ1" and "MRZ2". The same seed
    and layout always give the same image and values.
    """
    img, values, _ = card_parts(seed, layout)
    return img, values.truth()


def card_parts(seed: int, layout: str = "current"):
    """The card image, its values and the boxes of every text drawn (for tests, debugging)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    rng = random.Random(f"independent-card:{layout}:{seed}")
    values: CardValues = make_values(rng, layout)
    img, boxes = draw_card(rng, values, layout)
    return img, values, boxes
