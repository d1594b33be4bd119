"""What a trouble code means, in English and French.

Texts come from, in this order:

1. NovaEvo's own tables in ``obdcore/data/`` (``dtc_texts.csv`` for hand-written codes,
   ``dtc_families.csv`` x ``dtc_fault_sequences.csv`` for the regular families such as
   misfire per cylinder or oxygen sensors per bank and sensor); English and French.
2. python-obd's English table (the one third-party table obdcore uses at run time; read,
   never copied, because it is GPL). It lives in the I/O layer so that the sans-I/O core
   stays on the standard library, numpy and Cython.
3. The code's structure (SAE J2012 / ISO 15031-6): its letter gives the system, its second
   character whether the range is generic, manufacturer-specific or reserved, its third
   (for the P0/P2/P34/U0 ranges) the subgroup. A code without a known text gets a sentence
   built from these, so that a caller never shows a blank.

:func:`describe_dtc` returns the text only (``None`` for a string that is not a code);
:func:`explain_dtc` returns a :class:`DtcExplanation` and raises :class:`DtcCodeError` for
a malformed code.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

from obdcore.errors import ArgumentError

LANGUAGES = ("en", "fr")

#: a five-character code: letter, 0-3, three hexadecimal digits (SAE J2012 format)
_CODE = re.compile(r"[PCBU][0-3][0-9A-F]{3}")


class DtcCodeError(ArgumentError):
    """A string that is not a trouble code (``P0301``: P/C/B/U, a digit 0-3, three
    hexadecimal digits), or a language that has no texts."""


class DtcKind(StrEnum):
    """Where a code sits in the SAE J2012 ranges, and whether a text is known for it."""

    GENERIC = "generic"  #: ISO/SAE-defined, same meaning on every make; text known
    UNKNOWN_GENERIC = "unknown_generic"  #: in an ISO/SAE range, but no text known here
    MANUFACTURER_SPECIFIC = "manufacturer_specific"  #: meaning depends on the make
    RESERVED = "reserved"  #: range kept by ISO/SAE for future codes


class DtcSystem(StrEnum):
    POWERTRAIN = "powertrain"
    CHASSIS = "chassis"
    BODY = "body"
    NETWORK = "network"


class DtcSource(StrEnum):
    NOVAEVO = "novaevo"  #: NovaEvo's own tables (obdcore/data/dtc_*.csv)
    PYTHON_OBD = "python-obd"  #: python-obd's English table
    STRUCTURE = "structure"  #: no text known: a sentence built from the code's ranges


@dataclass(frozen=True, slots=True)
class DtcExplanation:
    """One code explained. ``text`` is never empty; ``subgroup`` is the subsystem the code's
    range belongs to (``"fuel and air metering"``) when the structure tells, else None."""

    code: str
    text: str
    kind: DtcKind
    system: DtcSystem
    source: DtcSource
    lang: str
    subgroup: str | None = None


_SYSTEMS = {
    "P": DtcSystem.POWERTRAIN,
    "C": DtcSystem.CHASSIS,
    "B": DtcSystem.BODY,
    "U": DtcSystem.NETWORK,
}
_SYSTEM_NAMES = {
    DtcSystem.POWERTRAIN: {"en": "powertrain", "fr": "du groupe motopropulseur"},
    DtcSystem.CHASSIS: {"en": "chassis", "fr": "de châssis"},
    DtcSystem.BODY: {"en": "body", "fr": "de carrosserie"},
    DtcSystem.NETWORK: {"en": "network", "fr": "du réseau de communication"},
}


# ------------------------------------------------------------------------------ input


def normalize_code(code: str) -> str:
    """``" p0301 "`` -> ``"P0301"``; :class:`DtcCodeError` when it is not a code."""
    if not isinstance(code, str):
        raise DtcCodeError(f"a trouble code is a string such as P0301, not {type(code).__name__}")
    text = code.strip().upper()
    if not _CODE.fullmatch(text):
        raise DtcCodeError(
            f"{code!r} is not a trouble code: expected a letter P, C, B or U, a digit 0-3 "
            "and three hexadecimal digits (P0301, U0100, C1A2F)"
        )
    return text


def _language(lang: str) -> str:
    """``"fr"``, ``"FR"``, ``"fr-FR"``, ``"fr_CA"`` -> ``"fr"``; others are an error."""
    primary = re.split(r"[-_]", str(lang).strip().lower(), maxsplit=1)[0]
    if primary not in LANGUAGES:
        raise DtcCodeError(f"no trouble-code texts in language {lang!r}: use en or fr")
    return primary


# ---------------------------------------------------------------------------- ranges


def code_kind(code: str) -> DtcKind:
    """The range ``code`` (normalized) sits in, per SAE J2012 / ISO 15031-6; GENERIC here
    means "an ISO/SAE range" (whether a text is known is decided by :func:`explain_dtc`).

    P0, P2 and P3400-P3FFF are ISO/SAE; P1 and P3000-P33FF the manufacturer's. For B, C and
    U: 0 is ISO/SAE, 1 and 2 the manufacturer's, 3 reserved by ISO/SAE."""
    letter, second = code[0], code[1]
    if second == "0":
        return DtcKind.GENERIC
    if letter == "P":
        if second == "2":
            return DtcKind.GENERIC
        if second == "3":
            return DtcKind.GENERIC if code[2] in "456789ABCDEF" else DtcKind.MANUFACTURER_SPECIFIC
        return DtcKind.MANUFACTURER_SPECIFIC
    return DtcKind.RESERVED if second == "3" else DtcKind.MANUFACTURER_SPECIFIC


