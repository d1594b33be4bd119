"""Drawing of the card: tinted security background, then the printed fields.

Two layouts. "current" (since 2009): a title band, the fields in two or three columns,
each value after its small bold code, several fields per row, a Y row of taxes, and a
detachable coupon below a perforation repeating A, I, the formula number, E, D.1, C.1 and
the MRZ. "old" (FNI plates, before 2009): a centred title, the holder block on the left
and a grid of boxed cells on the right, each cell with its code in a small label box above
its value, values in a monospaced printer face, the MRZ at the bottom without a coupon.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

from .fonts import STYLES, font
from .values import CardValues

# Pale card tints (RGB) and, per tint, a slightly stronger colour for the guilloche lines.
TINTS = (
    ((226, 238, 222), (170, 205, 170)),  # light green
    ((240, 233, 214), (214, 190, 150)),  # beige
    ((243, 226, 230), (222, 170, 186)),  # pink
    ((232, 236, 240), (176, 190, 214)),  # blue-grey
    ((238, 240, 220), (196, 206, 150)),  # pale olive
)
INKS = ((20, 20, 22), (38, 38, 44), (18, 24, 52), (45, 40, 38))


def _jitter(rng: random.Random, amount: float) -> float:
    return rng.uniform(-amount, amount)


def background(rng: random.Random, size: tuple[int, int], old: bool) -> Image.Image:
    """Tint, gradient, guilloche waves, a rosette and a drawn watermark."""
    w, h = size
    tint, line = TINTS[rng.randrange(len(TINTS))]
    if old:
        tint, line = ((234, 232, 238), (196, 186, 210)) if rng.random() < 0.5 else TINTS[1]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 + 0.02 * np.sin(xx / w * math.pi * rng.uniform(0.5, 2)) - 0.015 * (yy / h)
    base = np.empty((h, w, 3), np.float32)
    for c in range(3):
        base[..., c] = tint[c] * shade
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")

    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    alpha = rng.randint(60, 110)
    n_waves = rng.randint(18, 34)
    period = w / rng.uniform(3, 7)
    amp = h / rng.uniform(18, 30)
    xs = np.linspace(0, w, 160)
    for k in range(n_waves):
        y0 = (k + 0.5) * h / n_waves
        phase = k * rng.uniform(0.25, 0.5)
        ys = (
            y0
            + amp * np.sin(2 * math.pi * xs / period + phase)
            + amp * 0.4 * np.sin(2 * math.pi * xs / (period * 0.37) - phase)
        )
        draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=line + (alpha,), width=1)
    # A rosette: closed curves r = R + a sin(n theta + phi) around one centre.
    cx, cy = w * rng.uniform(0.55, 0.85), h * rng.uniform(0.3, 0.6)
    radius = h * rng.uniform(0.18, 0.3)
    petals = rng.randint(9, 17)
    theta = np.linspace(0, 2 * math.pi, 360)
    for k in range(rng.randint(8, 16)):
        r = radius * (0.55 + 0.45 * k / 16) + radius * 0.12 * np.sin(petals * theta + k * 0.4)
        pts = list(
            zip((cx + r * np.cos(theta)).tolist(), (cy + r * np.sin(theta)).tolist(), strict=True)
        )
        draw.line(pts + pts[:1], fill=line + (alpha,), width=1)
    _watermark(draw, rng, size, line)
    img = Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")
    return img


def _watermark(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    size: tuple[int, int],
    colour: tuple[int, int, int],
) -> None:
    """A faint stylised 'RF' and a profile under a pointed cap (our own drawing)."""
    w, h = size
    a = rng.randint(35, 60)
    fill = colour + (a,)
    cx, cy = w * rng.uniform(0.18, 0.4), h * rng.uniform(0.35, 0.6)
    s = h * rng.uniform(0.16, 0.22)
    # Head: an ellipse; cap: a curved triangle leaning forward; neck: a trapezium.
    draw.ellipse([cx - s * 0.55, cy - s * 0.6, cx + s * 0.55, cy + s * 0.7], outline=fill, width=3)
    draw.polygon(
        [
            (cx - s * 0.6, cy - s * 0.2),
            (cx - s * 0.2, cy - s * 1.25),
            (cx + s * 0.75, cy - s * 1.0),
            (cx + s * 0.55, cy - s * 0.35),
        ],
        outline=fill,
    )
    draw.line(
        [
            (cx - s * 0.3, cy + s * 0.65),
            (cx - s * 0.45, cy + s * 1.2),
            (cx + s * 0.5, cy + s * 1.2),
            (cx + s * 0.3, cy + s * 0.6),
        ],
        fill=fill,
        width=2,
    )
    draw.text(
        (cx + s * 0.9, cy - s * 0.4),
        "RF",
        font=font("sans_bold", int(s * 1.1)),
        fill=colour + (a - 10,),
    )


class RecordingDraw(ImageDraw.ImageDraw):
    """An ImageDraw that keeps the box of every text it draws (for overlap checks)."""

    def __init__(self, img: Image.Image):
        super().__init__(img)
        self.boxes: list[tuple[str, tuple[float, float, float, float]]] = []

    def text(self, xy, text, fill=None, font=None, *args, **kwargs):  # noqa: D102
        if text:
            self.boxes.append((text, self.textbbox(xy, text, font=font)))
        return super().text(xy, text, fill, font, *args, **kwargs)


def draw_card(rng: random.Random, values: CardValues, layout: str):
    """The card image of `layout` and the boxes of all texts drawn on it."""
    return render_current(rng, values) if layout == "current" else render_old(rng, values)


class Printer:
    """Draws codes and values in one printer's style onto a card image."""

    def __init__(
        self,
        img: Image.Image,
        rng: random.Random,
        unit: float,
        style: dict,
        ink: tuple[int, int, int],
    ):
        self.img = img
        self.draw = RecordingDraw(img)
        self.rng = rng
        self.style = style
        self.ink = ink
        self.value_size = unit * rng.uniform(0.95, 1.1)
        self.code_size = self.value_size * rng.uniform(0.72, 0.88)
        self.gap = unit * rng.uniform(0.35, 0.8)
        self.line_h = self.value_size * rng.uniform(1.12, 1.3)

    def value_font(self, size: float | None = None):
        return font(self.style["value"], int(size or self.value_size))

    def code_font(self):
        return font(self.style["code"], int(self.code_size))

    def text_width(self, text: str, f) -> float:
        return self.draw.textlength(text, font=f)

    def field(self, x: float, y: float, code: str, lines: list[str], max_width: float) -> float:
        """Code then value lines at (x, y); returns the x where the field ends."""
        cf = self.code_font()
        j = self.value_size * 0.04
        # Codes sit on the value's baseline: align their bottoms.
        dy = (self.value_size - self.code_size) * 0.8
        self.draw.text((x + _jitter(self.rng, j), y + dy), code, font=cf, fill=self.ink)
        vx = x + self.text_width(code, cf) + self.gap
        end = vx
        size = self.value_size
        room = max_width - (vx - x)
        widest = max((self.text_width(t, self.value_font(size)) for t in lines), default=0)
        if widest > room > 0:  # a long value is printed smaller, never cut
            size = max(self.value_size * 0.6, size * room / widest)
        vf = self.value_font(size)
        for i, text in enumerate(lines):
            ty = y + i * self.line_h + _jitter(self.rng, j)
            self.draw.text((vx + _jitter(self.rng, j), ty), text, font=vf, fill=self.ink)
            end = max(end, vx + self.text_width(text, vf))
        return end

    def row(
        self,
        x: float,
        y: float,
        codes: list[str],
        values: CardValues,
        max_width: float,
        spread: bool,
    ) -> int:
        """Several fields on one row; returns the number of text lines the row took."""
        spacing = self.value_size * self.rng.uniform(0.9, 1.6)
        n = len(codes)
        slot = max_width / n
        cursor = x
        for i, code in enumerate(codes):
            lines = values.lines.get(code, [])
            start = x + i * slot if spread else cursor
            cursor = self.field(start, y, code, lines, max_width - (start - x)) + spacing
        return max(1, max(len(values.lines.get(c, [])) for c in codes))


