"""The one VIN decoder (ISO 3779), offline: check digit, model year, maker (WMI), plant.

Used by ``novaevo info``, the parts catalogue's vehicle identification, the card OCR's
validators and the API's ``/vehicles`` (each delegates here). Pure: no I/O; the maker
and plant tables beyond our own come from the ``vininfo`` package's offline data.

A VIN is 17 characters of ``0-9 A-Z`` without I, O, Q: WMI (1-3, the maker), VDS (4-9),
VIS (10-17: model year at 10, plant at 11). The position-9 check digit and the model-year
letter are mandatory in North America only: many European VINs fail the first and fill
the second freely, so both are signals, never grounds to reject.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

VIN_LENGTH = 17
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_SEPARATORS = re.compile(r"[\s-]+")

# Letter (or digit) -> value for the check digit (ISO 3779 Annex / 49 CFR 565.15).
_TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 1980 (A) ... 2009 (9), then again from 2010

# WMIs whose maker name we want exactly as the parts catalogue spells makes; other WMIs
# fall back to vininfo's offline table.
WMI_MAKES: dict[str, str] = {
    "VF1": "RENAULT",
    "VF3": "PEUGEOT",
    "VR3": "PEUGEOT",
    "VF7": "CITROEN",
    "VR7": "CITROEN",
    "UU1": "DACIA",
    "WVW": "VOLKSWAGEN",
    "WV1": "VOLKSWAGEN",
    "WV2": "VOLKSWAGEN",
    "WF0": "FORD",
    "W0L": "OPEL",
    "W0V": "OPEL",
    "ZFA": "FIAT",
    "VSS": "SEAT",
    "TMB": "SKODA",
    "WBA": "BMW",
    "WDD": "MERCEDES-BENZ",
    "WAU": "AUDI",
    "VNK": "TOYOTA",
    "SJN": "NISSAN",
}


class VinError(ValueError):
    """Text that is not a VIN (17 characters of 0-9/A-Z without I, O, Q)."""


@dataclass(frozen=True)
class VinDecoding:
    """What a VIN says by itself. ``model_years``: candidates, latest first (position 10
    repeats every 30 years); ``make``: upper case, None when the WMI is unknown."""

    vin: str
    wmi: str
    make: str | None
    model_years: list[int] = field(default_factory=list)
    check_digit_ok: bool = False
    plant: str | None = None
    country: str | None = None

    @property
    def model_year(self) -> int | None:
        """The most likely model year: the latest candidate (None when none)."""
        return self.model_years[0] if self.model_years else None

    def document(self) -> dict:
        """As plain JSON data."""
        return {
            "vin": self.vin,
            "wmi": self.wmi,
            "make": self.make,
            "model_years": list(self.model_years),
            "model_year": self.model_year,
            "check_digit_ok": self.check_digit_ok,
            "plant": self.plant,
            "country": self.country,
        }


def normalize(text: str) -> str:
    """``text`` upper-cased without spaces or dashes; :class:`VinError` unless it is then
    17 characters of the VIN alphabet."""
    cleaned = _SEPARATORS.sub("", text or "").upper()
    if not _VIN.match(cleaned):
        raise VinError(f"not a VIN: {text[:40]!r} (expected 17 letters/digits, never I, O or Q)")
    return cleaned


def is_vin(text: str) -> bool:
    """True when ``text`` (as given, upper case) is 17 characters of the VIN alphabet."""
    return bool(_VIN.match(text or ""))


def check_digit(vin: str) -> str:
    """The position-9 check digit ``vin`` should carry (``0``-``9`` or ``X``)."""
    total = sum(_TRANSLITERATION[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def check_digit_ok(vin: str) -> bool:
    """True when ``vin`` is a VIN and position 9 holds its check digit (False otherwise,
    malformed text included)."""
    return is_vin(vin) and vin[8] == check_digit(vin)


def model_years(vin: str, today: dt.date | None = None) -> list[int]:
    """Candidate model years from position 10, latest first, none later than next year.

    North American VINs (WMI starting 1-5) of cars and light trucks settle the 30-year
    cycle with position 7: a digit means 1980-2009, a letter 2010-2039 (49 CFR 565.15).
    """
    letter = vin[9] if len(vin) >= 10 else ""
    if not letter or letter not in _YEAR_CODES:
        return []
    first = 1980 + _YEAR_CODES.index(letter)
    latest = (today or dt.date.today()).year + 1
    years = [year for year in (first, first + 30, first + 60) if year <= latest]
    if vin[0] in "12345" and len(vin) >= 7:
        modern = vin[6].isalpha()
        years = [year for year in years if (year >= 2010) == modern] or years
    return sorted(years, reverse=True)


def wmi_make(wmi: str) -> str | None:
    """The maker of a WMI, upper case: our table first, then vininfo's offline one."""
    if wmi in WMI_MAKES:
        return WMI_MAKES[wmi]
    details = _vininfo(wmi + "0" * 14)
    name = getattr(details, "manufacturer", None) if details is not None else None
    return None if not name or name == "UnsupportedBrand" else str(name).upper()


def plant(vin: str) -> str | None:
    """The assembly plant position 11 names, where vininfo knows the maker's codes."""
    details = _vininfo(vin)
    try:
        where = getattr(details.details, "plant", None) if details is not None else None
    except Exception:  # noqa: BLE001 - vininfo's per-maker decoders raise several types
        return None
    name = getattr(where, "name", None)  # vininfo knows the code but not always its name
    return f"{name} ({where.code})" if name else None


def country(vin: str) -> str | None:
    """The country the WMI is assigned to (vininfo's table), None when unknown."""
    details = _vininfo(vin)
    name = getattr(details, "country", None) if details is not None else None
    return str(name) if name else None


def decode(text: str, today: dt.date | None = None) -> VinDecoding:
    """Everything the VIN ``text`` says offline; :class:`VinError` when it is not one."""
    vin = normalize(text)
    return VinDecoding(
        vin=vin,
        wmi=vin[:3],
        make=wmi_make(vin[:3]),
        model_years=model_years(vin, today),
        check_digit_ok=check_digit_ok(vin),
        plant=plant(vin),
        country=country(vin),
    )


def _vininfo(vin: str):
    """vininfo's ``Vin`` for ``vin``, or None when it refuses it (or is not installed)."""
    try:
        from vininfo import Vin

        return Vin(vin)
    except Exception:  # noqa: BLE001 - vininfo raises several types for unknown input
        return None
