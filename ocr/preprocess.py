"""Finds the card in a photo, corrects perspective and orientation, evens out the lighting.

The card is the largest convex quadrilateral that stands out from its background (by
paleness, brightness, or failing that by its edges), shaped like a card and with every
side an edge in the picture (a lit patch of table cut by the frame, or a shadow, is not a
card); a white card on a white table, with no outline to see, is taken as its block of
text plus a margin. It is mapped onto a canvas of its own aspect ratio with the long
side horizontal. When no outline is found (a flat scan, or a card
filling the whole frame) the picture itself is the canvas, turned so that its text lines
run horizontally: the skew (any angle, also 90 degrees) is the one that makes the dark
pixels' row profile sharpest. The canvas then holds the card upright or upside down; a
small line classifier (``ocr.orientation``) tells which, and the canvas is turned 180
degrees when needed. The output width is fixed, so the OCR cost per card is bounded.
"""

from __future__ import annotations

import cv2
import numpy as np

# Canvas width handed to the OCR engine (the height follows the card's aspect ratio).
OUT_W = 1146
_MAX_ASPECT = 1.0  # height / width at most (a card with its coupon is about 0.83)
_MIN_AREA, _MAX_AREA = 0.08, 0.97


def _order(quad: np.ndarray) -> np.ndarray:
    """Orders 4 points clockwise from the top-left one (by angle around the centre)."""
    quad = quad.reshape(4, 2).astype(np.float32)
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    quad = quad[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(quad.sum(axis=1)))
    return np.roll(quad, -start, axis=0)


