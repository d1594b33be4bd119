"""Phone-photo degradations of any card image.

The card is laid on a drawn background (wood, fabric, a car seat, a table, or held by a
hand), turned, put in perspective, lit unevenly, shadowed, given glare spots, blurred,
sub-sampled and JPEG-compressed. The card always stays wholly inside the frame, and the
returned dict says exactly what was applied, including where the card's corners landed.
"""

from __future__ import annotations

import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CONDITIONS = (
    "plain",
    "skew",
    "rot90",
    "rot180",
    "rot270",
    "keystone",
    "shadow",
    "uneven_light",
    "glare",
    "blur",
    "jpeg40",
    "lowres370",
    "small_in_frame",
    "hand",
    "car_seat",
    "random",
)
BACKGROUNDS = ("wood", "fabric", "car_seat", "table")
LOWRES_CARD_WIDTH = 370
MAX_PIXELS = 40_000_000  # refuse absurd inputs instead of allocating gigabytes

# Colours a background may use: none is a saturated green, so tests can find the card.
WOODS = ((150, 105, 65), (120, 80, 50), (185, 140, 95), (95, 62, 40), (200, 165, 120))
FABRICS = (
    (60, 80, 120),
    (150, 40, 45),
    (120, 120, 125),
    (190, 175, 150),
    (40, 40, 45),
    (110, 70, 110),
    (70, 95, 140),
)
SEATS = ((40, 40, 42), (65, 62, 60), (30, 30, 34), (140, 125, 105))
TABLES = ((225, 225, 220), (200, 200, 205), (235, 230, 215), (170, 170, 170))
SKINS = ((233, 190, 160), (200, 150, 115), (160, 110, 80), (110, 75, 55), (240, 205, 180))


# ----------------------------------------------------------------------------- plan
def _plan(rng: random.Random, condition: str) -> dict:
    """What to apply: a mild base photo, plus the named condition at full strength."""
    p = {
        "condition": condition,
        "background": rng.choice(BACKGROUNDS),
        "base_rotation": 0,
        "skew_deg": rng.uniform(-1.5, 1.5),
        "keystone": 0.0,
        "keystone_side": None,
        "card_fraction": rng.uniform(0.6, 0.9),
        "light": rng.uniform(0.05, 0.12),
        "shadow": 0.0,
        "glare_spots": 0,
        "blur_radius": 0.0,
        "noise_sigma": rng.uniform(1.0, 2.5),
        "jpeg_quality": None,
        "lowres": False,
        "hand": False,
    }
    sign = rng.choice((-1, 1))
    if condition == "skew":
        p["skew_deg"] = sign * rng.uniform(5, 15)
    elif condition in ("rot90", "rot180", "rot270"):
        p["base_rotation"] = int(condition[3:])
        p["skew_deg"] = rng.uniform(-5, 5)
    elif condition == "keystone":
        p["keystone"] = rng.uniform(0.12, 0.2)
        p["skew_deg"] = rng.uniform(-3, 3)
    elif condition == "shadow":
        p["shadow"] = rng.uniform(0.35, 0.6)
    elif condition == "uneven_light":
        p["light"] = rng.uniform(0.3, 0.45)
    elif condition == "glare":
        p["glare_spots"] = rng.randint(1, 3)
    elif condition == "blur":
        p["blur_radius"] = rng.uniform(1.0, 1.8)
    elif condition == "jpeg40":
        p["jpeg_quality"] = 40
    elif condition == "lowres370":
        p["lowres"] = True
    elif condition == "small_in_frame":
        p["card_fraction"] = rng.uniform(0.35, 0.45)
    elif condition == "hand":
        p["hand"] = True
        p["card_fraction"] = rng.uniform(0.55, 0.8)
    elif condition == "car_seat":
        p["background"] = "car_seat"
    elif condition == "random":
        _randomise(rng, p)
    if p["keystone"]:
        p["keystone_side"] = rng.choice(("top", "bottom", "left", "right"))
    return p


def _randomise(rng: random.Random, p: dict) -> None:
    """Any mix of everything, each effect within the issue's stated ranges."""
    if rng.random() < 0.3:
        p["base_rotation"] = rng.choice((90, 180, 270))
    p["skew_deg"] = rng.uniform(-15, 15) if rng.random() < 0.7 else rng.uniform(-2, 2)
    p["keystone"] = rng.uniform(0.0, 0.2) if rng.random() < 0.6 else 0.0
    p["card_fraction"] = rng.uniform(0.35, 0.95)
    p["light"] = rng.uniform(0.05, 0.4)
    p["shadow"] = rng.uniform(0.3, 0.55) if rng.random() < 0.35 else 0.0
    p["glare_spots"] = rng.randint(1, 2) if rng.random() < 0.3 else 0
    p["blur_radius"] = rng.uniform(0.6, 1.6) if rng.random() < 0.4 else 0.0
    p["jpeg_quality"] = rng.randint(40, 90) if rng.random() < 0.6 else None
    p["lowres"] = rng.random() < 0.15
    p["hand"] = rng.random() < 0.2
    if p["hand"]:
        p["card_fraction"] = min(p["card_fraction"], 0.8)


