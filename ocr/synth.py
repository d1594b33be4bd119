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
from ocr.template import CARD_H, CARD_W, LAYOUT, MRZ_Y
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
SURNAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND",
            "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID",
            "BERTRAND", "ROUX", "VINCENT", "FOURNIER", "MOREL", "GIRARD", "ANDRE", "MERCIER",
            "DUPONT", "LAMBERT", "BONNET", "FRANCOIS", "MARTINEZ", "LEGRAND", "NGUYEN")
FIRST_NAMES = ("JEAN", "MARIE", "PIERRE", "SOPHIE", "LUC", "CAMILLE", "NICOLAS", "JULIE",
               "THOMAS", "LEA", "ANTOINE", "CHLOE", "HUGO", "EMMA", "LOUIS", "MANON", "PAUL",
               "INES", "JULIEN", "SARAH", "KARIM", "YASMINE", "ALAIN", "NATHALIE")
STREETS = ("RUE DES LILAS", "AVENUE FOCH", "BD VOLTAIRE", "RUE DE LA PAIX", "CHEMIN DU MOULIN",
           "RUE VICTOR HUGO", "ALLEE DES PINS", "PLACE DU MARCHE", "RUE PASTEUR")
CITIES = (("75011", "PARIS"), ("69003", "LYON"), ("13008", "MARSEILLE"), ("31000", "TOULOUSE"),
          ("44000", "NANTES"), ("33000", "BORDEAUX"), ("59000", "LILLE"), ("67000", "STRASBOURG"),
          ("35000", "RENNES"), ("21000", "DIJON"), ("97400", "ST DENIS"))
MENTIONS = ("", "", "", "", "VEHICULE AUTO-ECOLE", "VEHICULE DE COLLECTION", "LOCATION",
            "GAGE")
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
    return f"{int(rng.integers(1, 10000))} {_letters(rng, int(rng.integers(2, 4)))} " \
           f"{_pick(rng, DEPARTMENTS)}"


def random_vin(rng: np.random.Generator, make: str) -> str:
    """A 17-character VIN with a WMI of ``make``; half of them carry a valid check digit."""
    wmi = _pick(rng, MAKE_WMIS[make])
    body = "".join(_pick(rng, VIN_CHARS) for _ in range(6))
    tail = _pick(rng, "ABCDEFGHJKLMNPRSTVWXY123456789") + _pick(rng, VIN_CHARS) + \
        "".join(str(int(rng.integers(10))) for _ in range(6))
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


def random_values(rng: np.random.Generator) -> tuple[dict[str, str], str]:
    """Draws a consistent set of field texts; returns (truth, formula number)."""
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
    mass = int(rng.integers(90, 200)) * 10 + (int(rng.integers(0, 10)) if rng.random() < .5 else 0)
    fmax = mass + int(rng.integers(40, 60)) * 10
    y1 = round(cv * float(_pick(rng, (46.15, 51.20, 54.95, 60.00, 43.00))), 2)
    y3 = float(_pick(rng, (0.0, 0.0, 0.0, 50.0, 260.0, 540.0)))
    street = f"{int(rng.integers(1, 120))} {_pick(rng, STREETS)}"
    postcode, city = _pick(rng, CITIES)
    truth = {
        "A": random_plate(rng),
        "B": first,
        "C.1": f"{_pick(rng, SURNAMES)} {_pick(rng, FIRST_NAMES)}",
        "C.3": f"{street} {postcode} {city}",
        "D.1": make,
        "D.2": _letters(rng, 1, "ABCDEFGHJKLMNPRSTUVWXYZ") + "".join(
            _pick(rng, VIN_CHARS) for _ in range(int(rng.integers(5, 9)))),
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
        "Z.2": "", "Z.3": "", "Z.4": "",
    }
    formula = f"{first[-4:]}{_letters(rng, 2)}{int(rng.integers(0, 100000)):05d}"
    return truth, formula


def _cnit(rng, make: str) -> str:
    """A CNIT: the 15-character post-2009 form (M10 + make + VP + ...) or the older 12."""
    code = make[:3].replace("-", "")
    if rng.random() < 0.7:
        return "M10" + code + "VP" + "".join(_pick(rng, VIN_CHARS) for _ in range(7))
    return "M" + code[:2] + "".join(_pick(rng, VIN_CHARS) for _ in range(9))


