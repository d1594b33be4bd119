"""Realistic, mutually consistent field values for one French registration card.

Everything is drawn from one `random.Random`, so a seed always gives the same vehicle,
holder and taxes. The catalogue is written from general knowledge of cars sold in France
(no data file): makes, commercial names, world manufacturer identifiers, engines.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from .mrz import build_mrz

# Letters that French plates and VINs may carry.
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # no I, O, U
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 1980=A ... 2000=Y, 2001=1 ..., 2010=A


@dataclass(frozen=True)
class Engine:
    """One engine offer of a model: fuel code (P.3), cc (P.1), kW (P.2), CO2 g/km."""

    fuel: str
    cc: int
    kw: int
    co2: int


@dataclass(frozen=True)
class Model:
    """A model as printed on the card, with what identifies its maker."""

    make: str
    name: str
    wmis: tuple[str, ...]
    maker3: str
    approval_country: int
    bodies: tuple[tuple[str, str], ...]  # (J.2, J.3)
    genre: str  # J.1
    kerb: int  # kg
    seats: tuple[int, ...]
    engines: tuple[Engine, ...]
    years: tuple[int, int]


E = Engine
VP_BODIES = (("AB", "CI"), ("AA", "CI"))
MODELS = (
    Model(
        "RENAULT",
        "CLIO",
        ("VF1",),
        "REN",
        2,
        VP_BODIES,
        "VP",
        1090,
        (5,),
        (
            E("ES", 898, 66, 118),
            E("GO", 1461, 66, 95),
            E("ES", 999, 67, 117),
            E("EH", 1598, 105, 96),
        ),
        (1998, 2024),
    ),
    Model(
        "RENAULT",
        "MEGANE",
        ("VF1",),
        "REN",
        2,
        (("AB", "CI"), ("AC", "BREAK")),
        "VP",
        1280,
        (5,),
        (E("GO", 1461, 81, 104), E("ES", 1332, 103, 128), E("GO", 1749, 85, 112)),
        (1999, 2023),
    ),
    Model(
        "RENAULT",
        "CAPTUR",
        ("VF1",),
        "REN",
        2,
        (("AF", "CI"),),
        "VP",
        1180,
        (5,),
        (E("ES", 999, 67, 125), E("GO", 1461, 70, 105), E("EE", 1598, 117, 34)),
        (2013, 2024),
    ),
    Model(
        "RENAULT",
        "ZOE",
        ("VF1",),
        "REN",
        2,
        (("AB", "CI"),),
        "VP",
        1480,
        (5,),
        (E("EL", 0, 80, 0), E("EL", 0, 65, 0)),
        (2013, 2023),
    ),
    Model(
        "RENAULT",
        "KANGOO",
        ("VF1",),
        "REN",
        2,
        (("BB", "FOURGON"),),
        "CTTE",
        1350,
        (2, 3),
        (E("GO", 1461, 55, 125), E("GO", 1461, 70, 130)),
        (1998, 2024),
    ),
    Model(
        "PEUGEOT",
        "208",
        ("VF3", "VR3"),
        "PGT",
        2,
        VP_BODIES,
        "VP",
        1090,
        (5,),
        (E("ES", 1199, 61, 108), E("ES", 1199, 74, 112), E("GO", 1499, 75, 98)),
        (2012, 2024),
    ),
    Model(
        "PEUGEOT",
        "E-208",
        ("VR3",),
        "PGT",
        2,
        (("AB", "CI"),),
        "VP",
        1455,
        (5,),
        (E("EL", 0, 100, 0),),
        (2019, 2024),
    ),
    Model(
        "PEUGEOT",
        "308",
        ("VF3", "VR3"),
        "PGT",
        2,
        (("AB", "CI"), ("AC", "BREAK")),
        "VP",
        1250,
        (5,),
        (E("ES", 1199, 96, 121), E("GO", 1560, 88, 105), E("GO", 1499, 96, 103)),
        (2007, 2024),
    ),
    Model(
        "PEUGEOT",
        "3008",
        ("VF3", "VR3"),
        "PGT",
        2,
        (("AF", "CI"),),
        "VP",
        1400,
        (5,),
        (E("GO", 1499, 96, 114), E("ES", 1199, 96, 128), E("EE", 1598, 165, 31)),
        (2009, 2024),
    ),
    Model(
        "PEUGEOT",
        "PARTNER",
        ("VF3", "VR3"),
        "PGT",
        2,
        (("BB", "FOURGON"),),
        "CTTE",
        1380,
        (2, 3),
        (E("GO", 1560, 66, 135), E("GO", 1499, 75, 139)),
        (1998, 2024),
    ),
    Model(
        "CITROEN",
        "C3",
        ("VF7", "VR7"),
        "CTR",
        2,
        VP_BODIES,
        "VP",
        1050,
        (5,),
        (E("ES", 1199, 61, 110), E("GO", 1560, 73, 95), E("ES", 1360, 54, 149)),
        (2002, 2024),
    ),
    Model(
        "CITROEN",
        "C4",
        ("VF7", "VR7"),
        "CTR",
        2,
        VP_BODIES,
        "VP",
        1270,
        (5,),
        (E("GO", 1560, 82, 109), E("ES", 1199, 96, 126)),
        (2004, 2024),
    ),
    Model(
        "CITROEN",
        "BERLINGO",
        ("VF7", "VR7"),
        "CTR",
        2,
        (("AF", "COMBISPACE"), ("BB", "FOURGON")),
        "VP",
        1400,
        (5, 7),
        (E("GO", 1560, 73, 124), E("GO", 1499, 96, 133)),
        (1998, 2024),
    ),
    Model(
        "VOLKSWAGEN",
        "GOLF",
        ("WVW",),
        "VWG",
        1,
        VP_BODIES + (("AC", "BREAK"),),
        "VP",
        1250,
        (5,),
        (E("ES", 1395, 90, 125), E("GO", 1968, 110, 119), E("GO", 1598, 85, 106)),
        (1998, 2024),
    ),
    Model(
        "VOLKSWAGEN",
        "POLO",
        ("WVW",),
        "VWG",
        1,
        VP_BODIES,
        "VP",
        1100,
        (5,),
        (E("ES", 999, 59, 113), E("GO", 1422, 55, 98)),
        (1998, 2024),
    ),
    Model(
        "VOLKSWAGEN",
        "T-ROC",
        ("WVG",),
        "VWG",
        1,
        (("AF", "CI"),),
        "VP",
        1300,
        (5,),
        (E("ES", 1498, 110, 137), E("GO", 1968, 110, 128)),
        (2017, 2024),
    ),
    Model(
        "TOYOTA",
        "YARIS",
        ("VNK", "JTD"),
        "TYT",
        11,
        VP_BODIES,
        "VP",
        1060,
        (5,),
        (E("EH", 1490, 68, 87), E("ES", 998, 51, 99), E("EH", 1497, 74, 82)),
        (1999, 2024),
    ),
    Model(
        "TOYOTA",
        "C-HR",
        ("SB1", "NMT"),
        "TYT",
        11,
        (("AF", "CI"),),
        "VP",
        1380,
        (5,),
        (E("EH", 1798, 90, 86), E("EH", 1987, 135, 110)),
        (2016, 2024),
    ),
    Model(
        "DACIA",
        "SANDERO",
        ("UU1",),
        "DAC",
        2,
        VP_BODIES,
        "VP",
        1010,
        (5,),
        (E("ES", 999, 54, 120), E("GO", 1461, 66, 105), E("EG", 999, 74, 115)),
        (2008, 2024),
    ),
    Model(
        "DACIA",
        "DUSTER",
        ("UU1",),
        "DAC",
        2,
        (("AF", "CI"),),
        "VP",
        1260,
        (5,),
        (E("GO", 1461, 85, 120), E("ES", 1332, 110, 138)),
        (2010, 2024),
    ),
    Model(
        "FIAT",
        "500",
        ("ZFA",),
        "FIA",
        3,
        (("AB", "CI"), ("AE", "CABRIOLET")),
        "VP",
        940,
        (4,),
        (E("ES", 1242, 51, 119), E("ES", 875, 63, 99)),
        (2007, 2024),
    ),
    Model(
        "FIAT",
        "PANDA",
        ("ZFA",),
        "FIA",
        3,
        (("AB", "CI"),),
        "VP",
        940,
        (4, 5),
        (E("ES", 1242, 51, 120), E("GO", 1248, 55, 104)),
        (2003, 2024),
    ),
    Model(
        "FORD",
        "FIESTA",
        ("WF0",),
        "FRD",
        13,
        VP_BODIES,
        "VP",
        1080,
        (5,),
        (E("ES", 998, 74, 114), E("GO", 1499, 63, 98), E("ES", 1242, 55, 129)),
        (2002, 2023),
    ),
    Model(
        "FORD",
        "FOCUS",
        ("WF0",),
        "FRD",
        13,
        (("AB", "CI"), ("AC", "BREAK")),
        "VP",
        1290,
        (5,),
        (E("ES", 999, 92, 121), E("GO", 1499, 88, 109), E("GO", 1560, 80, 115)),
        (1999, 2024),
    ),
    Model(
        "FORD",
        "TRANSIT CUSTOM",
        ("WF0",),
        "FRD",
        13,
        (("BB", "FOURGON"),),
        "CTTE",
        1850,
        (3,),
        (E("GO", 1995, 96, 175), E("GO", 2198, 74, 189)),
        (2012, 2024),
    ),
    Model(
        "OPEL",
        "CORSA",
        ("W0L", "VXK"),
        "OPL",
        4,
        VP_BODIES,
        "VP",
        1080,
        (5,),
        (E("ES", 1199, 55, 118), E("GO", 1248, 55, 99), E("ES", 1398, 66, 129)),
        (2000, 2024),
    ),
    Model(
        "BMW",
        "SERIE 1",
        ("WBA",),
        "BMW",
        1,
        (("AB", "CI"),),
        "VP",
        1360,
        (5,),
        (E("GO", 1995, 110, 117), E("ES", 1499, 103, 128)),
        (2004, 2024),
    ),
    Model(
        "MERCEDES",
        "CLASSE A",
        ("WDD", "W1K"),
        "MCD",
        1,
        (("AB", "CI"),),
        "VP",
        1370,
        (5,),
        (E("GO", 1461, 85, 108), E("ES", 1332, 100, 130)),
        (2004, 2024),
    ),
    Model(
        "SKODA",
        "OCTAVIA",
        ("TMB",),
        "SKD",
        8,
        (("AA", "CI"), ("AC", "BREAK")),
        "VP",
        1300,
        (5,),
        (E("GO", 1968, 110, 114), E("ES", 1498, 110, 126)),
        (2004, 2024),
    ),
    Model(
        "SEAT",
        "IBIZA",
        ("VSS",),
        "SEA",
        9,
        VP_BODIES,
        "VP",
        1100,
        (5,),
        (E("ES", 999, 70, 115), E("GO", 1598, 70, 105)),
        (2002, 2024),
    ),
    Model(
        "NISSAN",
        "QASHQAI",
        ("SJN",),
        "NSN",
        11,
        (("AF", "CI"),),
        "VP",
        1400,
        (5, 7),
        (E("GO", 1461, 81, 116), E("ES", 1332, 103, 135), E("GO", 1598, 96, 129)),
        (2007, 2024),
    ),
    Model(
        "KIA",
        "SPORTAGE",
        ("U5Y", "KNA"),
        "KIA",
        5,
        (("AF", "CI"),),
        "VP",
        1500,
        (5,),
        (E("GO", 1598, 100, 138), E("EH", 1598, 169, 127)),
        (2010, 2024),
    ),
    Model(
        "HYUNDAI",
        "TUCSON",
        ("TMA",),
        "HYU",
        11,
        (("AF", "CI"),),
        "VP",
        1500,
        (5,),
        (E("GO", 1598, 85, 130), E("EH", 1598, 169, 126)),
        (2015, 2024),
    ),
    Model(
        "TESLA",
        "MODEL 3",
        ("5YJ", "LRW"),
        "TSL",
        4,
        (("AA", "CI"),),
        "VP",
        1760,
        (5,),
        (E("EL", 0, 208, 0), E("EL", 0, 239, 0)),
        (2019, 2024),
    ),
)

SURNAMES = (
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANCOIS",
    "LEGRAND",
    "GAUTHIER",
    "N'DIAYE",
    "DA SILVA",
    "LE GOFF",
    "BENALI",
    "NGUYEN",
    "PERRIN-MARTY",
    "DE LA TOUR",
)
FIRST_NAMES = (
    "JEAN",
    "PIERRE",
    "MARIE",
    "SOPHIE",
    "NICOLAS",
    "JULIE",
    "THOMAS",
    "CAMILLE",
    "LUCAS",
    "LEA",
    "ANTOINE",
    "CHLOE",
    "MICHEL",
    "NATHALIE",
    "PHILIPPE",
    "ISABELLE",
    "ALAIN",
    "SYLVIE",
    "PATRICK",
    "CATHERINE",
    "KARIM",
    "FATIMA",
    "YANNICK",
    "MANON",
    "HUGO",
    "EMMA",
    "JEAN-PAUL",
    "ANNE-SOPHIE",
    "FRANCOISE",
    "GERARD",
    "MOHAMED",
    "SANDRINE",
    "OLIVIER",
    "AURELIE",
    "LOUIS",
    "CLAIRE",
    "MATHIEU",
    "ELODIE",
    "DIDIER",
    "VALERIE",
)
COMPANIES = (
    "SARL GARAGE DU CENTRE",
    "SAS TRANSPORTS MOREAU",
    "EURL PLOMBERIE LEROY",
    "SAS LOCA FLOTTE FRANCE",
    "SARL BATI RENOV 44",
    "SCI LES TILLEULS",
)
STREET_TYPES = ("RUE", "AVENUE", "BOULEVARD", "CHEMIN", "ALLEE", "IMPASSE", "PLACE", "ROUTE")
STREET_NAMES = (
    "DES LILAS",
    "JEAN JAURES",
    "VICTOR HUGO",
    "DE LA REPUBLIQUE",
    "DU GENERAL DE GAULLE",
    "PASTEUR",
    "DES ECOLES",
    "DU MOULIN",
    "DE LA GARE",
    "GAMBETTA",
    "DES TILLEULS",
    "DE L'EGLISE",
    "SAINT-EXUPERY",
    "DU 8 MAI 1945",
    "DES ACACIAS",
    "LOUIS ARAGON",
)
EXTRA_LINES = (
    "BAT B",
    "APPT 12",
    "RESIDENCE LES PINS",
    "LIEU DIT LA FORGE",
    "ESC 3 ETAGE 2",
    "BAT C APPT 204",
    "LES HAUTS DE SEINE",
    "CHEZ M DURAND",
)
CITIES = (
    ("75012", "PARIS"),
    ("69003", "LYON"),
    ("13008", "MARSEILLE"),
    ("31000", "TOULOUSE"),
    ("44000", "NANTES"),
    ("33800", "BORDEAUX"),
    ("59000", "LILLE"),
    ("67000", "STRASBOURG"),
    ("35000", "RENNES"),
    ("06100", "NICE"),
    ("34070", "MONTPELLIER"),
    ("92100", "BOULOGNE-BILLANCOURT"),
    ("42000", "SAINT-ETIENNE"),
    ("21000", "DIJON"),
    ("29200", "BREST"),
    ("63000", "CLERMONT-FERRAND"),
    ("95290", "L'ISLE-ADAM"),
    ("20000", "AJACCIO"),
    ("97400", "SAINT-DENIS"),
    ("51100", "REIMS"),
)
FNI_DEPARTMENTS = (
    "75",
    "69",
    "13",
    "31",
    "44",
    "33",
    "59",
    "67",
    "35",
    "06",
    "34",
    "92",
    "42",
    "21",
    "29",
    "63",
    "95",
    "2A",
    "2B",
    "974",
    "971",
    "01",
    "38",
    "76",
    "14",
)


def _date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


def _euros(amount: float) -> str:
    return f"{amount:.2f}".replace(".", ",")


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    days = max(0, (end - start).days)
    return start + dt.timedelta(days=rng.randint(0, days))


def siv_plate(rng: random.Random) -> str:
    """An SIV plate AA-123-AA: no I/O/U, neither pair SS, WW (provisional) avoided."""

    def pair() -> str:
        while True:
            p = rng.choice(PLATE_LETTERS[:8]) + rng.choice(PLATE_LETTERS)
            if p not in ("SS", "WW"):
                return p

    def tail() -> str:
        while True:
            p = rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS)
            if p not in ("SS", "WW"):
                return p

    return f"{pair()}-{rng.randint(1, 999):03d}-{tail()}"


def fni_plate(rng: random.Random) -> str:
    """An older FNI plate such as '1234 AB 75' (at most 9 characters without spaces)."""
    dept = rng.choice(FNI_DEPARTMENTS)
    n_letters = rng.choice((2, 2, 2, 3, 1))
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(n_letters))
    max_digits = 9 - len(dept) - n_letters
    digits = str(rng.randint(1, 10 ** min(4, max_digits) - 1))
    return f"{digits} {letters} {dept}"


def vin_check_digit(vin: str) -> str:
    """ISO 3779 / North-American position-9 check digit."""
    translit = {
        **{str(d): d for d in range(10)},
        **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
        **dict(zip("JKLMN", range(1, 6), strict=True)),
        "P": 7,
        "R": 9,
        **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
    }
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    total = sum(translit[c] * w for c, w in zip(vin, weights, strict=True))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    """A 17-character VIN: real-looking WMI, random VDS, model-year code, plant, serial."""
    vds = "".join(rng.choice(VIN_CHARS) for _ in range(6))
    year_code = VIN_YEAR_CODES[(year - 1980) % 30]
    plant = rng.choice(VIN_CHARS[:23])
    serial = f"{rng.randint(0, 999999):06d}"
    vin = wmi + vds + year_code + plant + serial
    if rng.random() < 0.4:  # some makers fill position 9 with the check digit
        cd = vin_check_digit(vin)
        vin = vin[:8] + ("0" if cd == "X" else cd) + vin[9:]
    return vin


def make_cnit(rng: random.Random, model: Model, year: int) -> str:
    """A CNIT: 15 characters (M10 + maker + VP + 7) since 2009, 12 before."""
    if year >= 2009:
        genre = "VP" if model.genre == "VP" else "CT"
        return (
            f"M10{model.maker3}{genre}{rng.randint(0, 999):03d}"
            f"{rng.choice(PLATE_LETTERS)}{rng.randint(0, 999):03d}"
        )
    return (
        f"M{model.maker3[:2]}{rng.randint(1000, 9999)}"
        f"{rng.choice(PLATE_LETTERS)}{rng.choice(PLATE_LETTERS)}{rng.randint(0, 999):03d}"
    )


def make_type_code(rng: random.Random) -> str:
    """D.2 type / variant / version, e.g. '5RBH1D6A/X' style alphanumerics."""
    alnum = PLATE_LETTERS + "0123456789"
    head = "".join(rng.choice(alnum) for _ in range(rng.randint(4, 6)))
    tail = "".join(rng.choice(alnum) for _ in range(rng.randint(3, 7)))
    return head + tail if rng.random() < 0.6 else f"{head}/{tail}"


def make_approval(rng: random.Random, model: Model, year: int) -> str:
    """K: EC whole-vehicle type approval such as e2*2007/46*0001*05."""
    if year >= 2021:
        number, ext = rng.randint(1, 99999), rng.randint(0, 12)
        return f"e{model.approval_country}*2018/858*{number:05d}*{ext:02d}"
    act = "2007/46" if year >= 2010 else "2001/116"
    return f"e{model.approval_country}*{act}*{rng.randint(1, 9999):04d}*{rng.randint(0, 30):02d}"


def env_class(rng: random.Random, year: int, fuel: str) -> str:
    """V.9: the emissions directive and Euro level of the vehicle's year."""
    if fuel == "EL":
        return rng.choice(("715/2007*2018/1832EL", "ZEV"))
    if year >= 2019:
        return rng.choice(("715/2007*2018/1832AP", "715/2007*2017/1347DG"))
    if year >= 2015:
        return rng.choice(("715/2007*136/2014W", "715/2007*195/2013EURO6B"))
    if year >= 2010:
        return rng.choice(("715/2007*566/2011EURO5", "715/2007*692/2008EURO5"))
    if year >= 2005:
        return "70/220*2003/76B"
    return rng.choice(("70/220*98/69B", "70/220*1999/102A"))


