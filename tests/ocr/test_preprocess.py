"""Finding the card in a photo: outlines that are real card edges, or the text block."""

from __future__ import annotations

import cv2
import numpy as np

from ocr import preprocess, synth


def _card_rgb(seed: int = 5, width: int = 420) -> np.ndarray:
    image = synth.make_card(np.random.default_rng(seed)).image.convert("RGB")
    height = round(image.height * width / image.width)
    return np.asarray(image.resize((width, height)))


def _corners_close(found: np.ndarray | None, expected: np.ndarray, tolerance: float) -> bool:
    if found is None:
        return False
    return all(np.min(np.linalg.norm(found - corner, axis=1)) < tolerance for corner in expected)


def test_a_lit_patch_of_table_cut_by_the_frame_is_not_the_card():
    # A pale grey table, its right part lit by a window (a bright band touching the
    # frame on three sides), a white card lying in the shade: the lit band is the largest
    # bright outline, but three of its sides are the frame, not edges in the picture.
    photo = np.full((900, 1300, 3), 168, np.uint8)
    photo[:, 760:] = 236
    card = _card_rgb()
    top, left = 250, 140
    photo[top : top + card.shape[0], left : left + card.shape[1]] = card
    quad = preprocess.find_card(photo)
    h, w = card.shape[:2]
    expected = np.float32([[left, top], [left + w, top], [left + w, top + h], [left, top + h]])
    assert _corners_close(quad, expected, 0.08 * w)


def test_a_white_card_on_a_white_table_is_found_by_its_text():
    # No outline to see (the card is the table's colour): the block of text with a margin
    # stands in for the card, and the rest of the frame is left out.
    photo = np.full((1400, 1000, 3), 246, np.uint8)
    card = _card_rgb(width=380)
    card = np.where(card > 200, 246, card).astype(np.uint8)  # the card's paper is the table
    top, left = 820, 80
    photo[top : top + card.shape[0], left : left + card.shape[1]] = card
    quad = preprocess.find_card(photo)
    assert quad is not None
    xs, ys = quad[:, 0], quad[:, 1]
    h, w = card.shape[:2]
    # Inside a generous box around the card, and covering most of it.
    assert xs.min() > left - 0.2 * w and xs.max() < left + 1.2 * w
    assert ys.min() > top - 0.2 * h and ys.max() < top + 1.2 * h
    assert cv2.contourArea(quad.astype(np.float32)) > 0.6 * w * h


def test_a_card_filling_the_frame_is_left_to_the_scan_path():
    # A flat scan: no outline inside the frame and text everywhere: the picture itself is
    # the card (no crop).
    assert preprocess.find_card(_card_rgb(width=1000)) is None
