"""The whole read: image bytes or path -> decoded -> card canvas -> OCR boxes -> fields."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ocr import intake, preprocess
from ocr.engines import DEFAULT_ENGINE, Engine, create_engine
from ocr.errors import ForeignCard, NoCardFound
from ocr.extract import extract
from ocr.orientation import OrientationClassifier
from ocr.result import CardResult


class CardReader:
    """Reads registration cards with one loaded OCR engine (load once, read many)."""

    def __init__(self, engine: Engine | str = DEFAULT_ENGINE) -> None:
        """Takes an engine or its name; raises ModelUnavailable when it cannot load."""
        self.engine = create_engine(engine) if isinstance(engine, str) else engine
        # The orientation check reuses the engine's recogniser when it has one in hand.
        self.upright = OrientationClassifier(getattr(self.engine, "rec", None))

    def read(self, source: str | Path | bytes) -> CardResult:
        """Reads the card in ``source`` (a path or encoded image bytes).

        Raises NotAnImage, TruncatedImage, ImageTooLarge, BlankImage, NoCardFound or
        ForeignCard (all ``OcrError``).
        """
        timings: dict[str, float] = {}
        start = time.perf_counter()
        rgb = intake.load_image(source)
        timings["decode"] = _ms(start)
        return self.read_array(rgb, timings)

    def read_array(self, rgb: np.ndarray, timings: dict[str, float] | None = None) -> CardResult:
        """Reads a card from an upright RGB array (see ``read`` for the errors)."""
        timings = {} if timings is None else timings
        start = time.perf_counter()
        card, found = preprocess.prepare(rgb, upright=self.upright)
        timings["prepare"] = _ms(start)
        start = time.perf_counter()
        boxes = self.engine.read(card)
        timings["ocr"] = _ms(start)
        size = (card.shape[1], card.shape[0])
        start = time.perf_counter()
        try:
            result = extract(boxes, self.engine.name, found, timings, size)
        except NoCardFound as first_error:
            # An upside-down card reads as garbage: when the orientation check may have been
            # wrong, one retry rotated by 180 degrees. Text that read well (a receipt, a
            # foreign card's header) was upright: no second pass for it.
            if isinstance(first_error, ForeignCard) or _read_well(boxes):
                raise
            boxes = self.engine.read(np.ascontiguousarray(card[::-1, ::-1]))
            try:
                result = extract(boxes, self.engine.name, found, timings, size)
            except NoCardFound:
                raise first_error from None
        timings["extract"] = _ms(start)
        return result


def _read_well(boxes) -> bool:
    """True when most detected lines were recognised confidently (upright text)."""
    sure = [b for b in boxes if b.score >= 0.8 and len(b.text) >= 3]
    return len(boxes) >= 5 and len(sure) >= 0.6 * len(boxes)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def read_card(source: str | Path | bytes, engine: Engine | str = DEFAULT_ENGINE) -> CardResult:
    """One-shot convenience: loads ``engine`` and reads ``source`` (see ``CardReader.read``)."""
    return CardReader(engine).read(source)