def fiscal_hp(kw: int, co2: int) -> int:
    """P.6 by the French 'puissance administrative' formula (CO2/45 + (kW/40)^1.6)."""
    return max(1, round(co2 / 45 + (kw / 40) ** 1.6))


def holder(rng: random.Random, genre: str) -> tuple[list[str], list[str]]:
    """C.1 lines (name, then first names) and C.3 address lines (1 to 3)."""
    if genre == "CTTE" and rng.random() < 0.5:
        name = [rng.choice(COMPANIES)]
    else:
        firsts = " ".join(rng.sample(FIRST_NAMES, rng.choice((1, 1, 2, 2, 3))))
        name = [rng.choice(SURNAMES), firsts]
    number = f"{rng.randint(1, 180)}{rng.choice(('', '', '', ' BIS', ' TER'))}"
    street = f"{number} {rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"
    postcode, city = rng.choice(CITIES)
    lines = [street]
    if rng.random() < 0.35:
        lines.append(rng.choice(EXTRA_LINES))
    lines.append(f"{postcode} {city}")
    return name, lines


def regional_tax(rng: random.Random, hp: int, fuel: str, genre: str) -> tuple[float, float, float]:
    """Y.1 (regional, per horse-power), Y.2 (professional training), Y.3 (CO2 malus)."""
    rate = rng.choice((27.0, 35.0, 42.0, 46.15, 51.2, 54.95, 60.0))
    y1 = 0.0 if fuel == "EL" else rate * hp
    y2 = rng.choice((34.0, 68.0, 0.0)) if genre == "CTTE" else 0.0
    y3 = rng.choice((0.0, 0.0, 0.0, 50.0, 260.0, 540.0, 1074.0))
    return y1, y2, y3


