"""The machine-readable zone (MRZ) of the French registration card: 2 lines of 44 characters.

Line 1: ``CRFRA`` + plate without dashes or spaces + check digit + VIN + check digit +
date B as YYMMDD + check digit + genre J.1, padded with ``<``.
Line 2: national body J.3, make D.1 and commercial name D.3 separated by ``<<`` and padded,
then an 11-character formula number and its check digit. Some cards (and generators)
separate them by a single ``<`` like the spaces inside a name: the parts then cannot be
told apart, and only the whole names text is kept (``MrzData.names``), against which the
printed J.3 + D.1 + D.3 can still be checked.
Check digits use the ICAO 9303 weights 7-3-1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LINE_LENGTH = 44
_WEIGHTS = (7, 3, 1)
FORMULA_LENGTH = 11


def char_value(char: str) -> int:
    """Returns the ICAO value of one MRZ character: digits as is, A=10..Z=35, ``<`` = 0.

    Raises ValueError for any other character.
    """
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(data: str) -> str:
    """Returns the 7-3-1 check digit (one character) of ``data``; raises ValueError on bad chars."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data))
    return str(total % 10)


def _mrz_text(text: str) -> str:
    """Turns free text into MRZ filler form: uppercase, spaces and dashes become ``<``."""
    out = re.sub(r"[^A-Z0-9]", "<", text.upper())
    return re.sub(r"<+", "<", out)


def build_lines(
    plate: str,
    vin: str,
    first_registration: str,
    genre: str,
    body: str,
    make: str,
    model: str,
    formula: str,
) -> tuple[str, str]:
    """Builds both MRZ lines from field values (``first_registration`` as DD/MM/YYYY).

    Returns two 44-character strings; raises ValueError when the data does not fit.
    """
    plate_mrz = re.sub(r"[^A-Z0-9]", "", plate.upper())
    day, month, year = first_registration.split("/")
    date = year[2:] + month + day
    line1 = (
        "CRFRA"
        + plate_mrz
        + check_digit(plate_mrz)
        + vin
        + check_digit(vin)
        + date
        + check_digit(date)
        + genre.replace("-", "<")
    )
    names = _mrz_text(body) + "<<" + _mrz_text(make) + "<<" + _mrz_text(model)
    room = LINE_LENGTH - FORMULA_LENGTH - 1
    line2 = names[:room].ljust(room, "<") + formula + check_digit(formula)
    if len(line1) > LINE_LENGTH or len(formula) != FORMULA_LENGTH:
        raise ValueError("MRZ data too long")
    return line1.ljust(LINE_LENGTH, "<"), line2


@dataclass
class MrzData:
    """What the MRZ says, with the validity of each check digit."""

    plate: str | None = None
    plate_check: str | None = None
    plate_ok: bool = False
    vin: str | None = None
    vin_check: str | None = None
    vin_ok: bool = False
    date_yymmdd: str | None = None
    date_check: str | None = None
    date_ok: bool = False
    genre: str | None = None
    body: str | None = None
    make: str | None = None
    model: str | None = None
    names: str | None = None  # line 2 before the formula, fillers stripped
    formula: str | None = None
    formula_ok: bool = False
    warnings: list[str] = field(default_factory=list)


# Line 1 from the right end of the plate: 17 VIN chars, YYMMDD, genre. The plate length
# varies (SIV 7, FNI 5-10) and it may be padded with fillers to a fixed width (fillers
# count 0 in the check digit), so it is found by anchoring on the VIN and the date.
_LINE1 = re.compile(
    r"CRFRA(?P<plate>[A-Z0-9]{3,10})<*(?P<pc>\d)(?P<vin>[A-Z0-9]{17})(?P<vc>\d)"
    r"(?P<date>\d{6})(?P<dc>\d)(?P<genre>[A-Z0-9<]{0,12}?)<*$"
)
_LINE2 = re.compile(r"^(?P<names>[A-Z0-9<]+?)(?P<formula>[A-Z0-9]{11})(?P<fc>\d)$")

