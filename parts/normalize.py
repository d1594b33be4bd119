"""Canonical spellings of numbers, brands, plates and VINs.

Catalogue numbers arrive as ``0 280 218 119``, ``0280-218-119`` or ``0280.218.119``; they
are stored once as written and once normalised (upper case, letters and digits only), and
every lookup compares normalised forms, so any spelling finds the same part.
"""

from __future__ import annotations

import re
import unicodedata

from obdcore import vin as vin_codec
from parts.errors import InvalidPlateError, InvalidVinError

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
# Longer "words" are not indexed: nobody types them, and PostgreSQL refuses a lexeme over
# 2,047 bytes. Article and OE numbers are at most 64 characters, so they always are.
MAX_WORD_CHARS = 64
_SPACES = re.compile(r"\s+")
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
    """Upper-case a VIN, drop spaces, and check the ISO 3779 alphabet and length
    (obdcore.vin, the one VIN decoder).

    Raises: InvalidVinError when it is not 17 characters of 0-9/A-Z without I, O, Q.
    """
    try:
        return vin_codec.normalize(vin)
    except vin_codec.VinError as exc:
        raise InvalidVinError(str(exc)) from None


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


def search_words(text: str) -> list[str]:
    """The words of ``text`` as free-text search sees them: runs of letters and digits,
    lower case, without accents (``"Thermostat 89°C, Citroën"`` ->
    ``["thermostat", "89", "c", "citroen"]``). Indexing and queries both cut text here."""
    return _WORD.findall(strip_accents(text).lower())


def build_search_text(
    brand: str,
    article_number: str,
    name: str,
    type_label: str,
    attributes: dict | None = None,
    number_norm: str | None = None,
) -> str:
    """The words free-text search finds one part by: distinct, in order, space-separated.

    The normalised number is included so that ``0280218119`` finds ``0 280 218 119``;
    pass it as ``number_norm`` when already known (the importer does, a million times).
    The text is stored already cut into words so that the database need not parse it:
    PostgreSQL turns it into its ``tsvector`` with ``string_to_array``, six times cheaper
    per article than its text parser (``to_tsvector``), and SQLite's FTS5 finds the same
    words in it (BENCHMARKS.md, parts import).
    """
    values = [str(v) for v in (attributes or {}).values() if isinstance(v, (str, int, float))]
    if number_norm is None:
        number_norm = normalize_number(article_number)
    text = " ".join(w for w in (brand, article_number, number_norm, name, type_label, *values) if w)
    words = (w for w in search_words(text) if len(w) <= MAX_WORD_CHARS)
    return " ".join(dict.fromkeys(words))
