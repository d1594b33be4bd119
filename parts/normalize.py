"""Canonical spellings of numbers, brands, plates and VINs.

Catalogue numbers arrive as ``0 280 218 119``, ``0280-218-119`` or ``0280.218.119``; they
are stored once as written and once normalised (upper case, letters and digits only), and
every lookup compares normalised forms, so any spelling finds the same part.
"""

from __future__ import annotations

import re
import unicodedata

from parts.errors import InvalidPlateError, InvalidVinError

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_SPACES = re.compile(r"\s+")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# SIV since 2009: AA-123-AA; FNI before: 1-4 digits, 1-3 letters, a department.
_SIV = re.compile(r"^([A-HJ-NP-TV-Z]{2})-?(\d{3})-?([A-HJ-NP-TV-Z]{2})$")
_FNI = re.compile(r"^(\d{1,4}) ?([A-Z]{1,3}) ?(\d{2}|2A|2B|97[1-6])$")


def strip_accents(text: str) -> str:
    """``"Citroën"`` -> ``"Citroen"``: decompose, then drop the combining marks."""
    if text.isascii():  # the common case, and 10x cheaper than decomposing
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_number(number: str) -> str:
    """Article/OE number -> upper-case letters and digits only.

    ``"0 280-218.119"`` -> ``"0280218119"``.
    """
    return _NOT_ALNUM.sub("", strip_accents(number).upper())


def normalize_brand(brand: str) -> str:
    """Brand or make -> upper case, no accents, single spaces (``" Citroën "`` -> ``"CITROEN"``)."""
    return _SPACES.sub(" ", strip_accents(brand).upper()).strip()


def normalize_vin(vin: str) -> str:
    """Upper-case a VIN, drop spaces, and check the ISO 3779 alphabet and length.

    Raises: InvalidVinError when it is not 17 characters of 0-9/A-Z without I, O, Q.
    """
    cleaned = re.sub(r"[\s-]+", "", vin).upper()
    if not _VIN.match(cleaned):
        raise InvalidVinError(
            f"not a VIN: {vin[:40]!r} (expected 17 letters/digits, never I, O or Q)"
        )
    return cleaned


def normalize_plate(plate: str) -> str:
    """French plate -> canonical ``AB-123-CD`` (SIV) or ``1234 AB 75`` (FNI).

    Raises: InvalidPlateError when the text fits neither format.
    """
    text = _SPACES.sub(" ", plate.strip().upper())
    siv = _SIV.match(text.replace(" ", "-").replace("--", "-"))
    if siv and siv.group(1) != "SS" and siv.group(3) != "SS":
        return "-".join(siv.groups())
    fni = _FNI.match(text.replace("-", " "))
    if fni:
        return " ".join(fni.groups())
    raise InvalidPlateError(
        f"not a French plate: {plate[:40]!r} (expected AB-123-CD or 1234 AB 75)"
    )


def build_search_text(
    brand: str,
    article_number: str,
    name: str,
    type_label: str,
    attributes: dict | None = None,
    number_norm: str | None = None,
) -> str:
    """The text that free-text search indexes for one part: lower case, no accents.

    The normalised number is included so that ``0280218119`` finds ``0 280 218 119``;
    pass it as ``number_norm`` when already known (the importer does, a million times).
    """
    values = [str(v) for v in (attributes or {}).values() if isinstance(v, (str, int, float))]
    if number_norm is None:
        number_norm = normalize_number(article_number)
    words = [brand, article_number, number_norm, name, type_label, *values]
    return strip_accents(" ".join(w for w in words if w)).lower()
