"""Synthetic French registration cards and phone-photo degradations, with ground truth.

``make_card(rng)`` draws plausible, self-consistent field values (valid MRZ check digits,
VIN WMI matching the make, taxes that add up) and renders them on the card layout: the
codes are pre-printed on the form, the values are printed over it by a "printer" whose
font, ink and registration offset vary. ``photograph(card, rng)`` turns a flat scan into a
phone photo of the card lying on a table. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ocr import fonts, mrz
from ocr.fields import ENV_CLASSES, MAKE_WMIS
from ocr.validators import vin_check_digit_ok

# Makes with commercial names (D.3) they sell in France.
MODELS: dict[str, tuple[str, ...]] = {
    "RENAULT": ("CLIO", "MEGANE", "CAPTUR", "TWINGO", "SCENIC", "KANGOO", "ZOE", "AUSTRAL"),
    "PEUGEOT": ("208", "308", "2008", "3008", "5008", "PARTNER", "508"),
    "CITROEN": ("C3", "C4", "C5 AIRCROSS", "BERLINGO", "C3 AIRCROSS", "C1"),
    "DACIA": ("SANDERO", "DUSTER", "LOGAN", "SPRING", "JOGGER"),
    "VOLKSWAGEN": ("GOLF", "POLO", "TIGUAN", "T-ROC", "PASSAT", "TOURAN"),
    "TOYOTA": ("YARIS", "COROLLA", "C-HR", "RAV4", "AYGO X"),
    "FORD": ("FIESTA", "FOCUS", "KUGA", "PUMA", "TRANSIT CUSTOM"),
    "OPEL": ("CORSA", "ASTRA", "MOKKA", "CROSSLAND"),
    "FIAT": ("500", "PANDA", "TIPO", "DOBLO"),
    "BMW": ("SERIE 1", "SERIE 3", "X1", "X3"),
    "MERCEDES-BENZ": ("CLASSE A", "CLASSE C", "GLA", "VITO"),
    "SKODA": ("FABIA", "OCTAVIA", "KAROQ"),
    "NISSAN": ("QASHQAI", "JUKE", "MICRA"),
    "KIA": ("PICANTO", "SPORTAGE", "NIRO"),
}
SURNAMES = (
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SIMON",
    "LAURENT",
    "LEFEBVRE",
    "MICHEL",
    "GARCIA",
    "DAVID",
    "BERTRAND",
    "ROUX",
    "VINCENT",
    "FOURNIER",
    "MOREL",
    "GIRARD",
    "ANDRE",
    "MERCIER",
    "DUPONT",
    "LAMBERT",
    "BONNET",
    "FRANCOIS",
    "MARTINEZ",
    "LEGRAND",
    "NGUYEN",
)
FIRST_NAMES = (
    "JEAN",
    "MARIE",
    "PIERRE",
    "SOPHIE",
    "LUC",
    "CAMILLE",
    "NICOLAS",
    "JULIE",
    "THOMAS",
    "LEA",
    "ANTOINE",
    "CHLOE",
    "HUGO",
    "EMMA",
    "LOUIS",
    "MANON",
    "PAUL",
    "INES",
    "JULIEN",
    "SARAH",
    "KARIM",
    "YASMINE",
    "ALAIN",
    "NATHALIE",
)
STREETS = (
    "RUE DES LILAS",
    "AVENUE FOCH",
    "BD VOLTAIRE",
    "RUE DE LA PAIX",
    "CHEMIN DU MOULIN",
    "RUE VICTOR HUGO",
    "ALLEE DES PINS",
    "PLACE DU MARCHE",
    "RUE PASTEUR",
)
CITIES = (
    ("75011", "PARIS"),
    ("69003", "LYON"),
    ("13008", "MARSEILLE"),
    ("31000", "TOULOUSE"),
    ("44000", "NANTES"),
    ("33000", "BORDEAUX"),
    ("59000", "LILLE"),
    ("67000", "STRASBOURG"),
    ("35000", "RENNES"),
    ("21000", "DIJON"),
    ("97400", "ST DENIS"),
)
COMPLEMENTS = ("BAT B", "RESIDENCE LES PINS", "APPT 12", "LIEU DIT LA GRANGE", "ESC 3")
MENTIONS = ("", "", "", "", "VEHICULE AUTO-ECOLE", "VEHICULE DE COLLECTION", "LOCATION", "GAGE")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
DEPARTMENTS = tuple(f"{d:02d}" for d in range(1, 96) if d != 20) + ("2A", "2B", "971", "974")


@dataclass
class Card:
    """A rendered card: the RGB scan and the printed text of each field (``""`` = empty)."""

    image: Image.Image
    truth: dict[str, str]
    mrz_lines: tuple[str, str] | None
    meta: dict[str, object] = field(default_factory=dict)


# ----- values -------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, seq):
    return seq[int(rng.integers(len(seq)))]


def _letters(rng, n: int, alphabet: str = PLATE_LETTERS) -> str:
    return "".join(_pick(rng, alphabet) for _ in range(n))


def random_plate(rng: np.random.Generator) -> str:
    """An SIV plate (90 %) or an older FNI plate, following the reserved-combination rules."""
    if rng.random() < 0.9:
        while True:
            left, right = _letters(rng, 2), _letters(rng, 2)
            if "SS" not in (left, right) and left != "WW":
                return f"{left}-{int(rng.integers(1, 1000)):03d}-{right}"
    return (
        f"{int(rng.integers(1, 10000))} {_letters(rng, int(rng.integers(2, 4)))} "
        f"{_pick(rng, DEPARTMENTS)}"
    )


def random_vin(rng: np.random.Generator, make: str) -> str:
    """A 17-character VIN with a WMI of ``make``; half of them carry a valid check digit."""
    wmi = _pick(rng, MAKE_WMIS[make])
    body = "".join(_pick(rng, VIN_CHARS) for _ in range(6))
    tail = (
        _pick(rng, "ABCDEFGHJKLMNPRSTVWXY123456789")
        + _pick(rng, VIN_CHARS)
        + "".join(str(int(rng.integers(10))) for _ in range(6))
    )
    vin = wmi + body[:5] + _pick(rng, "0123456789X") + tail
    if rng.random() < 0.5:
        for digit in "0123456789X":
            candidate = vin[:8] + digit + vin[9:]
            if vin_check_digit_ok(candidate):
                return candidate
    return vin


def _date(rng, start_year: int, end_year: int) -> tuple[str, int]:
    ordinal = int(rng.integers(_ord(start_year), _ord(end_year)))
    import datetime as dt

    day = dt.date.fromordinal(ordinal)
    return day.strftime("%d/%m/%Y"), ordinal


def _ord(year: int) -> int:
    import datetime as dt

    return dt.date(year, 1, 1).toordinal()


def _money(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def random_fni_plate(rng: np.random.Generator) -> str:
    """An older FNI plate (``1234 AB 75``)."""
    return (
        f"{int(rng.integers(1, 10000))} {_letters(rng, int(rng.integers(2, 4)))} "
        f"{_pick(rng, DEPARTMENTS)}"
    )


def random_values(rng: np.random.Generator) -> tuple[dict[str, str], str, dict[str, list[str]]]:
    """Draws a consistent set of field texts; returns (truth, formula number, the lines of
    the values printed on several lines)."""
    make = _pick(rng, tuple(MODELS))
    utility = rng.random() < 0.15
    fuel = _pick(rng, ("ES", "GO", "EE", "EH", "GL", "ES", "GO", "FE", "GP"))
    first, first_ord = _date(rng, 2003, 2024)
    import datetime as dt

    this_reg = dt.date.fromordinal(first_ord + int(rng.integers(0, 3000)))
    this_reg = min(this_reg, dt.date(2025, 12, 31))
    kw = int(rng.integers(44, 180))
    co2 = int(rng.integers(85, 210))
    cv = max(2, min(30, round(co2 / 45 + (kw / 40) ** 1.6)))
    mass = int(rng.integers(90, 200)) * 10 + (int(rng.integers(0, 10)) if rng.random() < 0.5 else 0)
    fmax = mass + int(rng.integers(40, 60)) * 10
    y1 = round(cv * float(_pick(rng, (46.15, 51.20, 54.95, 60.00, 43.00))), 2)
    y3 = float(_pick(rng, (0.0, 0.0, 0.0, 50.0, 260.0, 540.0)))
    street = f"{int(rng.integers(1, 120))} {_pick(rng, STREETS)}"
    postcode, city = _pick(rng, CITIES)
    address = (
        [street]
        + ([_pick(rng, COMPLEMENTS)] if rng.random() < 0.3 else [])
        + [f"{postcode} {city}"]
    )
    surname = _pick(rng, SURNAMES)
    firsts = " ".join(_pick(rng, FIRST_NAMES) for _ in range(int(rng.integers(1, 3))))
    truth = {
        "A": random_plate(rng),
        "B": first,
        "C.1": f"{surname} {firsts}",
        "C.4a": "EST LE PROPRIETAIRE DU VEHICULE"
        if rng.random() < 0.85
        else "N'EST PAS LE PROPRIETAIRE DU VEHICULE",
        "C.3": " ".join(address),
        "D.1": make,
        "D.2": _letters(rng, 1, "ABCDEFGHJKLMNPRSTUVWXYZ")
        + "".join(_pick(rng, VIN_CHARS) for _ in range(int(rng.integers(5, 9)))),
        "D.2.1": _cnit(rng, make),
        "D.3": _pick(rng, MODELS[make]),
        "E": random_vin(rng, make),
        "F.1": str(fmax),
        "F.2": str(fmax),
        "F.3": str(fmax + (int(rng.integers(100, 160)) * 10 if rng.random() < 0.7 else 0)),
        "G": str(mass),
        "G.1": str(mass - 75),
        "I": this_reg.strftime("%d/%m/%Y"),
        "J": "N1" if utility else "M1",
        "J.1": "CTTE" if utility else "VP",
        "J.2": "BB" if utility else _pick(rng, ("AA", "AB", "AC", "AF")),
        "J.3": "FOURGON" if utility else _pick(rng, ("CI", "CI", "BREAK", "COUPE", "CABRIOL")),
        "K": f"e{int(rng.integers(1, 14))}*{_pick(rng, ('2001/116', '2007/46', '2018/858'))}"
        f"*{int(rng.integers(1, 9999)):04d}*{int(rng.integers(0, 40)):02d}",
        "P.1": str(int(rng.integers(875, 2999))),
        "P.2": str(kw),
        "P.3": fuel,
        "P.6": str(cv),
        "Q": _money(kw / mass).replace(",", ",")[:4],
        "S.1": str(_pick(rng, (2, 4, 5, 5, 5, 5, 7, 9))) if not utility else "2",
        "S.2": "0" if rng.random() < 0.5 else "",
        "U.1": str(int(rng.integers(66, 83))),
        "U.2": str(int(rng.integers(25, 46)) * 100),
        "V.7": str(co2),
        "V.9": _pick(rng, ENV_CLASSES[:12]),
        "X.1": (this_reg + dt.timedelta(days=365 * 4)).strftime("%d/%m/%Y"),
        "Y.1": _money(y1),
        "Y.2": "0,00",
        "Y.3": _money(y3),
        "Y.4": "11,00",
        "Y.5": "2,76",
        "Y.6": _money(y1 + y3 + 11.0 + 2.76),
        "Z.1": _pick(rng, MENTIONS),
        "Z.2": "",
        "Z.3": "",
        "Z.4": "",
    }
    formula = f"{first[-4:]}{_letters(rng, 2)}{int(rng.integers(0, 100000)):05d}"
    return truth, formula, {"C.1": [surname, firsts], "C.3": address}


def _cnit(rng, make: str) -> str:
    """A CNIT: the 15-character post-2009 form (M10 + make + VP + ...) or the older 12."""
    code = make[:3].replace("-", "")
    if rng.random() < 0.7:
        return "M10" + code + "VP" + "".join(_pick(rng, VIN_CHARS) for _ in range(7))
    return "M" + code[:2] + "".join(_pick(rng, VIN_CHARS) for _ in range(9))


# ----- layout --------------------------------------------------------------------------------
#
# Where the generator prints each code. The reader never sees these tables: it finds codes
# and values by reading them, so that any form arrangement works. Each layout is a list of
# rows (y of the line top in card pixels, then (code, x, width) cells, several per row when
# the real form prints several fields side by side). Codes of values that span lines get
# their extra lines below, ``LINE_STEP`` apart.

CARD_W = 1400
MAIN_H = 830  # current form: main part; the coupon follows below it
COUPON_H = 330
OLD_H = 900
LINE_STEP = 33

CURRENT_ROWS: list[tuple[int, list[tuple[str, int, int]]]] = [
    (118, [("A", 40, 560)]),
    (
        172,
        [
            ("B", 40, 560),
            ("F.1", 620, 400),
            ("P.1", 1040, 96),
            ("P.2", 1136, 76),
            ("P.3", 1212, 76),
            ("P.6", 1288, 86),
        ],
    ),
    (214, [("C.1", 40, 560), ("F.2", 620, 400), ("Q", 1040, 330)]),
    (256, [("F.3", 620, 400), ("S.1", 1040, 150), ("S.2", 1190, 150)]),
    (298, [("C.4a", 40, 560), ("G", 620, 400), ("U.1", 1040, 150), ("U.2", 1190, 170)]),
    (340, [("C.3", 40, 560), ("G.1", 620, 400), ("V.7", 1040, 330)]),
    (382, [("I", 620, 400), ("X.1", 1040, 345)]),
    (
        440,
        [("D.1", 40, 560), ("J", 620, 84), ("J.1", 704, 100), ("J.2", 804, 84), ("J.3", 888, 150)],
    ),
    (482, [("D.2", 40, 560), ("K", 620, 400)]),
    (524, [("D.2.1", 40, 560), ("V.9", 620, 420)]),
    (566, [("D.3", 40, 560)]),
    (608, [("E", 40, 560)]),
    (668, [(f"Y.{i}", 40 + (i - 1) * 222, 215) for i in range(1, 7)]),
    (716, [("Z.1", 40, 660), ("Z.2", 720, 660)]),
    (758, [("Z.3", 40, 660), ("Z.4", 720, 660)]),
]
# The detachable coupon under the main part repeats A, I, the formula number, E, D.1, C.1
# and carries the MRZ (y relative to the coupon's top).
COUPON_ROWS: list[tuple[int, list[tuple[str, int, int]]]] = [
    (46, [("A", 40, 400), ("I", 470, 300), ("FORMULA", 820, 540)]),
    (96, [("E", 40, 600), ("D.1", 680, 500)]),
    (146, [("C.1", 40, 900)]),
]
COUPON_MRZ_Y = (214, 264)
# The older form (before the 2009 SIV): two columns, one field per row but for a few
# pairs, no coupon, the MRZ at the bottom of the card, no J, J.2, Q, V.9, Y.3, S.2.
OLD_ROWS: list[tuple[int, list[tuple[str, int, int]]]] = [
    (130, [("A", 40, 600), ("F.1", 720, 300), ("F.2", 1040, 320)]),
    (180, [("B", 40, 600), ("G", 720, 300), ("G.1", 1040, 320)]),
    (228, [("C.1", 40, 600), ("I", 720, 640)]),
    (276, [("J.1", 720, 300), ("J.3", 1040, 320)]),
    (324, [("C.3", 40, 600), ("P.1", 720, 300), ("P.2", 1040, 320)]),
    (372, [("P.3", 720, 300), ("P.6", 1040, 320)]),
    (420, [("S.1", 720, 300), ("F.3", 1040, 320)]),
    (468, [("D.1", 40, 600), ("U.1", 720, 300), ("U.2", 1040, 320)]),
    (516, [("D.2", 40, 600), ("V.7", 720, 640)]),
    (564, [("D.2.1", 40, 600), ("X.1", 720, 640)]),
    (612, [("D.3", 40, 600), ("K", 720, 640)]),
    (660, [("E", 40, 600), ("Z.1", 720, 640)]),
    (712, [("Y.1", 40, 300), ("Y.2", 370, 300), ("Y.4", 700, 300), ("Y.5", 1030, 300)]),
    (756, [("Y.6", 40, 600)]),
]
OLD_MRZ_Y = (808, 852)
# Fields a card may leave empty (the code is printed, nothing after it).
OPTIONAL = ("F.3", "G.1", "J.2", "K", "Q", "S.2", "U.1", "U.2", "V.9", "X.1", "Z.1")
MULTILINE = ("C.1", "C.3")


def layout_codes(old: bool) -> set[str]:
    """The codes printed in the main part of a layout."""
    rows = OLD_ROWS if old else CURRENT_ROWS
    return {code for _, cells in rows for code, _, _ in cells}


@dataclass
class Printer:
    """How the values are printed: font style/size, ink, and registration offset."""

    style: str
    size: int
    ink: tuple[int, int, int]
    dx: int
    dy: int
    bold: int


def random_printer(rng: np.random.Generator) -> Printer:
    """A printer: one of the installed font styles, an ink tone and a misregistration."""
    styles = [
        s
        for s in ("sans", "condensed", "mono", "serif", "sans-bold")
        if s in fonts.available_styles()
    ] or ["sans"]
    ink = int(rng.integers(0, 70))
    return Printer(
        style=_pick(rng, styles),
        size=int(rng.integers(21, 26)),
        ink=(ink, ink, ink + int(rng.integers(0, 30))),
        dx=int(rng.integers(-6, 7)),
        dy=int(rng.integers(-4, 5)),
        bold=int(rng.random() < 0.15),
    )


_TINTS = ((226, 238, 224), (240, 228, 232), (226, 232, 242), (238, 236, 222))


def _background(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """The security background: a pale tint, guilloche curves and a faint watermark."""
    tint = np.array(_pick(rng, _TINTS), np.float32) + rng.normal(0, 3, 3)
    ramp = np.linspace(-6, 6, width, dtype=np.float32)[None, :, None]
    img = np.ones((height, width, 3), np.float32) * tint + ramp
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    line = tuple(int(c) for c in np.clip(tint - rng.uniform(14, 26), 0, 255))
    phase = rng.uniform(0, 6.28)
    xs = np.arange(0, width + 6, 6, dtype=np.float32)
    for k in range(-20, height + 20, int(rng.integers(14, 22))):
        ys = k + 8 * np.sin(xs / 47.0 + phase + k / 31.0) + 5 * np.sin(xs / 13.0 + k)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=False)), fill=line, width=1)
    # Guilloche rosette: interfering epitrochoids around a centre.
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.6) * height
    t = np.linspace(0, 2 * math.pi, 900)
    for r in np.linspace(60, 260, 6):
        ring_x = cx + (r + 18 * np.cos(11 * t + r)) * np.cos(t)
        ring_y = cy + (r + 18 * np.cos(11 * t + r)) * np.sin(t) * 0.8
        draw.line(list(zip(ring_x.tolist(), ring_y.tolist(), strict=False)), fill=line, width=1)
    mark = tuple(int(c) for c in np.clip(tint - rng.uniform(8, 14), 0, 255))
    draw.text((width * 0.42, height * 0.28), "RF", font=fonts.load("serif", 260), fill=mark)
    draw.rectangle([0, 0, width - 1, height - 1], outline=(150, 165, 150), width=3)
    return pil


def _fit_font(style: str, size: int, text: str, width: int):
    """Shrinks the font until ``text`` fits ``width`` pixels."""
    font = fonts.load(style, size)
    while size > 12 and font.getlength(text) > width:
        size -= 1
        font = fonts.load(style, size)
    return font


@dataclass
class Form:
    """The pre-printed form of one card: layout, code label style, fonts."""

    old: bool
    dotted: bool  # single-letter codes printed "A." (else "A")
    code_size: int
    gap: int  # pixels between a code label and its value
    ink: tuple[int, int, int] = (40, 80, 60)


def random_form(rng: np.random.Generator, old: bool) -> Form:
    """A form variant: label style, code size and spacing."""
    return Form(old, bool(rng.random() < 0.5), int(rng.integers(14, 18)), int(rng.integers(7, 16)))


def _label(code: str, form: Form) -> str:
    return code + "." if form.dotted and "." not in code else code


def _value_lines(code: str, text: str, lines: dict[str, list[str]]) -> list[str]:
    return lines.get(code) or [text]


def _draw_cells(
    draw: ImageDraw.ImageDraw,
    rows,
    top: int,
    values: dict[str, str],
    lines: dict[str, list[str]],
    printer: Printer,
    form: Form,
) -> None:
    code_font = fonts.load("sans-bold", form.code_size)
    for y, cells in rows:
        for code, x, width in cells:
            label = "N° DE FORMULE" if code == "FORMULA" else _label(code, form)
            draw.text((x, top + y + 5), label, font=code_font, fill=form.ink)
            text = values.get(code, "")
            if not text:
                continue
            offset = int(code_font.getlength(label)) + form.gap
            size = printer.size + (5 if code == "A" else 0)
            for i, line in enumerate(_value_lines(code, text, lines)):
                font = _fit_font(printer.style, size, line, width - offset - 6)
                draw.text(
                    (x + offset + printer.dx, top + y + printer.dy + i * LINE_STEP),
                    line,
                    font=font,
                    fill=printer.ink,
                    stroke_width=printer.bold,
                    stroke_fill=printer.ink,
                )


def _draw_mrz(draw: ImageDraw.ImageDraw, mrz_lines, ys, printer: Printer) -> None:
    mrz_font = _fit_font("mono", 29, mrz_lines[0], CARD_W - 120)
    for line, y in zip(mrz_lines, ys, strict=False):
        draw.text((60 + printer.dx, y + printer.dy), line, font=mrz_font, fill=(10, 10, 10))


def render(
    truth: dict[str, str],
    mrz_lines: tuple[str, str] | None,
    printer: Printer,
    rng: np.random.Generator,
    header: tuple[str, str] = ("REPUBLIQUE FRANCAISE", "CERTIFICAT D'IMMATRICULATION"),
    form: Form | None = None,
    lines: dict[str, list[str]] | None = None,
    formula: str = "",
) -> Image.Image:
    """Draws the card: background, pre-printed header and codes, printed values, coupon
    (current form) and MRZ."""
    form = form or random_form(rng, old=False)
    lines = lines or {}
    height = OLD_H if form.old else MAIN_H + COUPON_H
    img = _background(rng, CARD_W, height)
    draw = ImageDraw.Draw(img)
    draw.text((40, 26), header[0], font=fonts.load("sans-bold", 25), fill=form.ink)
    draw.text((40, 62), header[1], font=fonts.load("sans", 21), fill=form.ink)
    _draw_cells(draw, OLD_ROWS if form.old else CURRENT_ROWS, 0, truth, lines, printer, form)
    if form.old:
        if mrz_lines:
            _draw_mrz(draw, mrz_lines, OLD_MRZ_Y, printer)
        return img
    for x in range(10, CARD_W - 10, 24):  # the cut line above the coupon
        draw.line([(x, MAIN_H - 8), (x + 12, MAIN_H - 8)], fill=form.ink, width=2)
    coupon = {code: truth.get(code, "") for code in ("A", "I", "E", "D.1", "C.1")}
    coupon["FORMULA"] = formula
    _draw_cells(draw, COUPON_ROWS, MAIN_H, coupon, {}, printer, form)
    if mrz_lines:
        _draw_mrz(draw, mrz_lines, [MAIN_H + y for y in COUPON_MRZ_Y], printer)
    return img


def _split_lines(truth: dict[str, str], parts: dict[str, list[str]]) -> dict[str, list[str]]:
    return {code: p for code, p in parts.items() if code in truth and len(p) > 1}


def make_card(rng: np.random.Generator, old: bool | None = None) -> Card:
    """Draws values, a form (current or, one time in four, the older one) and a printer;
    renders a clean French card (a flat scan). ``truth`` holds every printed code, with
    ``""`` for a code printed without a value."""
    truth, formula, parts = random_values(rng)
    old = bool(rng.random() < 0.25) if old is None else old
    form = random_form(rng, old)
    if old:
        truth["A"] = random_fni_plate(rng)
    codes = layout_codes(old)
    truth = {code: text for code, text in truth.items() if code in codes}
    for code in OPTIONAL:
        if code in truth and rng.random() < 0.15:
            truth[code] = ""
    lines = mrz.build_lines(
        truth["A"],
        truth["E"],
        truth["B"],
        truth["J.1"],
        truth["J.3"],
        truth["D.1"],
        truth["D.3"],
        formula,
    )
    printer = random_printer(rng)
    printed = dict(truth)
    if truth.get("X.1") and rng.random() < 0.5:
        printed["X.1"] = "VISITE AVANT LE " + truth["X.1"]
    image = render(
        printed, lines, printer, rng, form=form, lines=_split_lines(truth, parts), formula=formula
    )
    return Card(
        image,
        truth,
        lines,
        {
            "printer": printer.style,
            "size": printer.size,
            "layout": "old" if old else "current",
            "formula": formula,
        },
    )


def make_foreign_card(rng: np.random.Generator) -> Card:
    """A German-style registration certificate: same EU codes, no French MRZ or header."""
    truth, _, _ = random_values(rng)
    truth["A"] = f"B-{_letters(rng, 2)} {int(rng.integers(1, 9999))}"
    image = render(
        truth,
        None,
        random_printer(rng),
        rng,
        header=("BUNDESREPUBLIK DEUTSCHLAND", "ZULASSUNGSBESCHEINIGUNG TEIL I"),
    )
    return Card(image, truth, None, {"country": "DE"})


def make_non_card(rng: np.random.Generator) -> Image.Image:
    """A photo of something else: a till receipt with prices on a coloured table."""
    img = Image.new("RGB", (1200, 900), tuple(int(c) for c in rng.integers(60, 140, 3)))
    draw = ImageDraw.Draw(img)
    draw.rectangle([300, 60, 900, 840], fill=(245, 245, 240))
    font = fonts.load("mono", 26)
    items = (
        "BAGUETTE",
        "CAFE ARABICA",
        "LAIT DEMI-ECREME",
        "POMMES GALA",
        "FROMAGE",
        "EAU MINERALE",
        "CHOCOLAT NOIR",
        "CROISSANT",
    )
    draw.text((360, 90), "SUPERMARCHE DU CENTRE", font=font, fill=(20, 20, 20))
    for i in range(10):
        name = _pick(rng, items)
        draw.text(
            (340, 160 + i * 55),
            f"{name:<18}{rng.uniform(0.5, 12):6.2f} EUR",
            font=font,
            fill=(20, 20, 20),
        )
    return img


# ----- phone-photo degradations ----------------------------------------------------------


def _wood(rng, width: int, height: int) -> np.ndarray:
    base = np.array(_pick(rng, ((92, 64, 40), (140, 110, 80), (120, 84, 52))), np.float32)
    xx = np.linspace(0, rng.uniform(20, 60), width)[None, :]
    yy = np.linspace(0, rng.uniform(1, 4), height)[:, None]
    grain = np.sin(xx + 3 * np.sin(yy * 2)) * 14
    return base + grain[..., None] + rng.normal(0, 5, (height, width, 1))


def _fabric(rng, width: int, height: int) -> np.ndarray:
    base = np.array(
        _pick(rng, ((60, 70, 110), (120, 40, 40), (70, 90, 60), (150, 150, 140))), np.float32
    )
    period = rng.uniform(3, 7)
    xx, yy = np.meshgrid(np.arange(width), np.arange(height))
    weave = (np.sin(xx / period) * np.sin(yy / period)) * 18
    return base + weave[..., None] + rng.normal(0, 9, (height, width, 1))


def _car_seat(rng, width: int, height: int) -> np.ndarray:
    base = np.array(_pick(rng, ((35, 35, 38), (55, 50, 48), (80, 80, 85))), np.float32)
    out = np.ones((height, width, 1), np.float32) * base + rng.normal(0, 7, (height, width, 1))
    step = int(rng.integers(60, 140))
    for x in range(int(rng.integers(0, step)), width, step):  # seams and their stitches
        out[:, max(0, x - 2) : x + 2] *= 0.55
        out[::9, x + 4 : x + 6] += 40
    return out


def _plain(rng, width: int, height: int) -> np.ndarray:
    base = np.array(
        _pick(rng, ((60, 60, 66), (35, 35, 38), (110, 120, 125), (180, 175, 165))), np.float32
    )
    return np.ones((height, width, 3), np.float32) * base + rng.normal(0, 6, (height, width, 1))


BACKGROUNDS = {"wood": _wood, "fabric": _fabric, "car_seat": _car_seat, "plain": _plain}


def _table(
    rng: np.random.Generator, width: int, height: int, kind: str | None = None
) -> np.ndarray:
    """A background surface (wood, fabric, car seat or plain), uint8 RGB."""
    kind = kind or _pick(rng, tuple(BACKGROUNDS))
    return np.clip(BACKGROUNDS[kind](rng, width, height), 0, 255).astype(np.uint8)


def _hand(photo: np.ndarray, quad: np.ndarray, rng: np.random.Generator) -> None:
    """Fingers holding the card: skin-coloured blobs over the middle of one card edge."""
    skin = np.array(_pick(rng, ((224, 172, 140), (198, 134, 100), (141, 85, 60))), np.uint8)
    edge = int(rng.integers(4))
    a, b = quad[edge], quad[(edge + 1) % 4]
    centre = quad.mean(axis=0)
    for k in range(int(rng.integers(1, 4))):
        t = 0.3 + 0.15 * k + rng.uniform(-0.05, 0.05)
        point = a + (b - a) * t
        outward = point + (point - centre) * 0.06
        length = float(np.linalg.norm(b - a)) * 0.05
        cv2.ellipse(
            photo,
            (int(outward[0]), int(outward[1])),
            (int(length), int(length * 0.6)),
            float(np.degrees(np.arctan2(*(b - a)[::-1]))),
            0,
            360,
            tuple(int(c) for c in skin),
            -1,
        )


def _shadow_and_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uneven light: dimmer or brighter overall, a shadow ramp, sometimes a hard shadow, a
    colour cast and a glare spot."""
    h, w = img.shape[:2]
    out = img.astype(np.float32) * rng.uniform(0.55, 1.08)
    out *= np.array([1.0, 1.0, 1.0]) + rng.uniform(-0.08, 0.08, 3)  # colour cast
    angle = rng.uniform(0, 2 * math.pi)
    xx, yy = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    ramp = (xx * math.cos(angle) + yy * math.sin(angle) + 1.4) / 2.8
    out *= (1 - rng.uniform(0.0, 0.5) * (1 - ramp))[..., None]
    if rng.random() < 0.3:  # a hard shadow (a phone or a hand) with a soft edge
        poly = (rng.uniform(0, 1, (4, 2)) * [w, h]).astype(np.int32)
        poly[:2] = poly[:2] * [1, 0] + [0, -h]
        mask = np.zeros((h, w), np.float32)
        cv2.fillPoly(mask, [poly], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(5, 25))
        out *= (1 - rng.uniform(0.25, 0.5) * mask)[..., None]
    if rng.random() < 0.35:
        cx, cy = rng.uniform(-0.6, 0.6, 2)
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / rng.uniform(0.01, 0.05))
        out += (spot * rng.uniform(60, 130))[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def photo_geometry(
    rng: np.random.Generator, card_size: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int], dict[str, float]]:
    """Where the card lands in the photo: (corner quad TL, TR, BR, BL of the card in photo
    pixels, photo (width, height), parameters). Any right-angle turn plus up to 15 degrees
    of skew, up to 20 % keystone, the card filling 35-100 % of the frame."""
    cw, ch = card_size
    quarter = int(_pick(rng, (0, 0, 0, 0, 1, 2, 3)))
    skew = rng.uniform(-15, 15)
    angle = math.radians(quarter * 90 + skew)
    keystone = rng.uniform(0, 0.2)
    corners = np.array(
        [[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]], np.float64
    )
    far = int(rng.integers(4))  # the edge further from the camera looks shorter
    a, b = far, (far + 1) % 4
    mid = (corners[a] + corners[b]) / 2
    corners[a] = mid + (corners[a] - mid) * (1 - keystone)
    corners[b] = mid + (corners[b] - mid) * (1 - keystone)
    corners += rng.uniform(-0.015, 0.015, (4, 2)) * [cw, ch]
    rmat = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    corners = corners @ rmat.T
    portrait = quarter % 2 == 1 and rng.random() < 0.8
    # Phone photos are 2-12 megapixels; one in seven is a small, low-resolution picture.
    out_w = int(rng.integers(900, 1300)) if rng.random() < 0.15 else int(rng.integers(1600, 3200))
    out_h = int(out_w * rng.uniform(0.7, 0.8))
    if portrait:
        out_w, out_h = out_h, out_w
    fill = rng.uniform(0.35, 1.0)
    span = corners.max(axis=0) - corners.min(axis=0)
    scale = fill * min(out_w / span[0], out_h / span[1])
    corners *= scale
    span = corners.max(axis=0) - corners.min(axis=0)
    room = np.array([out_w, out_h]) - span
    offset = -corners.min(axis=0) + room * rng.uniform(0.1, 0.9, 2)
    params = {
        "quarter": quarter,
        "skew": skew,
        "keystone": keystone,
        "fill": fill,
        "card_px": float(cw * scale),
    }
    return (corners + offset).astype(np.float32), (out_w, out_h), params