CURRENT_COLUMNS_3 = (
    (["A"], ["B"], ["C.1"], ["C.3"], ["C.4a"], ["I"], ["H"]),
    (["D.1"], ["D.2"], ["D.2.1"], ["D.3"], ["E"], ["F.1", "F.2", "F.3"], ["G", "G.1"], ["K"]),
    (
        ["J", "J.1", "J.2", "J.3"],
        ["P.1", "P.2", "P.3", "P.6"],
        ["Q"],
        ["S.1", "S.2"],
        ["U.1", "U.2"],
        ["V.7"],
        ["V.9"],
        ["X.1"],
        ["Z.1"],
        ["Z.2"],
        ["Z.3"],
        ["Z.4"],
    ),
)
CURRENT_COLUMNS_2 = (
    (
        ["A"],
        ["B"],
        ["C.1"],
        ["C.3"],
        ["C.4a"],
        ["I"],
        ["H"],
        ["D.1"],
        ["D.2"],
        ["D.2.1"],
        ["D.3"],
        ["E"],
    ),
    (
        ["F.1"],
        ["F.2"],
        ["F.3"],
        ["G"],
        ["G.1"],
        ["J", "J.1", "J.2", "J.3"],
        ["K"],
        ["P.1", "P.2", "P.3", "P.6"],
        ["Q"],
        ["S.1"],
        ["S.2"],
        ["U.1"],
        ["U.2"],
        ["V.7"],
        ["V.9"],
        ["X.1"],
        ["Z.1", "Z.2"],
        ["Z.3", "Z.4"],
    ),
)
Y_ROW = ["Y.1", "Y.2", "Y.3", "Y.4", "Y.5", "Y.6"]