# ----- layout --------------------------------------------------------------------------------



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
    styles = [s for s in ("sans", "condensed", "mono", "serif", "sans-bold")
              if s in fonts.available_styles()] or ["sans"]
    ink = int(rng.integers(0, 70))
    return Printer(style=_pick(rng, styles), size=int(rng.integers(22, 27)),
                   ink=(ink, ink, ink + int(rng.integers(0, 30))),
                   dx=int(rng.integers(-8, 9)), dy=int(rng.integers(-5, 6)),
                   bold=int(rng.random() < 0.15))


def _background(rng: np.random.Generator) -> Image.Image:
    """The security background: pale green with wavy guilloche lines."""
    base = np.array([224, 238, 222], dtype=np.float32) + rng.normal(0, 4, 3)
    img = np.ones((CARD_H, CARD_W, 3), np.float32) * base
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    phase = rng.uniform(0, 6.28)
    xs = np.arange(0, CARD_W, 6)
    for k in range(0, CARD_H, 18):
        ys = k + 7 * np.sin(xs / 55.0 + phase + k / 40.0)
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=False)), fill=(200, 222, 204), width=1)
    draw.rectangle([0, 0, CARD_W - 1, CARD_H - 1], outline=(150, 170, 150), width=3)
    return pil


def _fit_font(style: str, size: int, text: str, width: int):
    """Shrinks the font until ``text`` fits ``width`` pixels."""
    font = fonts.load(style, size)
    while size > 12 and font.getlength(text) > width:
        size -= 1
        font = fonts.load(style, size)
    return font


def render(truth: dict[str, str], mrz_lines: tuple[str, str] | None, printer: Printer,
           rng: np.random.Generator, header: tuple[str, str] = (
               "REPUBLIQUE FRANCAISE", "CERTIFICAT D'IMMATRICULATION")) -> Image.Image:
    """Draws the card: background, pre-printed header and codes, printed values and MRZ."""
    img = _background(rng)
    draw = ImageDraw.Draw(img)
    form_ink = (40, 80, 60)
    draw.text((40, 30), header[0], font=fonts.load("sans-bold", 26), fill=form_ink)
    draw.text((40, 68), header[1], font=fonts.load("sans", 22), fill=form_ink)
    code_font = fonts.load("sans-bold", 17)
    for code, (x, y, width) in LAYOUT.items():
        label = code + "." if "." not in code else code
        draw.text((x, y + 6), label, font=code_font, fill=form_ink)
        text = truth.get(code, "")
        if not text:
            continue
        offset = int(code_font.getlength(label)) + 14
        size = printer.size + (6 if code == "A" else 0)
        font = _fit_font(printer.style, size, text, width - offset - 12)
        draw.text((x + offset + printer.dx, y + printer.dy), text, font=font, fill=printer.ink,
                  stroke_width=printer.bold, stroke_fill=printer.ink)
    if mrz_lines:
        mrz_font = _fit_font("mono", 29, mrz_lines[0], CARD_W - 120)
        for line, y in zip(mrz_lines, MRZ_Y, strict=False):
            draw.text((60 + printer.dx, y + printer.dy), line, font=mrz_font, fill=(10, 10, 10))
    return img


def make_card(rng: np.random.Generator) -> Card:
    """Draws values and a printer, renders a clean French card (a flat scan)."""
    truth, formula = random_values(rng)
    lines = mrz.build_lines(truth["A"], truth["E"], truth["B"], truth["J.1"], truth["J.3"],
                            truth["D.1"], truth["D.3"], formula)
    printer = random_printer(rng)
    image = render(truth, lines, printer, rng)
    return Card(image, truth, lines, {"printer": printer.style, "size": printer.size})


def make_foreign_card(rng: np.random.Generator) -> Card:
    """A German-style registration certificate: same EU codes, no French MRZ or header."""
    truth, _ = random_values(rng)
    truth["A"] = f"B-{_letters(rng, 2)} {int(rng.integers(1, 9999))}"
    image = render(truth, None, random_printer(rng), rng,
                   header=("BUNDESREPUBLIK DEUTSCHLAND", "ZULASSUNGSBESCHEINIGUNG TEIL I"))
    return Card(image, truth, None, {"country": "DE"})


def make_non_card(rng: np.random.Generator) -> Image.Image:
    """A photo of something else: a till receipt with prices on a coloured table."""
    img = Image.new("RGB", (1200, 900), tuple(int(c) for c in rng.integers(60, 140, 3)))
    draw = ImageDraw.Draw(img)
    draw.rectangle([300, 60, 900, 840], fill=(245, 245, 240))
    font = fonts.load("mono", 26)
    items = ("BAGUETTE", "CAFE ARABICA", "LAIT DEMI-ECREME", "POMMES GALA", "FROMAGE",
             "EAU MINERALE", "CHOCOLAT NOIR", "CROISSANT")
    draw.text((360, 90), "SUPERMARCHE DU CENTRE", font=font, fill=(20, 20, 20))
    for i in range(10):
        name = _pick(rng, items)
        draw.text((340, 160 + i * 55), f"{name:<18}{rng.uniform(0.5, 12):6.2f} EUR", font=font,
                  fill=(20, 20, 20))
    return img