def photograph(
    card: Image.Image, rng: np.random.Generator, exif_rotate: bool = True, meta: dict | None = None
) -> bytes:
    """Turns a card scan into a phone-photo JPEG (bytes) of the card on a surface.

    Conditions: any right-angle orientation plus up to 15 degrees of skew, keystone up to
    20 %, the card filling 35-100 % of the frame (down to about 350 pixels wide), wood,
    fabric, car-seat or plain backgrounds, sometimes a hand holding it, uneven light, hard
    shadows, glare, blur, sensor noise, JPEG quality 40-92; sometimes the pixels are stored
    sideways with an EXIF orientation tag, as phones do. ``meta``, when given, receives the
    drawn parameters.
    """
    src = np.array(card)
    dst, (out_w, out_h), params = photo_geometry(rng, (src.shape[1], src.shape[0]))
    srcq = np.float32([[0, 0], [src.shape[1], 0], [src.shape[1], src.shape[0]], [0, src.shape[0]]])
    matrix = cv2.getPerspectiveTransform(srcq, dst)
    background = _pick(rng, tuple(BACKGROUNDS))
    table = _table(rng, out_w, out_h, background)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(src.shape[:2], 255, np.uint8), matrix, (out_w, out_h))
    photo = np.where(mask[..., None] > 127, warped, table)
    if rng.random() < 0.2:
        _hand(photo, dst, rng)
    photo = _shadow_and_light(photo, rng)
    sigma = rng.uniform(0.0, 1.4)
    if sigma > 0.3:
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    photo = np.clip(photo + rng.normal(0, rng.uniform(1, 7), photo.shape), 0, 255).astype(np.uint8)
    quality = int(rng.integers(40, 93))
    if meta is not None:
        meta.update(params, background=background, blur=sigma, quality=quality)
    return _encode_jpeg(photo, quality, exif_rotate and rng.random() < 0.15)


def _encode_jpeg(photo: np.ndarray, quality: int, sideways: bool) -> bytes:
    image = Image.fromarray(photo)
    exif = Image.Exif()
    if sideways:
        # Pixels stored rotated 90 degrees clockwise; orientation 6 tells viewers to undo it.
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def scan_bytes(card: Image.Image, fmt: str = "PNG") -> bytes:
    """Encodes a clean scan (PNG by default) as a file would hold it."""
    buf = io.BytesIO()
    card.save(buf, fmt)
    return buf.getvalue()


def soften(card: Image.Image) -> Image.Image:
    """A very light blur, as a flatbed scanner gives (used for the 'clean' set)."""
    return card.filter(ImageFilter.GaussianBlur(0.4))
