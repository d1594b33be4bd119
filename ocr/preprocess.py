"""Finds the card in a photo, corrects its perspective and evens out the lighting.

The card is the largest convex quadrilateral that stands out from the table (by
brightness, or failing that by its edges). When none is found the picture is taken to be
a flat scan of the card already. The output is always a card-shaped image of a fixed size,
so the OCR cost per card is bounded.
"""

from __future__ import annotations

import cv2
import numpy as np

# Card canvas handed to the OCR engine: card aspect ratio, height equal to the detector's
# 736-pixel working size so that no further resize happens inside the engine.
OUT_W, OUT_H = 1146, 736
_MIN_AREA, _MAX_AREA = 0.12, 0.97


def _order(quad: np.ndarray) -> np.ndarray:
    """Orders 4 points as top-left, top-right, bottom-right, bottom-left."""
    quad = quad.reshape(4, 2).astype(np.float32)
    s, d = quad.sum(axis=1), np.diff(quad, axis=1).ravel()
    return np.array([quad[s.argmin()], quad[d.argmin()], quad[s.argmax()], quad[d.argmax()]],
                    np.float32)


def _largest_quad(mask: np.ndarray) -> np.ndarray | None:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_total = mask.shape[0] * mask.shape[1]
    best, best_area = None, 0.0
    for contour in contours:
        area = cv2.contourArea(contour)
        if not _MIN_AREA * area_total < area < _MAX_AREA * area_total or area <= best_area:
            continue
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            approx = cv2.boxPoints(cv2.minAreaRect(hull))
            # A rotated rectangle only stands in for a card when it is filled well.
            if area < 0.85 * cv2.contourArea(approx.astype(np.float32)):
                continue
        best, best_area = approx, area
    return None if best is None else _order(best)


def find_card(rgb: np.ndarray) -> np.ndarray | None:
    """Returns the card's 4 corners (ordered TL, TR, BR, BL) in ``rgb`` pixels, or None."""
    scale = 640 / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    quad = _largest_quad(bright)
    if quad is None:
        edges = cv2.dilate(cv2.Canny(gray, 40, 120), np.ones((5, 5), np.uint8))
        quad = _largest_quad(edges)
    return None if quad is None else quad / scale


def warp(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Maps the card quadrilateral onto an upright ``OUT_W x OUT_H`` canvas.

    A quad taller than wide is a card photographed sideways: its corners are rotated so
    that the long side becomes horizontal.
    """
    top = np.linalg.norm(quad[1] - quad[0])
    side = np.linalg.norm(quad[3] - quad[0])
    if side > top * 1.1:
        quad = np.roll(quad, -1, axis=0)  # rotate the corner order by 90 degrees
    target = np.float32([[0, 0], [OUT_W, 0], [OUT_W, OUT_H], [0, OUT_H]])
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(rgb, matrix, (OUT_W, OUT_H), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)


def fit_scan(rgb: np.ndarray) -> np.ndarray:
    """Resizes a flat scan (no table around the card) to the OCR canvas height."""
    scale = OUT_H / rgb.shape[0]
    if rgb.shape[1] * scale > 2.2 * OUT_W:  # very wide picture: bound the width instead
        scale = 2.2 * OUT_W / rgb.shape[1]
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


def prepare(rgb: np.ndarray, flatten: bool = True) -> tuple[np.ndarray, bool]:
    """Returns (card canvas for OCR, whether a card outline was found in a photo)."""
    quad = find_card(rgb)
    card = warp(rgb, quad) if quad is not None else fit_scan(rgb)
    return (even_light(card) if flatten else card), quad is not None