# ----------------------------------------------------------------------------- geometry
def _card_quad(w: float, h: float, p: dict) -> np.ndarray:
    """The card's corners TL, TR, BR, BL after keystone and rotation, centred on 0."""
    q = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], float)
    k = p["keystone"]
    side = p["keystone_side"]
    if k:
        # The far edge looks shorter; the card also looks a little shorter that way.
        if side in ("top", "bottom"):
            idx = (0, 1) if side == "top" else (3, 2)
            q[idx[0], 0] += k * w / 2
            q[idx[1], 0] -= k * w / 2
            q[list(idx), 1] *= 1 - k * 0.4
        else:
            idx = (0, 3) if side == "left" else (1, 2)
            q[idx[0], 1] += k * h / 2
            q[idx[1], 1] -= k * h / 2
            q[list(idx), 0] *= 1 - k * 0.4
    a = math.radians(p["base_rotation"] + p["skew_deg"])
    # Counter-clockwise as seen on screen (image y grows downwards).
    rot = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    return q @ rot.T


def _perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def _layout(card_size: tuple[int, int], rng: random.Random, p: dict):
    """Frame size, the pixel scale of the card and its corner positions in the frame."""
    cw, ch = card_size
    quad = _card_quad(cw, ch, p)
    lo, hi = quad.min(0), quad.max(0)
    bw, bh = hi - lo
    aspect = rng.choice((4 / 3, 16 / 9, 3 / 2))
    if bh > bw:
        aspect = 1 / aspect
    f = p["card_fraction"]
    fw = max(bw / f, bh * aspect / f)
    fh = fw / aspect
    top = np.linalg.norm(quad[1] - quad[0])
    bottom = np.linalg.norm(quad[2] - quad[3])
    if p["lowres"]:
        scale = LOWRES_CARD_WIDTH / ((top + bottom) / 2)
    else:
        scale = rng.uniform(1200, 1800) / max(fw, fh)
        scale = min(scale, 1.25)  # never enlarge the card much: a phone does not add detail
    fw_px, fh_px = max(64, round(fw * scale)), max(64, round(fh * scale))
    margin = 3.0
    free_x = fw_px - bw * scale - 2 * margin
    free_y = fh_px - bh * scale - 2 * margin
    ox = margin + rng.uniform(0, max(0.0, free_x))
    oy = margin + rng.uniform(0, max(0.0, free_y))
    placed = (quad - lo) * scale + np.array([ox, oy])
    return (fw_px, fh_px), scale, placed