def _quads(mask: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """(area, 4 corners) of every card-sized, well-filled convex outline in ``mask``."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_total = mask.shape[0] * mask.shape[1]
    out = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not _MIN_AREA * area_total < area < _MAX_AREA * area_total:
            continue
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            approx = cv2.boxPoints(cv2.minAreaRect(hull))
            # A rotated rectangle only stands in for a card when it is filled well.
            if area < 0.85 * cv2.contourArea(approx.astype(np.float32)):
                continue
        if _touches_border(approx.reshape(4, 2), mask.shape):
            continue  # the table seen around a card filling the frame, not a card
        out.append((area, _order(approx)))
    return out


def _touches_border(quad: np.ndarray, shape: tuple[int, ...]) -> bool:
    """True when the quad is the whole frame (its corners at the image's corners): the
    picture is then a scan or a card filling the frame, not an outline. A skewed card
    touching the four sides has its corners mid-side, and is kept."""
    h, w = shape[:2]
    frame = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    reach = 0.04 * max(h, w)
    return bool(all(np.min(np.linalg.norm(frame - q, axis=1)) < reach for q in quad))


# A card is a rectangle of aspect 1.2 (with its coupon) to 1.6 seen with at most ~20 %
# keystone (which may make it look square): long / short side and the ratio of opposite
# sides stay under these bounds.
_MAX_ELONGATION = 2.1
_MAX_KEYSTONE = 1.45
# Every side of a real card outline is an edge in the picture; the sides of a lit patch
# of table cut by the frame, or of a shadow, are not (gradient units of a 3x3 Sobel).
_MIN_EDGE = 40.0


def _card_shaped(quad: np.ndarray) -> bool:
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    if min(sides) < 1.0:
        return False
    across, down = (sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2
    keystone = max(
        sides[0] / sides[2], sides[2] / sides[0], sides[1] / sides[3], sides[3] / sides[1]
    )
    elongation = max(across, down) / min(across, down)
    return elongation <= _MAX_ELONGATION and keystone <= _MAX_KEYSTONE


def _edge_support(edges: np.ndarray, quad: np.ndarray) -> float:
    """The weakest side's median gradient strength along the quad's sides. A side lying
    on the frame's border (a card partly out of the picture) is not counted."""
    h, w = edges.shape
    strengths = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        if _on_border(a, b, w, h):
            continue
        points = a + (b - a) * np.linspace(0.1, 0.9, 40)[:, None]
        xs = np.clip(points[:, 0].round().astype(int), 0, w - 1)
        ys = np.clip(points[:, 1].round().astype(int), 0, h - 1)
        strengths.append(float(np.median(edges[ys, xs])))
    return min(strengths) if len(strengths) >= 3 else 0.0


def _on_border(a: np.ndarray, b: np.ndarray, w: int, h: int) -> bool:
    near = 0.02 * max(w, h)
    return bool(
        (a[0] < near and b[0] < near)
        or (a[0] > w - near and b[0] > w - near)
        or (a[1] < near and b[1] < near)
        or (a[1] > h - near and b[1] > h - near)
    )


def _text_block(gray: np.ndarray) -> np.ndarray | None:
    """The rectangle around the largest cluster of text-sized ink, widened by a margin:
    the card when its outline cannot be told from the background (a white card on a pale
    table). None when the text fills most of the frame (a scan)."""
    h, w = gray.shape
    ink = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    small = (stats[:, 3] <= 0.04 * max(h, w)) & (stats[:, 2] <= 0.08 * max(h, w))
    small[0] = False
    ink = np.where(small[labels], 255, 0).astype(np.uint8)
    merged = cv2.dilate(ink, np.ones((9, 9), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(merged)
    if count < 2:
        return None
    # The card's text is in a few blocks (main part, coupon, MRZ): all the large clusters.
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1:] = areas >= 0.1 * areas.max()
    points = cv2.findNonZero(np.where(keep[labels], 255, 0).astype(np.uint8))
    (cx, cy), (bw, bh), angle = cv2.minAreaRect(points)
    if bw * bh < 0.04 * h * w or bw * bh > 0.5 * h * w:
        return None
    margin = 0.06 * max(bw, bh)
    rect = ((cx, cy), (bw + 2 * margin, bh + 2 * margin), angle)
    return _order(cv2.boxPoints(rect))


def find_card(rgb: np.ndarray) -> np.ndarray | None:
    """Returns the card's 4 corners (clockwise from top-left) in ``rgb`` pixels, or None.

    Outlines are looked for in several masks, in order of trust (paleness, brightness,
    edges at two strengths); in the first mask holding one, the largest outline shaped
    like a card whose sides are all edges in the picture wins. Failing that, the block of
    text is taken (with a margin) when it fills only part of the frame; else None (a
    scan, or a card filling the frame).
    """
    scale = 640 / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    # The card is pale and weakly coloured; most backgrounds are darker or more saturated.
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    paleness = cv2.GaussianBlur(
        gray.astype(np.int16) - hsv[..., 1].astype(np.int16) // 2, (5, 5), 0
    )
    paleness = np.clip(paleness, 0, 255).astype(np.uint8)
    masks = []
    for channel in (paleness, gray):
        _, bright = cv2.threshold(channel, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
        masks.append(cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)))
    for low, high in ((40, 120), (12, 36)):
        masks.append(cv2.dilate(cv2.Canny(gray, low, high), np.ones((5, 5), np.uint8)))
    gradient = cv2.dilate(
        np.hypot(
            cv2.Sobel(gray.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3),
            cv2.Sobel(gray.astype(np.float32), cv2.CV_32F, 0, 1, ksize=3),
        ),
        np.ones((5, 5), np.uint8),
    )
    best = None
    for mask in masks:  # in order of trust: the first mask holding a card outline wins
        shaped = [
            (area, quad)
            for area, quad in _quads(mask)
            if _card_shaped(quad) and _edge_support(gradient, quad) >= _MIN_EDGE
        ]
        if shaped:
            best = max(shaped, key=lambda item: item[0])[1]
            break
    if best is None:
        best = _text_block(gray)
    return None if best is None else best / scale


def warp(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Maps the card quadrilateral onto an ``OUT_W``-wide canvas, long side horizontal.

    A quad taller than wide is a card photographed sideways: its corners are rotated so
    that the long side becomes horizontal (upright or upside down, settled later).
    """
    top = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    side = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    if side > top:
        quad = np.roll(quad, -1, axis=0)  # rotate the corner order by 90 degrees
        top, side = side, top
    out_h = int(round(OUT_W * min(side / max(top, 1.0), _MAX_ASPECT)))
    target = np.float32([[0, 0], [OUT_W, 0], [OUT_W, out_h], [0, out_h]])
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    interp = cv2.INTER_AREA if top > OUT_W else cv2.INTER_CUBIC
    return cv2.warpPerspective(
        rgb, matrix, (OUT_W, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE
    )


def _ink(gray: np.ndarray) -> np.ndarray:
    """Dark strokes (text) on a locally brighter background, as a 0/1 float image."""
    binary = cv2.adaptiveThreshold(
        gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 12
    )
    return binary.astype(np.float32)


def _sharpness(ink: np.ndarray, angle: float) -> float:
    """How sharp the row profile of ``ink`` is once turned by ``angle`` degrees."""
    h, w = ink.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turned = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_NEAREST)
    profile = turned.sum(axis=1)
    return float(np.square(np.diff(profile)).sum())


def text_angle(rgb: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal:
    any multiple of 90 degrees plus up to 20 degrees of skew (180 degrees not told apart)."""
    scale = 500 / max(rgb.shape[:2])
    small = cv2.resize(
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
        None,
        fx=scale,
        fy=scale,
        interpolation=cv2.INTER_AREA,
    )
    side = int(np.hypot(*small.shape)) + 2
    pad_y, pad_x = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    ink = np.zeros((side, side), np.float32)
    ink[pad_y : pad_y + small.shape[0], pad_x : pad_x + small.shape[1]] = _ink(small)
    coarse = [a for base in (0, 90) for a in range(base - 20, base + 21, 2)]
    best = max(coarse, key=lambda a: _sharpness(ink, a))
    fine = np.arange(best - 1.5, best + 1.6, 0.5)
    return float(max(fine, key=lambda a: _sharpness(ink, a)))


def rotate(rgb: np.ndarray, angle: float) -> np.ndarray:
    """Turns ``rgb`` by ``angle`` degrees counter-clockwise, growing the canvas to fit."""
    if abs(angle) < 0.3:
        return rgb
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(
        rgb, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def fit_scan(rgb: np.ndarray) -> np.ndarray:
    """Resizes a scan (no background around the card) to the canvas width."""
    scale = OUT_W / rgb.shape[1]
    if rgb.shape[0] * scale > 1.3 * OUT_W:  # very tall picture: bound the height instead
        scale = 1.3 * OUT_W / rgb.shape[0]
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interp)


def even_light(rgb: np.ndarray) -> np.ndarray:
    """Corrects low light, shadows and glare: divides by the blurred background, stretches.

    Dividing by a large-scale estimate of the paper's brightness flattens shadow gradients
    and glare spots; the percentile stretch then restores contrast in dim photos.
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    background = cv2.dilate(gray, np.ones((15, 15), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), 25) + 1.0
    flat = gray / background * 235.0
    low, high = np.percentile(flat, (1, 99.5))
    flat = np.clip((flat - low) * 255.0 / max(high - low, 1.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(flat, cv2.COLOR_GRAY2RGB)


def prepare(rgb: np.ndarray, flatten: bool = True, upright=None) -> tuple[np.ndarray, bool]:
    """Returns (card canvas for OCR, whether a card outline was found in a photo).

    ``upright`` is a callable telling whether a canvas is upright (True) or upside down
    (False); see ``ocr.orientation``. Without it the canvas is not turned by 180 degrees.
    """
    quad = find_card(rgb)
    if quad is not None:
        card = warp(rgb, quad)
    else:
        card = fit_scan(rotate(rgb, text_angle(rgb)))
    card = even_light(card) if flatten else card
    if upright is not None and not upright(card):
        card = np.ascontiguousarray(card[::-1, ::-1])
    return card, quad is not None