def _subgroup(code: str, lang: str) -> str | None:
    if code_kind(code) is not DtcKind.GENERIC:
        return None  # a manufacturer's range is laid out as the make chooses
    names = _groups().get(code[:3])
    return names[lang] if names else None


# ------------------------------------------------------------------------------ data


def _data_rows(name: str) -> list[dict[str, str]]:
    """Rows of ``obdcore/data/<name>``, the ``#`` comment lines at its top skipped."""
    text = resources.files("obdcore").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    for number, row in enumerate(rows, 2):
        # an unquoted comma in a text gives a row too many fields; a missing one too few
        if None in row or None in row.values():
            raise ValueError(f"obdcore/data/{name}: data row {number} has the wrong field count")
    return rows


@cache
def _groups() -> dict[str, dict[str, str]]:
    return {
        row["prefix"]: {"en": row["en"], "fr": row["fr"]} for row in _data_rows("dtc_groups.csv")
    }


@cache
def own_texts() -> dict[str, dict[str, str]]:
    """Code -> {"en": ..., "fr": ...} from NovaEvo's tables (an empty "en" defers to
    python-obd's English; "en_spare": our English for when python-obd has none). The
    hand-written table wins over a family."""
    texts = _family_texts() | _module_texts()
    for row in _data_rows("dtc_texts.csv"):
        texts[row["code"]] = {"en": row["en"], "fr": row["fr"]}
    return texts


def _family_texts() -> dict[str, dict[str, str]]:
    sequences: dict[str, list[dict[str, str]]] = {}
    for row in _data_rows("dtc_fault_sequences.csv"):
        sequences.setdefault(row["sequence"], []).append(row)
    texts = {}
    for family in _data_rows("dtc_families.csv"):
        faults = sorted(sequences[family["sequence"]], key=lambda f: int(f["offset"]))
        # the generic families count in decimal (P0136 -> P0141), never through A-F
        first = int(family["first"][1:], 10)
        for index in range(int(family["count"])):
            names = {"n": index + 1, "letter": chr(ord("A") + index)}
            for fault in faults:
                number = first + index * len(faults) + int(fault["offset"])
                code = f"{family['first'][0]}{number:04d}"
                text = {
                    lang: _join(family[lang].format(**names), fault[lang], lang)
                    for lang in LANGUAGES
                }
                if family["precise"] != "yes":  # python-obd's English first, ours if none
                    text["en_spare"], text["en"] = text["en"], ""
                texts[code] = text
    return texts


def _join(component: str, fault: str, lang: str) -> str:
    """ "Oxygen sensor bank 1 sensor 1" + "slow response" -> "...: slow response" (French
    typography puts a space before the colon)."""
    if not fault:
        return component
    return f"{component} : {fault}" if lang == "fr" else f"{component}: {fault}"


#: how each kind of network code speaks of its module ({m}: the module's name)
_MODULE_PHRASES = {
    "lost": {"en": "Lost communication with {m}", "fr": "Perte de communication avec {m}"},
    "software": {"en": "Software incompatibility with {m}", "fr": "Logiciel incompatible avec {m}"},
    "invalid": {"en": "Invalid data received from {m}", "fr": "Données invalides reçues {de_m}"},
}


def _module_texts() -> dict[str, dict[str, str]]:
    modules = {row["module"]: row for row in _data_rows("dtc_modules.csv")}
    texts = {}
    for row in _data_rows("dtc_module_codes.csv"):
        module, phrases = modules[row["module"]], _MODULE_PHRASES[row["kind"]]
        first = int(row["first"][1:], 10)
        for index in range(int(row["count"])):
            letter = chr(ord("A") + index)
            names = {lang: module[lang].format(letter=letter) for lang in LANGUAGES}
            texts[f"U{first + index:04d}"] = {
                "en": phrases["en"].format(m=names["en"]),
                "fr": phrases["fr"].format(m=names["fr"], de_m=_of(names["fr"])),
            }
    return texts