@dataclass
class CardValues:
    """Every printed field (code -> lines of its value; [] = empty) plus MRZ."""

    lines: dict[str, list[str]]
    formula: str
    mrz: tuple[str, str]

    def truth(self) -> dict[str, str]:
        """Ground truth: code -> value as printed, lines joined by one space."""
        out = {code: " ".join(v) for code, v in self.lines.items()}
        out["FORMULE"] = self.formula
        out["MRZ1"], out["MRZ2"] = self.mrz
        return out


def make_values(rng: random.Random, layout: str) -> CardValues:
    """Draw one vehicle, its holder and its registration, consistent across fields."""
    old = layout == "old"
    while True:
        model = rng.choice(MODELS)
        start, end = model.years
        if old:
            start, end = max(start, 1995), min(end, 2008)
        engines = [e for e in model.engines if not old or e.fuel in ("ES", "GO")]
        if start <= end and engines:
            break
    engine = rng.choice(engines)
    first_reg = _random_date(rng, dt.date(start, 1, 1), dt.date(end, 12, 28))
    last_day = dt.date(2009, 4, 14) if old else dt.date(2026, 10, 31)
    this_reg = first_reg if rng.random() < 0.4 else _random_date(rng, first_reg, last_day)
    if not old and this_reg < dt.date(2009, 4, 15):
        this_reg = _random_date(rng, dt.date(2009, 4, 15), last_day)
    year = first_reg.year
    body, body_fr = rng.choice(model.bodies)
    genre = "CTTE" if body.startswith("B") else model.genre
    category = "N1" if genre == "CTTE" else "M1"
    plate = fni_plate(rng) if old else siv_plate(rng)
    vin = make_vin(rng, rng.choice(model.wmis), year)
    name, address = holder(rng, genre)

    kerb = model.kerb + rng.randint(-40, 60)
    g = kerb + 75
    f1 = g + rng.randint(380, 560) if genre == "VP" else g + rng.randint(700, 1100)
    towing = (
        0
        if engine.fuel == "EL" and rng.random() < 0.5
        else rng.choice((900, 1000, 1200, 1300, 1500))
    )
    co2 = 0 if engine.fuel == "EL" else max(20, engine.co2 + rng.randint(-6, 8))
    hp = fiscal_hp(engine.kw, co2)
    diesel = engine.fuel in ("GO", "GL")
    series = rng.choice(PLATE_LETTERS) + rng.choice(PLATE_LETTERS)
    formula = f"{this_reg.year}{series}{rng.randint(0, 99999):05d}"

    L: dict[str, list[str]] = {}

    def put(code: str, value: object | None) -> None:
        L[code] = (
            [] if value in (None, "") else ([str(value)] if not isinstance(value, list) else value)
        )

    put("A", plate)
    put("B", _date(first_reg))
    put("C.1", name)
    put("C.3", address)
    if not old:
        put(
            "C.4a",
            rng.choice(
                ("EST LE PROPRIETAIRE DU VEHICULE",) * 4
                + ("N'EST PAS LE PROPRIETAIRE DU VEHICULE", "")
            ),
        )
    put("D.1", model.make)
    put("D.2", make_type_code(rng))
    put("D.2.1", make_cnit(rng, model, year))
    put("D.3", model.name)
    put("E", vin)
    put("F.1", f1)
    put("F.2", f1 if rng.random() < 0.8 else f1 - rng.randint(10, 60))
    put("F.3", f1 + towing if towing else (f1 if rng.random() < 0.5 else ""))
    put("G", g)
    put("G.1", g - 75 if rng.random() < 0.85 else "")
    put("H", "")
    put("I", _date(this_reg))
    put("J", category)
    put("J.1", genre)
    put("J.2", body)
    put("J.3", body_fr)
    put("K", make_approval(rng, model, year) if rng.random() < 0.92 else "")
    put("P.1", engine.cc or "")
    put("P.2", engine.kw)
    put("P.3", engine.fuel)
    put("P.6", hp)
    put("Q", f"{engine.kw / g:.3f}".replace(".", ",") if rng.random() < 0.3 else "")
    put("S.1", rng.choice(model.seats))
    put("S.2", "")
    put("U.1", "" if engine.fuel == "EL" and rng.random() < 0.6 else rng.randint(66, 82))
    put(
        "U.2",
        ""
        if engine.fuel == "EL"
        else (rng.choice((3000, 2750, 3500)) if diesel else rng.choice((4500, 4750, 5000, 5250))),
    )
    put("V.7", co2 if (year >= 2004 or not old) and rng.random() < 0.95 else "")
    put("V.9", env_class(rng, year, engine.fuel) if rng.random() < 0.95 else "")
    if rng.random() < 0.45 and this_reg > first_reg:
        due = this_reg + dt.timedelta(days=rng.randint(20, 700))
        put("X.1", f"VISITE AVANT LE {_date(due)}")
    else:
        put("X.1", "")
    if not old:
        y1, y2, y3 = regional_tax(rng, hp, engine.fuel, genre)
        y4, y5 = 11.0, 2.76
        for code, amount in zip(
            ("Y.1", "Y.2", "Y.3", "Y.4", "Y.5", "Y.6"),
            (y1, y2, y3, y4, y5, y1 + y2 + y3 + y4 + y5),
            strict=True,
        ):
            put(code, _euros(amount))
    mentions = [
        "VEHICULE LOUE",
        "DUPLICATA",
        "CHANGEMENT D'ADRESSE",
        "VEHICULE DE DEMONSTRATION",
        "TITULAIRE DE LA CARTE MOBILITE INCLUSION",
    ]
    n_mentions = rng.choice((0, 0, 0, 1, 1, 2))
    chosen = rng.sample(mentions, n_mentions)
    for i, code in enumerate(("Z.1", "Z.2", "Z.3", "Z.4")):
        put(code, chosen[i] if i < n_mentions else "")
    mrz = build_mrz(
        plate=plate,
        vin=vin,
        date_b=_date(first_reg),
        genre=genre,
        body=body_fr,
        make=model.make,
        model=model.name,
        formula=formula,
    )
    return CardValues(L, formula, mrz)
