"""The catalogue of registration-card fields (EU Directive 1999/37/EC, French card).

Each field has its printed code, a meaning, a value kind that drives validation and
character-confusion repair, and whether it is critical (a wrong value would mislead the
parts search or the vehicle identity).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a field's value is typed and validated."""

    PLATE = "plate"
    VIN = "vin"
    DATE = "date"
    INT = "int"
    DECIMAL = "decimal"
    MONEY = "money"
    CLOSED = "closed"  # value from a closed list
    CODE = "code"  # uppercase alphanumeric code (type, CNIT, approval)
    TEXT = "text"  # free text (names, make, model, mentions)


@dataclass(frozen=True)
class FieldSpec:
    """One printed field: ``code`` (e.g. ``"D.2.1"``), meaning, value kind, bounds."""

    code: str
    meaning: str
    kind: Kind
    critical: bool = False
    low: float | None = None  # numeric range, inclusive
    high: float | None = None
    unit: str | None = None


_SPECS = [
    FieldSpec("A", "registration number (plate)", Kind.PLATE, critical=True),
    FieldSpec("B", "date of first registration", Kind.DATE, critical=True),
    FieldSpec("C.1", "holder (name and first names)", Kind.TEXT, critical=True),
    FieldSpec("C.4a", "owner mention (is or is not the owner)", Kind.TEXT),
    FieldSpec("C.4.1", "co-holders", Kind.TEXT),
    FieldSpec("C.3", "holder address", Kind.TEXT),
    FieldSpec("D.1", "make", Kind.TEXT, critical=True),
    FieldSpec("D.2", "type, variant, version", Kind.CODE),
    FieldSpec("D.2.1", "national type identification code (CNIT)", Kind.CODE),
    FieldSpec("D.3", "commercial name", Kind.TEXT, critical=True),
    FieldSpec("E", "vehicle identification number (VIN)", Kind.VIN, critical=True),
    FieldSpec(
        "F.1",
        "technically permissible maximum laden mass",
        Kind.INT,
        low=100,
        high=60000,
        unit="kg",
    ),
    FieldSpec(
        "F.2", "permissible maximum laden mass in service", Kind.INT, low=100, high=60000, unit="kg"
    ),
    FieldSpec(
        "F.3",
        "permissible maximum laden mass of the whole vehicle",
        Kind.INT,
        low=100,
        high=90000,
        unit="kg",
    ),
    FieldSpec("G", "mass in service with bodywork", Kind.INT, low=50, high=40000, unit="kg"),
    FieldSpec("G.1", "national empty mass", Kind.INT, low=50, high=40000, unit="kg"),
    FieldSpec("H", "period of validity", Kind.TEXT),
    FieldSpec("I", "date of this registration", Kind.DATE),
    FieldSpec("J", "vehicle category (EC)", Kind.CLOSED),
    FieldSpec("J.1", "national genre", Kind.CLOSED),
    FieldSpec("J.2", "EC bodywork", Kind.CLOSED),
    FieldSpec("J.3", "national bodywork", Kind.CLOSED),
    FieldSpec("K", "type-approval number", Kind.CODE),
    FieldSpec("P.1", "engine capacity", Kind.INT, low=40, high=20000, unit="cm3"),
    FieldSpec("P.2", "maximum net power", Kind.INT, low=1, high=1500, unit="kW"),
    FieldSpec("P.3", "fuel or power source", Kind.CLOSED),
    FieldSpec(
        "P.6",
        "national administrative power (fiscal horsepower)",
        Kind.INT,
        critical=True,
        low=1,
        high=200,
        unit="CV",
    ),
    FieldSpec("Q", "power/weight ratio", Kind.DECIMAL, low=0, high=1, unit="kW/kg"),
    FieldSpec("S.1", "number of seats including the driver", Kind.INT, low=1, high=99),
    FieldSpec("S.2", "number of standing places", Kind.INT, low=0, high=200),
    FieldSpec("U.1", "stationary noise level", Kind.INT, low=30, high=120, unit="dB(A)"),
    FieldSpec("U.2", "engine speed of the noise test", Kind.INT, low=500, high=15000, unit="min-1"),
    FieldSpec("V.7", "CO2 emissions", Kind.INT, low=0, high=999, unit="g/km"),
    FieldSpec("V.9", "environmental class (EC)", Kind.CLOSED),
    FieldSpec("X.1", "date of the next technical inspection", Kind.DATE),
    FieldSpec("Y.1", "regional tax", Kind.MONEY, low=0, high=100000, unit="EUR"),
    FieldSpec("Y.2", "professional training tax", Kind.MONEY, low=0, high=100000, unit="EUR"),
    FieldSpec("Y.3", "CO2 / pollution tax", Kind.MONEY, low=0, high=100000, unit="EUR"),
    FieldSpec("Y.4", "management tax", Kind.MONEY, low=0, high=100000, unit="EUR"),
    FieldSpec("Y.5", "routing fee", Kind.MONEY, low=0, high=100000, unit="EUR"),
    FieldSpec("Y.6", "total price of the card", Kind.MONEY, low=0, high=200000, unit="EUR"),
    FieldSpec("Z.1", "special mention 1", Kind.TEXT),
    FieldSpec("Z.2", "special mention 2", Kind.TEXT),
    FieldSpec("Z.3", "special mention 3", Kind.TEXT),
    FieldSpec("Z.4", "special mention 4", Kind.TEXT),
]

FIELDS: dict[str, FieldSpec] = {spec.code: spec for spec in _SPECS}
CRITICAL_CODES: tuple[str, ...] = tuple(s.code for s in _SPECS if s.critical)
# Fields whose wrong value must always be flagged: the vehicle's identity and the type codes
# (D.2, D.2.1) that select its parts.
FLAGGED_WHEN_WRONG: tuple[str, ...] = CRITICAL_CODES + ("D.2.1", "D.2")