def _of(name: str) -> str:
    """French "de" before a name with its article: "de le" -> "du", "de les" -> "des"."""
    if name.startswith("le "):
        return "du " + name[3:]
    if name.startswith("les "):
        return "des " + name[4:]
    return "de " + name


@cache
def _python_obd_texts() -> dict[str, str]:
    """python-obd's ~2,000 generic descriptions (its ``obd/codes.py``, one dict).

    The module is loaded from its file alone: importing it through the ``obd`` package
    would run the whole package and pint first (~0.3 s, and pint's warnings) for a table.
    """
    import importlib.util

    package = importlib.util.find_spec("obd")  # finds the package without running it
    if package is None or not package.submodule_search_locations:
        raise ImportError("python-obd (the obd package) is not installed")
    path = Path(package.submodule_search_locations[0]) / "codes.py"
    spec = importlib.util.spec_from_file_location("_python_obd_codes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.DTC)


# --------------------------------------------------------------------------- answers


def explain_dtc(code: str, lang: str = "en") -> DtcExplanation:
    """``code`` explained in ``lang`` (en or fr, any case, ``fr-FR`` accepted).

    :class:`DtcCodeError` for a malformed code or an unknown language."""
    code = normalize_code(code)
    lang = _language(lang)
    kind = code_kind(code)
    system = _SYSTEMS[code[0]]
    subgroup = _subgroup(code, lang)
    own = own_texts().get(code, {})
    english = _python_obd_texts().get(code) if kind is DtcKind.GENERIC else None
    if english and english.startswith("Reserved"):  # python-obd lists some reserved codes
        kind, english = DtcKind.RESERVED, None

    def answer(text: str, source: DtcSource, kind: DtcKind = kind) -> DtcExplanation:
        return DtcExplanation(code, text, kind, system, source, lang, subgroup)

    if own.get(lang):
        return answer(own[lang], DtcSource.NOVAEVO)
    if english:  # python-obd has it in English (only)
        if lang == "en":
            return answer(english, DtcSource.PYTHON_OBD)
        return answer(_in_english_only(code, english, subgroup), DtcSource.PYTHON_OBD)
    if lang == "en" and own.get("en_spare"):
        return answer(own["en_spare"], DtcSource.NOVAEVO)
    if kind is DtcKind.GENERIC:
        kind = DtcKind.UNKNOWN_GENERIC
    return answer(_fallback(code, kind, system, subgroup, lang), DtcSource.STRUCTURE, kind)


def describe_dtc(code: str, lang: str = "en") -> str | None:
    """The text of ``code`` (``"P0301"``, any case) in ``lang``: its description when one
    is known, else a sentence saying what its range tells (manufacturer-specific, reserved,
    generic but not in our tables), never blank. None when ``code`` is not a trouble code;
    :class:`DtcCodeError` for an unknown language."""
    lang = _language(lang)
    try:
        return explain_dtc(code, lang).text
    except DtcCodeError:
        return None


def _in_english_only(code: str, english: str, subgroup: str | None) -> str:
    where = f" ({subgroup})" if subgroup else ""
    return f"Code générique {code}{where}, description disponible en anglais : {english}"


def _fallback(code: str, kind: DtcKind, system: DtcSystem, subgroup: str | None, lang: str) -> str:
    system_name = _SYSTEM_NAMES[system][lang]
    pattern = f"{code[:2]}xxx"
    if kind is DtcKind.MANUFACTURER_SPECIFIC:
        if lang == "fr":
            return (
                f"Code {system_name} propre au constructeur ({pattern}) : sa signification "
                "dépend de la marque ; consultez la documentation du constructeur"
            )
        return (
            f"Manufacturer-specific {system_name} code ({pattern}): the meaning depends on "
            "the make; check the manufacturer's documentation"
        )
    if kind is DtcKind.RESERVED:
        # a reserved code inside a generic range (U0080) is named; a reserved range by pattern
        pattern = code if code[1] == "0" else pattern
        if lang == "fr":
            return (
                f"Code {system_name} réservé par l'ISO/SAE ({pattern}) : aucune signification "
                "normalisée ; consultez la documentation du constructeur"
            )
        return (
            f"{system_name.capitalize()} code reserved by ISO/SAE ({pattern}): no standard "
            "meaning; check the manufacturer's documentation"
        )
    if lang == "fr":
        where = f", sous-groupe « {subgroup} »" if subgroup else ""
        return (
            f"Code générique {system_name} ({pattern}{where}) : description non disponible "
            "ici ; sa signification est la même pour toutes les marques (norme SAE J2012)"
        )
    where = f", {subgroup}" if subgroup else ""
    return (
        f"Generic {system_name} code ({pattern}{where}): no description available here; "
        "it means the same on every make (SAE J2012)"
    )
