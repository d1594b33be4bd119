"""Image intake: formats, orientation and every kind of bad input (no OCR engine needed)."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ocr import intake
from ocr.errors import BlankImage, ImageTooLarge, NotAnImage, OcrError, TruncatedImage
from tests.ocr.conftest import encode


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width x height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)  # a few rows of data are enough
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (60, 90, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_formats_decode(picture, fmt):
    array = intake.load_image(encode(picture, fmt))
    assert array.shape == (60, 90, 3) and array.dtype == np.uint8


def test_exif_orientation_is_applied(picture):
    rotated = picture.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    array = intake.load_image(encode(rotated, "JPEG", exif=exif.tobytes()))
    assert array.shape == (60, 90, 3)


def test_large_photo_is_reduced_to_working_size():
    big = Image.new("RGB", (4000, 3000))
    big.paste((200, 200, 200), (0, 0, 2000, 3000))
    array = intake.load_image(encode(big, "JPEG"))
    assert max(array.shape) == intake.WORK_LONG_SIDE


def test_not_an_image():
    with pytest.raises(NotAnImage) as info:
        intake.load_image(b"%PDF-1.4 this is a pdf, not a photo")
    assert info.value.kind == "not_an_image"


def test_missing_file(tmp_path):
    with pytest.raises(NotAnImage):
        intake.load_image(tmp_path / "nope.jpg")


def test_truncated_jpeg(picture):
    data = encode(picture, "JPEG")
    with pytest.raises(TruncatedImage):
        intake.load_image(data[: len(data) // 2])


def test_truncated_png(picture):
    data = encode(picture, "PNG")
    with pytest.raises(TruncatedImage):
        intake.load_image(data[:100])


def test_hundred_megapixel_image(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("1", (12_000, 8_400)).save(path)  # 100.8 MP, 1-bit so it stays small on disk
    with pytest.raises(ImageTooLarge) as info:
        intake.load_image(path)
    assert "megapixels" in str(info.value)


def test_decompression_bomb():
    data = bomb_png(60_000, 60_000)  # 3.6 gigapixels declared in a few hundred bytes
    assert len(data) < 2_000
    with pytest.raises(ImageTooLarge):
        intake.load_image(data)


def test_oversized_file(tmp_path):
    path = tmp_path / "big.jpg"
    path.write_bytes(b"\xff\xd8" + b"\0" * (intake.MAX_FILE_BYTES + 1))
    with pytest.raises(ImageTooLarge):
        intake.load_image(path)


@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (128, 128, 128)])
def test_blank_or_black_image(colour):
    with pytest.raises(BlankImage) as info:
        intake.load_image(encode(Image.new("RGB", (800, 600), colour), "PNG"))
    assert isinstance(info.value, OcrError) and "no registration card" in str(info.value)
