"""The card's 2 x 44 machine-readable zone and its ICAO 9303 (7-3-1) check digits.

Line 1 follows /work/shared/DOMAIN.md: ``CRFRA``, the plate without separators padded
with ``<`` to 9 characters, its check digit, the 17-character VIN, its check digit,
date B as YYMMDD, its check digit, J.1, then ``<`` fillers. Line 2 (DOMAIN.md only says
"body/make/model text and the formula number with a check digit"): J.3, D.1 and D.3
joined by ``<`` and padded or cut to 32 characters, then the 11-character formula number
and its check digit.
"""

from __future__ import annotations

MRZ_LEN = 44
PLATE_FIELD = 9
TEXT_FIELD = 32
WEIGHTS = (7, 3, 1)


def char_value(ch: str) -> int:
    """ICAO value of one MRZ character: digits as is, A=10 ... Z=35, '<' = 0."""
    if ch == "<":
        return 0
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(field: str) -> str:
    """The 7-3-1 check digit of `field`, as a one-character string."""
    total = sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(field))
    return str(total % 10)


def mrz_text(text: str) -> str:
    """`text` in MRZ characters: uppercase, separators become '<', others dropped."""
    out = []
    for ch in text.upper():
        if ch.isascii() and (ch.isalnum()):
            out.append(ch)
        elif ch in " -'/.*<":
            out.append("<")
    return "".join(out)


def pad(text: str, width: int) -> str:
    """`text` cut or right-padded with '<' to exactly `width` characters."""
    return (text + "<" * width)[:width]


def build_mrz(
    *, plate: str, vin: str, date_b: str, genre: str, body: str, make: str, model: str, formula: str
) -> tuple[str, str]:
    """Both MRZ lines for a card. `date_b` is DD/MM/YYYY; `plate` as printed."""
    plate_field = pad(mrz_text(plate).replace("<", ""), PLATE_FIELD)
    dd, mm, yyyy = date_b.split("/")
    yymmdd = yyyy[2:] + mm + dd
    line1 = (
        "CRFRA"
        + plate_field
        + check_digit(plate_field)
        + vin
        + check_digit(vin)
        + yymmdd
        + check_digit(yymmdd)
        + mrz_text(genre)
    )
    text = pad(mrz_text(f"{body}<{make}<{model}"), TEXT_FIELD)
    line2 = text + formula + check_digit(formula)
    return pad(line1, MRZ_LEN), line2