# ----- phone-photo degradations ----------------------------------------------------------

def _table(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A table top: a dark or wooden colour with grain and noise (uint8 RGB)."""
    base = np.array(_pick(rng, ((92, 64, 40), (60, 60, 66), (140, 110, 80), (35, 35, 38),
                                (110, 120, 125))), np.float32)
    grain = np.sin(np.linspace(0, rng.uniform(20, 60), width))[None, :, None] * 12
    noise = rng.normal(0, 6, (height, width, 1))
    return np.clip(base + grain + noise, 0, 255).astype(np.uint8)


def _shadow_and_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Low light, a soft shadow gradient and sometimes a glare spot."""
    h, w = img.shape[:2]
    out = img.astype(np.float32) * rng.uniform(0.6, 1.05)
    angle = rng.uniform(0, 2 * math.pi)
    xx, yy = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    ramp = (xx * math.cos(angle) + yy * math.sin(angle) + 1.4) / 2.8
    out *= (1 - rng.uniform(0.0, 0.45) * (1 - ramp))[..., None]
    if rng.random() < 0.3:
        cx, cy = rng.uniform(-0.6, 0.6, 2)
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / rng.uniform(0.02, 0.06))
        out += (spot * rng.uniform(60, 110))[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def photograph(card: Image.Image, rng: np.random.Generator, exif_rotate: bool = True) -> bytes:
    """Turns a card scan into a phone-photo JPEG (bytes) of the card on a table.

    Applies a perspective and rotation, a table background, low light, shadow, glare, blur,
    sensor noise, a lower resolution and JPEG compression; sometimes stores the pixels
    sideways with an EXIF orientation tag, as phones do.
    """
    src = np.array(card)
    scale = rng.uniform(0.62, 0.85)  # card width relative to the photo width
    out_w = int(rng.integers(1150, 1700))
    out_h = int(out_w * rng.uniform(0.72, 0.85))
    cw, ch = out_w * scale, out_w * scale * CARD_H / CARD_W
    cx = out_w / 2 + rng.uniform(-0.06, 0.06) * out_w
    cy = out_h / 2 + rng.uniform(-0.05, 0.05) * out_h
    rot = math.radians(rng.uniform(-10, 10))
    corners = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
    corners = corners + rng.uniform(-0.05, 0.05, (4, 2)) * [cw, ch]
    rmat = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    dst = (corners @ rmat.T + [cx, cy]).astype(np.float32)
    srcq = np.float32([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]])
    matrix = cv2.getPerspectiveTransform(srcq, dst)
    table = _table(rng, out_w, out_h)
    warped = cv2.warpPerspective(src, matrix, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full(src.shape[:2], 255, np.uint8), matrix, (out_w, out_h))
    photo = np.where(mask[..., None] > 127, warped, table)
    photo = _shadow_and_light(photo, rng)
    sigma = rng.uniform(0.0, 1.3)
    if sigma > 0.3:
        photo = cv2.GaussianBlur(photo, (0, 0), sigma)
    photo = np.clip(photo + rng.normal(0, rng.uniform(1, 7), photo.shape), 0, 255).astype(np.uint8)
    return _encode_jpeg(photo, rng, exif_rotate and rng.random() < 0.25)


def _encode_jpeg(photo: np.ndarray, rng: np.random.Generator, sideways: bool) -> bytes:
    image = Image.fromarray(photo)
    exif = Image.Exif()
    if sideways:
        # Pixels stored rotated 90 degrees clockwise; orientation 6 tells viewers to undo it.
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=int(rng.integers(45, 90)), exif=exif.tobytes())
    return buf.getvalue()


def scan_bytes(card: Image.Image, fmt: str = "PNG") -> bytes:
    """Encodes a clean scan (PNG by default) as a file would hold it."""
    buf = io.BytesIO()
    card.save(buf, fmt)
    return buf.getvalue()


def soften(card: Image.Image) -> Image.Image:
    """A very light blur, as a flatbed scanner gives (used for the 'clean' set)."""
    return card.filter(ImageFilter.GaussianBlur(0.4))