# Characters OCR engines confuse in an MRZ; only tried where the check digit fails.
_DIGIT_FOR = {
    "O": "0",
    "Q": "0",
    "D": "0",
    "I": "1",
    "L": "1",
    "Z": "2",
    "S": "5",
    "B": "8",
    "G": "6",
    "T": "7",
}


def normalise_line(text: str) -> str:
    """Uppercases an OCR'd MRZ line and maps look-alikes of ``<`` (``«``, ``K<``...) to it."""
    text = text.upper().replace(" ", "")
    text = text.replace("«", "<<").replace("‹", "<").replace("〈", "<")
    return re.sub(r"[^A-Z0-9<]", "<", text)


def looks_like_line1(text: str) -> bool:
    """True when OCR text looks like MRZ line 1 of a French card (``CRFRA`` near its start)."""
    return "CRFRA" in normalise_line(text)[:8]


def _fix_digits(text: str) -> str:
    return "".join(_DIGIT_FOR.get(c, c) for c in text)


def parse_line1(text: str, data: MrzData) -> None:
    """Fills plate, VIN, date and genre of ``data`` from OCR'd line 1 (no error on failure)."""
    line = normalise_line(text)
    line = line[line.find("CRFRA") :] if "CRFRA" in line else line
    match = _LINE1.search(line)
    if match is None:
        # Second chance: the digit-only slots may hold letters misread from digits.
        head = line[:5]
        match = _LINE1.search(head + _fix_slots(line[5:]))
    if match is None:
        data.warnings.append("MRZ line 1 not parsable")
        return
    data.plate, data.vin = match["plate"], match["vin"]
    data.plate_check, data.vin_check, data.date_check = match["pc"], match["vc"], match["dc"]
    data.plate_ok = check_digit(data.plate) == match["pc"]
    data.vin_ok = check_digit(data.vin) == match["vc"]
    data.date_yymmdd = match["date"]
    data.date_ok = check_digit(match["date"]) == match["dc"]
    data.genre = match["genre"].replace("<", "-").strip("-") or None


def _fix_slots(rest: str) -> str:
    """Repairs letters in the trailing date+check slots of line 1, which are always digits."""
    # The date + its check digit are the 7 characters before the genre; the genre has at
    # most 4 letters. Without a reliable anchor we only fix O/I/S/B-style confusions in
    # the characters after plate+VIN, which cannot hold letters other than the genre.
    body = rest.rstrip("<")
    if len(body) < 7 + 2:
        return rest
    genre = re.search(r"[A-Z][A-Z0-9-]*$", body)
    cut = genre.start() if genre else len(body)
    return body[: cut - 7] + _fix_digits(body[cut - 7 : cut]) + body[cut:] + rest[len(body) :]


def parse_line2(text: str, data: MrzData) -> None:
    """Fills body, make, model and formula of ``data`` from OCR'd line 2."""
    line = normalise_line(text)
    match = _LINE2.search(line)
    if match is None:
        data.warnings.append("MRZ line 2 not parsable")
        return
    data.formula = match["formula"]
    data.formula_ok = check_digit(data.formula) == match["fc"]
    data.names = match["names"].rstrip("<") or None
    parts = [p.replace("<", " ").strip() for p in re.split(r"<{2,}", match["names"])]
    parts = [p for p in parts if p]
    if len(parts) == 3:  # with fewer, which part is which is unknown: none is used alone
        data.body, data.make, data.model = parts


def parse(lines: list[str]) -> MrzData:
    """Parses the OCR'd MRZ lines (line 1 first; line 2 optional) into ``MrzData``."""
    data = MrzData()
    if lines:
        parse_line1(lines[0], data)
    if len(lines) > 1:
        parse_line2(lines[1], data)
    return data