# ----------------------------------------------------------------------------- textures
def _smooth_noise(rng: np.random.Generator, size: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1], as float32 (h, w)."""
    w, h = size
    gw, gh = max(2, cells), max(2, int(cells * h / max(w, 1)) + 1)
    small = Image.fromarray(((rng.random((gh, gw)) * 255).astype(np.uint8)), "L")
    big = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), np.float32)
    return big / 127.5 - 1.0


def _colour(base, field: np.ndarray) -> np.ndarray:
    out = np.empty(field.shape + (3,), np.float32)
    for c in range(3):
        out[..., c] = base[c] * field
    return out


def _wood(rng: random.Random, nrng: np.random.Generator, size) -> np.ndarray:
    w, h = size
    base = rng.choice(WOODS)
    vertical = rng.random() < 0.5
    L, S = (h, w) if vertical else (w, h)
    across = np.arange(S, dtype=np.float32)[:, None]
    warp = _smooth_noise(nrng, (L, S), 6) * S / 25
    grain = np.sin((across + warp) * np.float32(2 * math.pi / rng.uniform(9, 22)))
    fine = nrng.standard_normal((S, 1), dtype=np.float32)
    plank = rng.uniform(S / 5, S / 2.5)
    seams = (np.mod(across, plank) < 2).astype(np.float32)
    field = 1 + 0.07 * grain + 0.03 * fine - 0.25 * seams + 0.06 * _smooth_noise(nrng, (L, S), 4)
    if vertical:
        field = field.T
    return _colour(base, field)


def _fabric(rng: random.Random, nrng: np.random.Generator, size) -> np.ndarray:
    w, h = size
    base = rng.choice(FABRICS)
    yy, xx = np.ogrid[0:h, 0:w]
    period = rng.uniform(3, 7)
    weave = (np.sin(xx * 2 * math.pi / period) * np.sin(yy * 2 * math.pi / period)).astype(
        np.float32
    )
    field = 1 + 0.08 * weave + 0.05 * nrng.standard_normal((h, w), dtype=np.float32)
    field += 0.1 * _smooth_noise(nrng, size, 5)  # folds
    return _colour(base, field)


def _car_seat(rng: random.Random, nrng: np.random.Generator, size) -> np.ndarray:
    w, h = size
    base = rng.choice(SEATS)
    yy, xx = np.ogrid[0:h, 0:w]
    pitch = rng.uniform(9, 16)
    holes = ((np.mod(xx, pitch) - pitch / 2) ** 2 + (np.mod(yy, pitch) - pitch / 2) ** 2) < 3.0
    field = 1 + 0.06 * nrng.standard_normal((h, w), dtype=np.float32) - 0.35 * holes
    field += 0.15 * _smooth_noise(nrng, size, 3)
    img = _colour(base, field)
    # Stitched seams between the seat's padded panels.
    panel = rng.uniform(w / 4, w / 2)
    for x0 in np.arange(rng.uniform(0, panel), w, panel):
        x0 = int(x0)
        img[:, max(0, x0 - 3) : x0 + 3] *= 0.6
        stitch = np.mod(np.arange(h), 12) < 6
        col = min(w - 1, x0 + 6)
        img[stitch, col] = np.array(base, np.float32) * 1.6 + 30
    return img


def _table(rng: random.Random, nrng: np.random.Generator, size) -> np.ndarray:
    w, h = size
    base = rng.choice(TABLES)
    field = (
        1
        + 0.02 * nrng.standard_normal((h, w), dtype=np.float32)
        + 0.04 * _smooth_noise(nrng, size, 3)
    )
    return _colour(base, field)


TEXTURES = {"wood": _wood, "fabric": _fabric, "car_seat": _car_seat, "table": _table}


# ----------------------------------------------------------------------------- hand
def _ellipse(centre: np.ndarray, u: np.ndarray, ru: float, rv: float) -> list[tuple]:
    """Polygon of an ellipse with radius `ru` along unit vector `u` and `rv` across it."""
    v = np.array([-u[1], u[0]])
    t = np.linspace(0, 2 * math.pi, 48, endpoint=False)
    pts = centre + np.outer(np.cos(t) * ru, u) + np.outer(np.sin(t) * rv, v)
    return [tuple(pt) for pt in pts]


def _hand(
    draw: ImageDraw.ImageDraw, rng: random.Random, quad: np.ndarray, skin, layer: str, place: float
) -> None:
    """A hand holding the card by its left edge: palm and wrist beside it, thumb over it."""
    tl, tr, _, bl = quad
    edge = bl - tl
    length = float(np.linalg.norm(edge))
    along = edge / length
    outward = -(tr - tl) / np.linalg.norm(tr - tl)  # away from the card, past its left edge
    at = tl + edge * place
    if layer == "palm":
        palm = at + outward * length * 0.42
        draw.polygon(_ellipse(palm, outward, length * 0.36, length * 0.42), fill=skin)
        wrist_end = palm + outward * length * 3
        draw.line([tuple(palm), tuple(wrist_end)], fill=skin, width=int(length * 0.55))
        for k in (-0.28, -0.1, 0.08):  # fingers curled round the card's edge, behind it
            f0 = palm + along * length * k
            f1 = at + along * length * k * 1.2 - outward * length * 0.02
            draw.line([tuple(f0), tuple(f1)], fill=skin, width=int(length * 0.13))
        return
    # The thumb crosses the edge by ~1.5 % of the card's width: it hides no field.
    card_w = float(np.linalg.norm(tr - tl))
    r = max(4.0, length * 0.065)
    tip = at - outward * (card_w * 0.015 - r)
    base = at + outward * length * 0.3 + along * length * 0.08
    draw.line([tuple(base), tuple(tip)], fill=skin, width=int(2 * r))
    draw.polygon(_ellipse(tip, outward, r, r), fill=skin)
    nail_col = tuple(min(255, c + 22) for c in skin)
    draw.polygon(_ellipse(tip + outward * r * 0.35, outward, r * 0.55, r * 0.6), fill=nail_col)


# ----------------------------------------------------------------------------- light
def _light_field(rng: random.Random, size, strength: float) -> np.ndarray:
    """A multiplicative light field: a gradient in one direction plus a soft vignette."""
    w, h = size
    # Light varies slowly: compute it on a coarse grid, then enlarge it.
    sw, sh = max(2, w // 8), max(2, h // 8)
    yy, xx = np.ogrid[0:sh, 0:sw]
    xx, yy = xx.astype(np.float32) / sw, yy.astype(np.float32) / sh
    a = rng.uniform(0, 2 * math.pi)
    g = (xx - 0.5) * math.cos(a) + (yy - 0.5) * math.sin(a)
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
    r2 = (xx - cx) ** 2 + (yy - cy) ** 2
    small = (1.0 + strength * (g * 1.2 - 0.5 * r2 + 0.1)).astype(np.float32)
    return _enlarge(small, size)


def _enlarge(small: np.ndarray, size) -> np.ndarray:
    """A float32 field resized smoothly to `size` (w, h)."""
    return np.array(Image.fromarray(small, "F").resize(size, Image.Resampling.BILINEAR))


def _shadow_mask(rng: random.Random, size, quad: np.ndarray) -> np.ndarray:
    """A soft shadow (of a phone or a hand) falling over part of the card, in [0, 1]."""
    w, h = size
    k = 4  # drawn and blurred at a quarter of the size: it is soft anyway
    m = Image.new("L", (max(2, w // k), max(2, h // k)), 0)
    d = ImageDraw.Draw(m)
    quad = quad / k
    w, h = m.size
    c = quad.mean(0)
    a = rng.uniform(0, 2 * math.pi)
    direction = np.array([math.cos(a), math.sin(a)])
    normal = np.array([-direction[1], direction[0]])
    reach = max(w, h)
    start = c + direction * rng.uniform(-0.1, 0.25) * np.linalg.norm(quad[2] - quad[0])
    poly = [
        start + normal * reach,
        start - normal * reach,
        start - normal * reach + direction * reach,
        start + normal * reach + direction * reach,
    ]
    d.polygon([tuple(pt) for pt in poly], fill=255)
    m = m.filter(ImageFilter.GaussianBlur(max(1, min(w, h) / 25)))
    return _enlarge(np.asarray(m, np.float32) / 255.0, size)


def _glare(rng: random.Random, img: np.ndarray, quad: np.ndarray, n: int) -> list:
    """Bright elliptical spots over the card, saturating towards their centre."""
    h, w = img.shape[:2]
    spots = []
    card_w = np.linalg.norm(quad[1] - quad[0])
    for _ in range(n):
        s, t = rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)
        top = quad[0] + (quad[1] - quad[0]) * s
        bottom = quad[3] + (quad[2] - quad[3]) * s
        cx, cy = top + (bottom - top) * t
        rx = card_w * rng.uniform(0.03, 0.08)
        ry = rx * rng.uniform(0.4, 1.0)
        strength = rng.uniform(0.6, 0.95)
        x0, x1 = max(0, int(cx - 3 * rx)), min(w, int(cx + 3 * rx) + 1)
        y0, y1 = max(0, int(cy - 3 * rx)), min(h, int(cy + 3 * rx) + 1)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        g = np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)).astype(np.float32)
        patch = img[y0:y1, x0:x1]
        patch += (255.0 - patch) * (strength * g)[..., None]
        spots.append([round(float(cx), 1), round(float(cy), 1), round(float(rx), 1)])
    return spots


def _sensor_noise(nrng: np.random.Generator, shape, sigma: float) -> np.ndarray:
    """Gaussian sensor noise: one random 256 x 256 tile repeated (drawing every pixel costs)."""
    tile = nrng.standard_normal((256, 256, shape[2]), dtype=np.float32) * np.float32(sigma)
    reps = (-(-shape[0] // 256), -(-shape[1] // 256), 1)
    return np.tile(tile, reps)[: shape[0], : shape[1]]


# ----------------------------------------------------------------------------- main
def degrade(card: Image.Image, seed: int, *, condition: str = "random"):
    """A phone photo of `card` (any card image) under `condition`.

    Returns (photo, applied). The photo is an RGB PIL image, or JPEG bytes when the
    condition compresses (``applied["output"]`` says which). ``applied["card_quad"]`` gives
    the card's own top-left, top-right, bottom-right and bottom-left corners in the frame
    (all strictly inside it); angles are counter-clockwise as seen on screen.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}, not {condition!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not isinstance(card, Image.Image):
        raise TypeError(f"card must be a PIL image, not {type(card).__name__}")
    if card.width < 16 or card.height < 16 or card.width * card.height > MAX_PIXELS:
        raise ValueError(f"card image size {card.size} is out of range")
    rng = random.Random(f"independent-degrade:{condition}:{seed}")
    nrng = np.random.default_rng(rng.getrandbits(64))
    p = _plan(rng, condition)
    card = card.convert("RGB")

    (fw, fh), scale, quad = _layout(card.size, rng, p)
    # Resample the card near its final size first, so that shrinking does not alias.
    sw, sh = max(8, round(card.width * scale)), max(8, round(card.height * scale))
    src = card.resize((sw, sh), Image.Resampling.LANCZOS) if (sw, sh) != card.size else card
    src_corners = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], float)
    # Warp only into the card's bounding box: the rest of the frame is background.
    bx0, by0 = (int(v) for v in np.floor(quad.min(0)))
    bx1, by1 = (int(v) + 1 for v in np.ceil(quad.max(0)))
    bx0, by0, bx1, by1 = max(0, bx0), max(0, by0), min(fw, bx1), min(fh, by1)
    coeffs = _perspective_coeffs(quad - np.array([bx0, by0]), src_corners)

    # The support is out of focus behind a card the phone focused on: drawn at half size.
    half = (max(8, (fw + 1) // 2), max(8, (fh + 1) // 2))
    frame = np.clip(TEXTURES[p["background"]](rng, nrng, half), 0, 255).astype(np.uint8)
    photo = Image.fromarray(frame, "RGB").resize((fw, fh), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(photo)
    skin = rng.choice(SKINS)
    place = rng.uniform(0.35, 0.65)
    if p["hand"]:
        _hand(draw, rng, quad, skin, "palm", place)
    # A soft drop shadow under the card lying on its support.
    drop = Image.new("L", (max(2, fw // 4), max(2, fh // 4)), 0)
    offset = np.array([rng.uniform(-1, 1), rng.uniform(1, 3)]) * max(1.0, fw / 600)
    ImageDraw.Draw(drop).polygon([tuple(pt) for pt in (quad + offset) / 4], fill=90)
    drop = drop.filter(ImageFilter.GaussianBlur(max(1, fw / 1200))).resize(
        (fw, fh), Image.Resampling.BILINEAR
    )
    photo = Image.composite(Image.new("RGB", (fw, fh), (0, 0, 0)), photo, drop)

    src = src.convert("RGBA")  # the alpha channel becomes the card's mask once warped
    warped = src.transform(
        (bx1 - bx0, by1 - by0), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
    )
    photo.paste(warped, (bx0, by0), warped)
    if p["hand"]:
        _hand(ImageDraw.Draw(photo), rng, quad, skin, "thumb", place)

    arr = np.asarray(photo, np.float32).copy()
    light = _light_field(rng, (fw, fh), p["light"])
    if p["shadow"]:
        light *= 1.0 - p["shadow"] * _shadow_mask(rng, (fw, fh), quad)
    arr *= light[..., None]
    glare = _glare(rng, arr, quad, p["glare_spots"]) if p["glare_spots"] else []
    arr += _sensor_noise(nrng, arr.shape, p["noise_sigma"])
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    if p["blur_radius"]:
        photo = photo.filter(ImageFilter.GaussianBlur(p["blur_radius"]))

    top = np.linalg.norm(quad[1] - quad[0])
    bottom = np.linalg.norm(quad[2] - quad[3])
    applied = {
        **{k: v for k, v in p.items() if k not in ("lowres",)},
        "lowres370": p["lowres"],
        "angle_deg": round((p["base_rotation"] + p["skew_deg"]) % 360, 3),
        "skew_deg": round(p["skew_deg"], 3),
        "keystone": round(p["keystone"], 4),
        "card_fraction": round(p["card_fraction"], 4),
        "light": round(p["light"], 4),
        "shadow": round(p["shadow"], 4),
        "blur_radius": round(p["blur_radius"], 3),
        "noise_sigma": round(p["noise_sigma"], 3),
        "glare": glare,
        "frame_size": [fw, fh],
        "card_scale": round(scale, 5),
        "card_width_px": round(float(top + bottom) / 2, 1),
        "card_quad": [[round(float(x), 2), round(float(y), 2)] for x, y in quad],
    }
    if p["jpeg_quality"] is not None:
        buf = io.BytesIO()
        photo.save(buf, format="JPEG", quality=p["jpeg_quality"])
        applied["output"] = "jpeg"
        return buf.getvalue(), applied
    applied["output"] = "image"
    return photo, applied
