"""Where each field code is printed on the French registration card.

The certificate is a fixed pre-printed form: the codes always sit at the same place, in
three columns and two rows of taxes and mentions above the MRZ. ``LAYOUT`` gives, for each
code, the top-left corner of its line and the width of its cell on a 1400 x 900 card; the
generator draws from it and the reader uses it as a prior when a code label is unreadable.
These coordinates approximate the real form; reading real cards would need them measured
on a few real scans.
"""

from __future__ import annotations

CARD_W, CARD_H = 1400, 900
# code -> (x of the code, y of the line top, width of the cell) in card pixels.
LAYOUT: dict[str, tuple[int, int, int]] = {}


def _column(codes: list[str], x: int, y0: int, step: int, width: int) -> None:
    for i, code in enumerate(codes):
        LAYOUT[code] = (x, y0 + i * step, width)


_column(["A", "B", "C.1", "C.3", "D.1", "D.2", "D.2.1", "D.3", "E"], 40, 140, 58, 520)
_column(["I", "F.1", "F.2", "F.3", "G", "G.1", "J", "J.1", "J.2", "J.3", "V.9"], 600, 140, 47,
        440)
_column(["K", "P.1", "P.2", "P.3", "P.6", "Q", "S.1", "U.1", "U.2", "V.7", "X.1"], 1090, 140, 47,
        290)
for _i, _code in enumerate(["Y.1", "Y.2", "Y.3", "Y.4", "Y.5", "Y.6"]):
    LAYOUT[_code] = (40 + _i * 225, 680, 210)
for _i, _code in enumerate(["Z.1", "Z.2", "Z.3", "Z.4"]):
    LAYOUT[_code] = (40 + _i * 340, 728, 330)
MRZ_Y = (790, 838)
LABEL_DY = 6  # the code label is printed this far below the line top
VALUE_HEIGHT = 26  # typical printed value height on the 1400 x 900 card


def label_position(code: str) -> tuple[float, float]:
    """Relative (x, y) in [0, 1] of the centre-left of ``code``'s printed label."""
    x, y, _ = LAYOUT[code]
    return x / CARD_W, (y + LABEL_DY + 7) / CARD_H


def row_pitch() -> float:
    """The smallest vertical distance between two lines of codes, relative to the height."""
    return 47 / CARD_H