def _column_lines(rows, values: CardValues) -> int:
    return sum(max(1, max(len(values.lines.get(c, [])) for c in r)) for r in rows)


def render_current(rng: random.Random, values: CardValues):
    """The card as issued since 2009 (SIV), coupon included."""
    w = rng.randrange(1000, 1601, 2)
    h = int(w * rng.uniform(0.6, 0.66))
    img = background(rng, (w, h), old=False)
    style = STYLES[rng.randrange(len(STYLES))]
    ink = INKS[rng.randrange(len(INKS))]
    three = rng.random() < 0.65
    columns = CURRENT_COLUMNS_3 if three else CURRENT_COLUMNS_2
    coupon_top = h * rng.uniform(0.72, 0.76)
    margin = w * rng.uniform(0.025, 0.04)
    title_h = h * rng.uniform(0.09, 0.11)
    # The unit (value font size) is chosen so that the tallest column fits the main area.
    tallest = max(_column_lines(c, values) for c in columns) + 1.6  # + the Y row
    most_rows = max(len(c) for c in columns) + 1
    area = coupon_top - title_h - margin * 0.5
    unit = min(w / rng.uniform(56, 72), area / (tallest * 1.32 + most_rows * 0.15))
    p = Printer(img, rng, unit, style, ink)
    d = p.draw
    # Rows are spread over a share of the main area, with one pitch for all columns.
    fill = rng.uniform(0.7, 0.95)
    slack = area * fill - tallest * p.line_h
    row_gap = min(unit * 1.2, max(unit * 0.12, slack / most_rows))

    title_font = font(style["title"], int(unit * rng.uniform(1.5, 1.8)))
    small = font(style["value"], int(unit * 0.7))
    d.text((margin, margin * 0.45), "REPUBLIQUE FRANCAISE", font=small, fill=ink)
    tx = margin + (w * rng.uniform(0.18, 0.26) if rng.random() < 0.6 else 0)
    d.text(
        (tx, margin * 0.45 + unit * 0.9), "CERTIFICAT D'IMMATRICULATION", font=title_font, fill=ink
    )
    d.text(
        (w - margin - d.textlength(values.formula, font=small), margin * 0.45),
        values.formula,
        font=small,
        fill=ink,
    )

    widths = (0.31, 0.32, 0.37) if three else (0.47, 0.53)
    x = margin
    usable = w - 2 * margin
    for col, frac in zip(columns, widths, strict=True):
        col_w = usable * (frac + _jitter(rng, 0.01))
        y = title_h + margin * 0.3 + _jitter(rng, unit * 0.3)
        for codes in col:
            n = p.row(x + _jitter(rng, unit * 0.15), y, codes, values, col_w - unit, spread=False)
            y += n * p.line_h + row_gap * rng.uniform(0.9, 1.1)
        x += col_w
    ytop = coupon_top - p.line_h * rng.uniform(1.4, 1.7)
    p.row(margin, ytop, Y_ROW, values, usable, spread=rng.random() < 0.5)

    _coupon(rng, img, p, values, coupon_top, margin)
    return img, d.boxes