# Closed lists (values printed on French cards).
CATEGORIES = (
    "M1",
    "M2",
    "M3",
    "N1",
    "N2",
    "N3",
    "O1",
    "O2",
    "O3",
    "O4",
    "L1E",
    "L2E",
    "L3E",
    "L4E",
    "L5E",
    "L6E",
    "L7E",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
)
GENRES = (
    "VP",
    "CTTE",
    "CAM",
    "TCP",
    "TRR",
    "REM",
    "SREM",
    "RESP",
    "TM",
    "MTL",
    "MTT1",
    "MTT2",
    "CL",
    "CYCL",
    "QM",
    "VASP",
    "DERIV-VP",
    "TRA",
    "MAGA",
)
EC_BODIES = (
    "AA",
    "AB",
    "AC",
    "AD",
    "AE",
    "AF",
    "BA",
    "BB",
    "BC",
    "BD",
    "SA",
    "SB",
    "SC",
    "SD",
    "DA",
    "DB",
    "DC",
)
NATIONAL_BODIES = (
    "CI",
    "BREAK",
    "COUPE",
    "CABRIOL",
    "FOURGON",
    "PLATEAU",
    "BENNE",
    "TOUS TERRAIN",
    "MINIBUS",
    "CAMP",
    "DEPANNEUS",
    "BETAIL",
    "MONOSPACE",
    "BERLINE",
    "CABRIOLET",
    "CAMIONNETTE",
    "PICK UP",
    "TS TERRAIN",
    "LIMOUSINE",
    "COMBISPACE",
    "FOURG",
    "BUS",
    "AUTOCAR",
    "TRACTEUR",
)
FUELS = (
    "ES",
    "GO",
    "EL",
    "EE",
    "EH",
    "GL",
    "GH",
    "GP",
    "FE",
    "EG",
    "GN",
    "GZ",
    "H2",
    "EN",
    "EM",
    "FL",
    "FH",
)
ENV_CLASSES = (
    "70/220*2001/100EURO3",
    "70/220*2003/76EURO4",
    "70/220*2006/96EURO4",
    "715/2007*692/2008EURO5",
    "715/2007*566/2011EURO5",
    "715/2007*459/2012EURO6",
    "715/2007*136/2014EURO6",
    "715/2007*2017/1151EURO6",
    "715/2007*2018/1832EURO6D-TEMP",
    "715/2007*2018/1832EURO6D",
    "715/2007*2018/1832EURO6DG",
    "2023/1329EURO6E",
    "168/2013*134/2014EURO4",
    "595/2009*133/2014EURO6",
)
CLOSED_LISTS: dict[str, tuple[str, ...]] = {
    "J": CATEGORIES,
    "J.1": GENRES,
    "J.2": EC_BODIES,
    "J.3": NATIONAL_BODIES,
    "P.3": FUELS,
    "V.9": ENV_CLASSES,
}

# World manufacturer identifiers (VIN positions 1-3) of the makes we know, so that the VIN
# can be cross-checked against D.1. A make absent here is not checked.
MAKE_WMIS: dict[str, tuple[str, ...]] = {
    "RENAULT": ("VF1", "VF6", "VF8"),
    "PEUGEOT": ("VF3", "VR3"),
    "CITROEN": ("VF7", "VR7"),
    "DS": ("VR1", "VF7"),
    "DACIA": ("UU1", "VGA"),
    "VOLKSWAGEN": ("WVW", "WVG", "WV1", "WV2"),
    "AUDI": ("WAU", "WUA", "TRU"),
    "BMW": ("WBA", "WBS", "WBY"),
    "MERCEDES-BENZ": ("WDD", "WDB", "W1K", "WDC"),
    "OPEL": ("W0L", "W0V", "VXK"),
    "FORD": ("WF0", "VS6"),
    "FIAT": ("ZFA", "ZFC"),
    "TOYOTA": ("VNK", "JTD", "SB1", "JTN"),
    "NISSAN": ("SJN", "VSK", "JN1"),
    "SEAT": ("VSS",),
    "SKODA": ("TMB",),
    "HYUNDAI": ("TMA", "KMH", "NLH"),
    "KIA": ("U5Y", "KNA", "KNE"),
    "TESLA": ("5YJ", "LRW", "XP7"),
    "VOLVO": ("YV1",),
    "MINI": ("WMW",),
    "SUZUKI": ("TSM", "JSA"),
    "ALFA ROMEO": ("ZAR",),
    "JEEP": ("1C4", "ZAC"),
    "LAND ROVER": ("SAL",),
    "MAZDA": ("JMZ",),
    "MITSUBISHI": ("JMB", "JA3"),
    "PORSCHE": ("WP0", "WP1"),
    "SMART": ("WME",),
    "HONDA": ("JHM", "SHH"),
    "LEXUS": ("JTH",),
    "JAGUAR": ("SAJ",),
    "SUBARU": ("JF1",),
    "LANCIA": ("ZLA",),
    "CUPRA": ("VSS",),
    "MG": ("LSJ",),
    "IVECO": ("ZCF",),
    # Makes known by name whose maker codes we do not list (the VIN is not checked).
    "ALPINE": (),
    "CHEVROLET": (),
    "CHRYSLER": (),
    "DODGE": (),
    "LADA": (),
    "MASERATI": (),
    "FERRARI": (),
    "LAMBORGHINI": (),
    "SSANGYONG": (),
    "BYD": (),
    "POLESTAR": (),
    "PIAGGIO": (),
    "YAMAHA": (),
    "LIGIER": (),
    "AIXAM": (),
    "MICROCAR": (),
}
