"""Upright or upside down: a text-line direction classifier on a few lines of the canvas.

The canvas has its text lines horizontal already (``ocr.preprocess``); what is left is a
180-degree ambiguity. The PP-OCR text-line orientation classifier that ships in the
``rapidocr`` wheel (``ch_ppocr_mobile_v2.0_cls_mobile.onnx``, labels 0 and 180) is run on
up to 16 of the widest line-like blobs of dark ink (a few tens of milliseconds). It was
trained mostly on Chinese text and is only sure of itself on part of these cards: when
its vote is weak, the recogniser itself settles the question on 4 lines read both ways
(the way with the more confident characters wins; about 0.2 s, still far less than a
second full OCR pass).
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.engines import REC_FILE, model_dir
from ocr.errors import ModelUnavailable

CLS_FILE = "ch_ppocr_mobile_v2.0_cls_mobile.onnx"
_SHAPE = (48, 192)
_MAX_LINES = 16
# Votes between these bounds are settled by the recogniser (measured on development seeds:
# the classifier's wrong votes were all in between).
_SURE_UPRIGHT, _SURE_FLIPPED = -0.25, 0.45
_REC_LINES, _REC_W = 4, 320


class OrientationClassifier:
    """Tells whether a canvas whose text runs horizontally is upright."""

    def __init__(self, recogniser=None) -> None:
        """Loads the classifier; raises ModelUnavailable when its file is missing.

        ``recogniser`` is an already loaded ONNX Runtime session of the recognition model
        (the engine's); without it the model is loaded the first time it is needed.
        """
        path = model_dir() / CLS_FILE
        if not path.is_file():
            raise ModelUnavailable(f"orientation model missing: {path}")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - a broken file means "unusable"
            raise ModelUnavailable(f"orientation model unusable: {exc}") from exc
        self._input = self._session.get_inputs()[0].name
        self._rec = recogniser
        self._rec_path = model_dir() / REC_FILE
        self._options = options

    def _recogniser(self):
        if self._rec is None:
            import onnxruntime as ort

            self._rec = ort.InferenceSession(
                str(self._rec_path), self._options, providers=["CPUExecutionProvider"]
            )
        return self._rec

    def recogniser_vote(self, crops: list[np.ndarray]) -> float:
        """Mean character confidence read upside down minus read as is (positive: flipped)."""
        crops = crops[:_REC_LINES]
        batch = np.stack(
            [_normalise(c, (48, _REC_W)) for c in crops]
            + [_normalise(np.ascontiguousarray(c[::-1, ::-1]), (48, _REC_W)) for c in crops]
        )
        session = self._recogniser()
        probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        best, peak = probs.argmax(-1), probs.max(-1)
        means = np.array(
            [
                peak[k][best[k] != 0].mean() if (best[k] != 0).any() else 0.0
                for k in range(len(batch))
            ]
        )
        half = len(crops)
        return float(means[half:].mean() - means[:half].mean())

    def upside_down_vote(self, rgb: np.ndarray) -> float:
        """Weighted vote in [-1, 1]: positive when the lines read upside down."""
        crops = line_crops(rgb)
        return self._vote(crops) if crops else 0.0

    def __call__(self, rgb: np.ndarray) -> bool:
        """True when ``rgb`` is upright (or the votes are undecided)."""
        crops = line_crops(rgb)
        if not crops:
            return True
        vote = self._vote(crops)
        if vote <= _SURE_UPRIGHT:
            return True
        if vote >= _SURE_FLIPPED:
            return False
        return self.recogniser_vote(crops) <= 0.0

    def _vote(self, crops: list[np.ndarray]) -> float:
        batch = np.stack([_normalise(c) for c in crops])
        probs = self._session.run(None, {self._input: batch})[0]
        weights = np.array([c.shape[1] for c in crops], np.float32)
        return float(((probs[:, 1] - probs[:, 0]) * weights).sum() / weights.sum())


def line_crops(rgb: np.ndarray) -> list[np.ndarray]:
    """Crops of the widest text-line-like blobs (dark ink merged horizontally)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    ink = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    merged = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 15), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(merged)
    h_img = rgb.shape[0]
    blobs = [s for s in stats[1:] if 0.012 * h_img <= s[3] <= 0.06 * h_img and s[2] >= 4 * s[3]]
    blobs.sort(key=lambda s: -s[2])
    crops = []
    for x, y, w, h, _ in blobs[:_MAX_LINES]:
        pad = max(2, h // 4)
        crop = rgb[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
        crops.append(crop)
    return crops


def _normalise(crop: np.ndarray, shape: tuple[int, int] = _SHAPE) -> np.ndarray:
    height, width = shape
    ratio = crop.shape[1] / max(crop.shape[0], 1)
    resized_w = min(width, int(np.ceil(height * ratio)))
    resized = cv2.resize(crop, (resized_w, height)).astype(np.float32)
    resized = (resized.transpose(2, 0, 1)[::-1] / 255.0 - 0.5) / 0.5  # RGB -> BGR, CHW
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :resized_w] = resized
    return out
