"""Per-type validation and character-confusion repair of field values.

A repair only swaps characters the field type cannot hold for their usual look-alikes
(O->0 in a number, 0->O never in a VIN because O is banned there, ...): it changes only a
value that is itself invalid. A value that reads validly is never replaced by another
valid one (an unknown make stays as read, a VIN whose maker code does not match the make
is only flagged). Every function
returns a ``Checked`` value: the normalised text, the typed value, whether it is valid,
and warnings; none raises on bad text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from obdcore import vin as vin_codec
from ocr.fields import CLOSED_LISTS, FIELDS, MAKE_WMIS, Kind

# Letter read where a digit must be -> that digit.
TO_DIGIT = {
    "O": "0",
    "Q": "0",
    "D": "0",
    "U": "0",
    "I": "1",
    "L": "1",
    "|": "1",
    "!": "1",
    "J": "1",
    "T": "7",
    "Z": "2",
    "S": "5",
    "B": "8",
    "G": "6",
    "A": "4",
}
# Digit read where a letter must be -> that letter.
TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"}
# In plates I, O and U never occur: their look-alike digits map to other letters.
_PLATE_LETTER = dict(TO_LETTER, **{"0": "D", "1": "T"})


@dataclass
class Checked:
    """Result of checking one field value."""

    text: str
    value: Any
    valid: bool
    repaired: bool = False
    warnings: list[str] = field(default_factory=list)


def _digits(text: str) -> str:
    return "".join(TO_DIGIT.get(c, c) for c in text)


# ----- plates -----------------------------------------------------------------------------

_SIV = re.compile(r"^([A-HJ-NP-TV-Z]{2})-(\d{3})-([A-HJ-NP-TV-Z]{2})$")
_FNI = re.compile(r"^(\d{1,4}) ([A-Z]{1,3}) (0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])$")


def _siv_candidate(raw: str) -> str | None:
    """Reshapes 7 alphanumerics into ``AA-123-AA`` with per-slot confusion repair."""
    chars = re.sub(r"[^A-Z0-9]", "", raw)
    if len(chars) != 7:
        return None
    letters = "".join(_PLATE_LETTER.get(c, c) for c in chars[:2] + chars[5:])
    digits = _digits(chars[2:5])
    return f"{letters[:2]}-{digits}-{letters[2:]}"


def check_plate(raw: str) -> Checked:
    """Validates a plate in SIV (``AB-123-CD``) or FNI (``1234 AB 75``) format."""
    text = re.sub(r"\s+", " ", raw.upper().strip()).replace("—", "-").replace("_", "-")
    compact = text.replace(" ", "-") if text.count(" ") == 2 and "-" not in text else text
    if _SIV.match(compact):
        return _siv_rules(compact, repaired=False)
    fni = _FNI.match(text)
    if fni:
        return Checked(text, text, True)
    candidate = _siv_candidate(text) if len(re.sub(r"[^A-Z0-9]", "", text)) == 7 else None
    if candidate and _SIV.match(candidate):
        changed = candidate.replace("-", "") != compact.replace("-", "")
        result = _siv_rules(candidate, repaired=changed)
        if result.repaired:
            result.warnings.append(f"plate repaired from {raw!r}")
        return result
    return Checked(text, text, False, warnings=["plate matches neither SIV nor FNI format"])


def _siv_rules(plate: str, repaired: bool) -> Checked:
    left, number, right = plate.split("-")
    warnings = []
    valid = number != "000" and "SS" not in (left, right)
    if not valid:
        warnings.append("plate uses a reserved SIV combination")
    if left == "WW":
        warnings.append("WW plate: provisional registration")
    return Checked(plate, plate, valid, repaired, warnings)


# ----- VIN -----------------------------------------------------------------------------------


def vin_check_digit_ok(vin: str) -> bool:
    """True when position 9 holds the ISO 3779 / North-American check digit of ``vin``
    (obdcore.vin, the one VIN decoder)."""
    return vin_codec.check_digit_ok(vin)


def check_vin(raw: str, make: str | None = None) -> Checked:
    """Validates a VIN: 17 chars from ``A-Z0-9`` without I, O, Q; WMI against ``make``.

    I->1 and O/Q->0 are repaired (those letters never occur); the check digit is only a
    warning signal because most European VINs do not carry one.
    """
    text = re.sub(r"[^A-Z0-9]", "", raw.upper())
    fixed = text.replace("I", "1").replace("O", "0").replace("Q", "0")
    checked = Checked(fixed, fixed, len(fixed) == 17, repaired=fixed != text)
    if checked.repaired:
        checked.warnings.append("I/O/Q replaced by 1/0 in the VIN")
    if len(fixed) != 17:
        checked.warnings.append(f"VIN has {len(fixed)} characters, expected 17")
        return checked
    if make:
        _check_wmi(checked, make)
    if not vin_check_digit_ok(fixed):
        checked.warnings.append("VIN position-9 check digit does not match (common in Europe)")
    return checked


def _check_wmi(checked: Checked, make: str) -> None:
    wmis = MAKE_WMIS.get(make.upper())
    if not wmis or checked.text[:3] in wmis:
        return
    # One confusable character off a known WMI of this make: repair it.
    # The VIN reads validly: a look-alike WMI is flagged, never rewritten (the make may be
    # the misread one, or the maker may use a code we do not list).
    checked.warnings.append(f"VIN WMI {checked.text[:3]} does not match make {make}")


# ----- dates and numbers ----------------------------------------------------------------

_WORDS_BEFORE = re.compile(r"((?:[A-Z'’]{2,}\s+)+)(\S[\S ]{5,12})")


def check_date(raw: str) -> Checked:
    """Validates ``DD/MM/YYYY`` (also ``-`` or ``.`` separated); value is the ISO date string.

    Words printed before the date (X.1 "VISITE AVANT LE 06/07/2011") are set aside with a
    warning: the date is the value.
    """
    words = _WORDS_BEFORE.fullmatch(raw.upper().strip())
    if words:
        checked = _check_date(words.group(2))
        if checked.valid:
            checked.warnings.append(f"words before the value: {words.group(1).strip()!r}")
            return checked
    return _check_date(raw)


def _check_date(raw: str) -> Checked:
    text = _digits(raw.upper().replace(" ", ""))
    match = re.fullmatch(r"(\d{2})[/.\-]?(\d{2})[/.\-]?(\d{4})", text)
    if not match:
        return Checked(text, None, False, warnings=["not a DD/MM/YYYY date"])
    day, month, year = (int(g) for g in match.groups())
    norm = f"{day:02d}/{month:02d}/{year:04d}"
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return Checked(norm, None, False, warnings=["impossible calendar date"])
    if not 1900 <= year <= 2100:
        return Checked(norm, None, False, warnings=["year out of range"])
    return Checked(norm, value.isoformat(), True, repaired=norm != raw.strip())


def check_number(raw: str, kind: Kind, low: float | None, high: float | None) -> Checked:
    """Validates an integer, decimal or money amount (comma decimal) within [low, high]."""
    text = _digits(raw.upper().replace(" ", "").replace(".", ","))
    pattern = r"\d+" if kind is Kind.INT else r"\d+(,\d+)?"
    if not re.fullmatch(pattern, text):
        return Checked(text, None, False, warnings=[f"not a {kind.value}"])
    value: float | int = int(text) if kind is Kind.INT else float(text.replace(",", "."))
    checked = Checked(text, value, True, repaired=text != raw.strip())
    if (low is not None and value < low) or (high is not None and value > high):
        checked.valid = False
        checked.warnings.append(f"value {value} outside [{low}, {high}]")
    return checked


# ----- closed lists, codes, text ------------------------------------------------------

_CONFUSION_KEY = str.maketrans(
    {
        "O": "0",
        "D": "0",
        "Q": "0",
        "I": "1",
        "L": "1",
        "|": "1",
        "S": "5",
        "B": "8",
        "Z": "2",
        "G": "6",
        "T": "7",
    }
)


def confusion_key(text: str) -> str:
    """Maps every character to a representative of its look-alike class (O, D, Q, 0 -> 0)."""
    return text.upper().translate(_CONFUSION_KEY)


def check_closed(raw: str, choices: tuple[str, ...]) -> Checked:
    """Checks ``raw`` against the closed list ``choices``: an exact entry is valid; a
    reading outside the list is repaired only when it differs from exactly one entry by
    look-alike characters (CL -> CI, G0 -> GO) or, for words of 5+ letters, by a single
    character (BREAX -> BREAK). Anything else stays as read and is invalid (the list may
    be incomplete: a real value is never turned into a different one)."""
    text = re.sub(r"\s+", " ", raw.upper().strip())
    if " " not in "".join(choices):
        text = text.replace(" ", "")
    if text in choices:
        return Checked(text, text, True)
    alike = [c for c in choices if confusion_key(c) == confusion_key(text)]
    if len(alike) == 1:
        return Checked(
            alike[0],
            alike[0],
            True,
            repaired=True,
            warnings=[f"{raw!r} read as {alike[0]!r} (look-alike characters)"],
        )
    close = [c for c in choices if len(c) >= 5 and Levenshtein.distance(c, text) == 1]
    if len(close) == 1:
        return Checked(
            close[0],
            close[0],
            True,
            repaired=True,
            warnings=[f"{raw!r} repaired to closed-list value {close[0]!r}"],
        )
    return Checked(text, text, False, warnings=["not in the closed list"])


_APPROVAL = re.compile(r"E\d{1,2}\*\d{2,4}/\d{2,4}\*\d{4}\*\d{2}")


def check_approval(raw: str) -> Checked:
    """Validates an EC type-approval number (K), e.g. ``E2*2007/46*0123*05``.

    The leading lowercase ``e`` is often misread (0, @, C) or dropped, and ``*`` read as
    ``°``: when the rest has the approval shape, the ``E`` is restored (a country number
    never starts with 0, so a leading 0 is the misread ``e``).
    """
    text = re.sub(r"\s+", "", raw.upper()).replace("°", "*").replace("×", "*")
    if _APPROVAL.fullmatch(text):
        return Checked(text, text, True, repaired=text != raw.strip().upper())
    candidates = (
        ["E" + text[1:], "E" + text] if text[:1] == "0" or not text[:1].isdigit() else ["E" + text]
    )
    for fixed in candidates:
        if _APPROVAL.fullmatch(fixed):
            return Checked(
                fixed,
                fixed,
                True,
                repaired=True,
                warnings=[f"approval number prefix repaired from {raw!r}"],
            )
    return Checked(text, text, False, warnings=["not an EC type-approval number"])


def check_cnit(raw: str) -> Checked:
    """Validates a CNIT (D.2.1). In the 15-character form ``M10`` + 3-letter make code +
    ``VP``/``CT``... the make and genre letters cannot be digits: look-alikes are repaired
    there only (``M10V0LVP...`` -> ``M10VOLVP...``); likewise the 2-letter make code of the
    older 12-character form (``MV06...`` -> ``MVO6...``)."""
    checked = check_code(raw)
    text = checked.text
    if len(text) == 12 and text.startswith("M"):
        # The older 12-character form: M + the make's 2-letter code + 9 characters.
        head = "".join(TO_LETTER.get(c, c) for c in text[1:3])
        if head != text[1:3]:
            fixed = text[0] + head + text[3:]
            return Checked(
                fixed,
                fixed,
                checked.valid,
                repaired=True,
                warnings=[f"CNIT make letters repaired from {raw!r}"],
            )
    if len(text) == 15 and text.startswith("M1"):
        head = "".join(TO_LETTER.get(c, c) for c in text[3:8])
        fixed = text[:3] + head + text[8:]
        if fixed != text:
            return Checked(
                fixed,
                fixed,
                checked.valid,
                repaired=True,
                warnings=[f"CNIT letters repaired from {raw!r}"],
            )
    return checked


def check_code(raw: str) -> Checked:
    """Validates an uppercase alphanumeric code (type D.2, CNIT D.2.1, approval K)."""
    text = re.sub(r"\s+", "", raw.upper())
    valid = bool(re.fullmatch(r"[A-Z0-9*/\-]{3,40}", text))
    return Checked(text, text, valid, warnings=[] if valid else ["unexpected characters"])


_WORD_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B"})


def _letters_in_words(text: str) -> str:
    """In words that are clearly alphabetic (3+ letters, at most 2 digits), digits that look
    like letters become those letters (B0RDEAUX -> BORDEAUX), and the reverse in clearly
    numeric words (35O00 -> 35000); codes like C5 or 308 stay."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        letters = sum(c.isalpha() for c in word)
        digits = sum(c.isdigit() for c in word)
        if letters >= 3 and 0 < digits <= 2 and all(c in "0158" for c in word if c.isdigit()):
            return word.translate(_WORD_LETTER)
        # The other way round: a postcode or house number with a letter misread in it.
        if digits >= 3 and 0 < letters <= 2 and all(c in TO_DIGIT for c in word if c.isalpha()):
            return _digits(word)
        return word

    return re.sub(r"[A-Z0-9]+", fix, text)