def _coupon(
    rng: random.Random, img: Image.Image, p: Printer, values: CardValues, top: float, margin: float
) -> None:
    """Perforation, the repeated fields and the MRZ in OCR-B."""
    w, h = img.size
    d = p.draw
    dash = max(4, int(w / 150))
    for x in range(0, w, dash * 2):
        d.line([(x, top), (x + dash, top)], fill=(120, 120, 120), width=1)
    small = font(p.style["value"], int(p.value_size * 0.62))
    d.text((margin, top + 2), "COUPON DETACHABLE", font=small, fill=(90, 90, 90))
    y = top + p.value_size * 0.9
    x = margin
    usable = w - 2 * margin
    for code in ("A", "I"):
        x = p.field(x, y, code, values.lines[code], usable) + p.value_size * 1.2
    x = p.field(x, y, "N°", [values.formula], usable - (x - margin)) + p.value_size * 1.2
    p.field(x, y, "E", values.lines["E"], usable - (x - margin))
    y += p.line_h * 1.1
    x = p.field(margin, y, "D.1", values.lines["D.1"], usable) + p.value_size * 1.2
    p.field(x, y, "C.1", [" ".join(values.lines["C.1"])], usable - (x - margin))
    # The MRZ fills most of the width, in the OCR-B face.
    target = usable * rng.uniform(0.82, 0.95)
    probe = font("ocrb", 40)
    size = 40 * target / d.textlength(values.mrz[0], font=probe)
    room = (h - (y + p.line_h * 1.2)) / 2.3
    mf = font("ocrb", int(min(size, room)))
    my = y + p.line_h * 1.25
    for line in values.mrz:
        d.text((margin + _jitter(rng, 2), my), line, font=mf, fill=p.ink)
        my += mf.size * 1.15


OLD_GRID = (
    ["D.1", "D.2", "D.2.1", "D.3"],
    ["E", "K"],
    ["F.1", "F.2", "F.3", "G", "G.1"],
    ["J", "J.1", "J.2", "J.3", "P.1"],
    ["P.2", "P.3", "P.6", "Q", "S.1", "S.2"],
    ["U.1", "U.2", "V.7", "V.9"],
    ["X.1", "Z.1", "Z.2"],
    ["Z.3", "Z.4", "H"],
)


