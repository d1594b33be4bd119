"""Shared fixtures: one loaded engine of each kind per session, a few generated cards."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ocr import synth
from ocr.pipeline import CardReader


@pytest.fixture(scope="session")
def reader() -> CardReader:
    """The default engine (PP-OCR models straight on ONNX Runtime)."""
    return CardReader()


@pytest.fixture(scope="session")
def paddle_reader() -> CardReader:
    return CardReader("paddle")


@pytest.fixture(scope="session")
def rapid_reader() -> CardReader:
    return CardReader("rapid")


@pytest.fixture(scope="session", params=["onnx", "paddle", "rapid"])
def any_reader(request) -> CardReader:
    return request.getfixturevalue(
        f"{request.param}_reader" if request.param != "onnx" else "reader"
    )


@pytest.fixture(scope="session")
def card() -> synth.Card:
    """A clean generated card (fixed seed)."""
    return synth.make_card(np.random.default_rng(7))


@pytest.fixture(scope="session")
def card_png(card) -> bytes:
    return synth.scan_bytes(card.image)


@pytest.fixture(scope="session")
def photo_jpeg(card) -> bytes:
    """The same card photographed on a table (perspective, blur, noise, JPEG)."""
    return synth.photograph(card.image, np.random.default_rng(11), exif_rotate=False)


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()