def check_text(raw: str) -> Checked:
    """Normalises free text (collapses spaces, fixes digits inside words); valid when not
    empty."""
    text = re.sub(r"\s+", " ", raw.upper()).strip()
    fixed = _letters_in_words(text)
    return Checked(
        fixed, fixed, bool(fixed), repaired=fixed != text, warnings=[] if fixed else ["empty"]
    )


def check_make(raw: str) -> Checked:
    """Normalises a make. A reading holding characters no make name has (digits, symbols)
    is invalid and snapped to the closest known make when that one is close; a reading of
    letters only stays as read (an unknown make is flagged, not replaced)."""
    checked = check_text(raw)
    known = tuple(MAKE_WMIS)
    if checked.text in known:
        return checked
    as_read = re.sub(r"\s+", " ", raw.upper()).strip()
    if re.fullmatch(r"[A-Z][A-Z \-]*", as_read):
        checked.warnings.append("make not in the list of known makes")
        return checked
    best = process.extractOne(checked.text, known, scorer=fuzz.ratio)
    if best and best[1] >= 80:
        return Checked(
            best[0],
            best[0],
            True,
            repaired=True,
            warnings=[f"make {checked.text!r} snapped to {best[0]!r}"],
        )
    return checked


def check_field(code: str, raw: str, make: str | None = None) -> Checked:
    """Dispatches to the right check for field ``code`` (see ``ocr.fields.FIELDS``)."""
    spec = FIELDS[code]
    if spec.kind is Kind.PLATE:
        return check_plate(raw)
    if spec.kind is Kind.VIN:
        return check_vin(raw, make)
    if spec.kind is Kind.DATE:
        return check_date(raw)
    if spec.kind in (Kind.INT, Kind.DECIMAL, Kind.MONEY):
        return check_number(raw, spec.kind, spec.low, spec.high)
    if spec.kind is Kind.CLOSED:
        return check_closed(raw, CLOSED_LISTS[code])
    if code == "K":
        return check_approval(raw)
    if code == "D.2.1":
        return check_cnit(raw)
    if spec.kind is Kind.CODE:
        return check_code(raw)
    if code == "D.1":
        return _needs_letter(check_make(raw))
    if code == "C.1":
        return _needs_letter(check_text(raw))
    return check_text(raw)


def _needs_letter(checked: Checked) -> Checked:
    """Names and makes are words: a value without any letter is not one of them."""
    if checked.valid and not any(c.isalpha() for c in checked.text):
        checked.valid = False
        checked.warnings.append("expected letters")
    return checked