def render_old(rng: random.Random, values: CardValues):
    """The pre-2009 arrangement: boxed cells, code label above value, mono values."""
    w = rng.randrange(1000, 1601, 2)
    h = int(w * rng.uniform(0.6, 0.68))
    img = background(rng, (w, h), old=True)
    style = dict(STYLES[rng.randrange(len(STYLES))])
    style["value"] = "mono" if rng.random() < 0.7 else style["value"]
    ink = INKS[rng.randrange(len(INKS))]
    margin = w * rng.uniform(0.025, 0.04)
    unit = w / rng.uniform(66, 78)
    p = Printer(img, rng, unit, style, ink)
    d = p.draw
    frame_col = tuple(max(0, c - 70) for c in img.getpixel((5, 5)))

    title = font(style["title"], int(unit * 1.6))
    text = "CERTIFICAT D'IMMATRICULATION"
    d.text(((w - d.textlength(text, font=title)) / 2, margin * 0.5), text, font=title, fill=ink)
    sub = font(style["value"], int(unit * 0.75))
    pref = "PREFECTURE - " + values.lines["C.3"][-1].split(" ", 1)[-1]
    d.text(
        ((w - d.textlength(pref, font=sub)) / 2, margin * 0.5 + unit * 2.0),
        pref,
        font=sub,
        fill=ink,
    )

    top = margin * 0.5 + unit * 3.5
    mrz_h = unit * 3.6
    bottom = h - mrz_h - margin * 0.5
    left_w = (w - 2 * margin) * rng.uniform(0.33, 0.38)
    label = font(style["code"], int(unit * 0.72))

    def cell(x0, y0, x1, code, lines, size=None):
        d.rectangle([x0, y0, x1, y0 + unit * 1.0], outline=frame_col)
        d.text((x0 + unit * 0.2, y0 + unit * 0.12), code, font=label, fill=ink)
        vf = p.value_font(size)
        room = x1 - x0 - unit * 0.4
        widest = max((d.textlength(t, font=vf) for t in lines), default=0)
        if widest > room:
            vf = p.value_font(max(unit * 0.55, (size or p.value_size) * room / widest))
        for i, t in enumerate(lines):
            d.text(
                (x0 + unit * 0.3 + _jitter(rng, 1.5), y0 + unit * 1.2 + i * p.line_h),
                t,
                font=vf,
                fill=ink,
            )
        return y0 + unit * 1.3 + max(1, len(lines)) * p.line_h

    # Left block: plate large, dates, holder.
    y = top
    x0, x1 = margin, margin + left_w - unit * 0.5
    y = cell(x0, y, x1, "A", values.lines["A"], p.value_size * 1.35) + unit * 0.2
    half = (x0 + x1) / 2
    y_b = cell(x0, y, half - unit * 0.2, "B", values.lines["B"])
    cell(half, y, x1, "I", values.lines["I"])
    y = y_b + unit * 0.2
    y = cell(x0, y, x1, "C.1", values.lines["C.1"]) + unit * 0.2
    cell(x0, y, x1, "C.3", values.lines["C.3"])

    # Right block: a grid, rows of boxed cells sharing the width.
    gx0 = margin + left_w
    gw = w - margin - gx0
    row_h = (bottom - top) / len(OLD_GRID)
    for r, codes in enumerate(OLD_GRID):
        ry = top + r * row_h
        weights = [2.2 if c in ("E", "K", "X.1", "V.9", "D.2", "D.2.1") else 1.0 for c in codes]
        total = sum(weights)
        cx = gx0
        for c, wt in zip(codes, weights, strict=True):
            cw = gw * wt / total
            cell(cx, ry, cx + cw - unit * 0.25, c, values.lines.get(c, []))
            cx += cw

    probe = font("ocrb", 40)
    target = (w - 2 * margin) * rng.uniform(0.8, 0.92)
    size = min(40 * target / d.textlength(values.mrz[0], font=probe), mrz_h / 2.4)
    mf = font("ocrb", int(size))
    my = h - margin * 0.5 - mf.size * 2.3
    for line in values.mrz:
        d.text((margin, my), line, font=mf, fill=ink)
        my += mf.size * 1.15
    return img, d.boxes
