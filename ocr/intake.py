"""Image intake: bytes or a path in, an upright RGB numpy array out, or a typed error.

Checks happen before the pixels are decoded: the file size, then the pixel count the
header declares (which stops 100-megapixel photos and decompression bombs in a few
microseconds), then the decode itself (which catches truncated files). EXIF orientation is
applied, and the picture is scaled down to a working size so that later steps have a
bounded cost whatever the input.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import BlankImage, ImageTooLarge, NotAnImage, TruncatedImage

MAX_FILE_BYTES = 40 * 1024 * 1024
# Phones take 12-48 MP photos; anything above this is refused before decoding.
MAX_PIXELS = 60_000_000
# Large enough that a card filling a third of a phone photo keeps ~1000 pixels of width.
WORK_LONG_SIDE = 3000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "AVIF", "MPO", "BMP", "TIFF"}

_heif_registered = False


def _register_heif() -> None:
    """Teaches Pillow to open HEIC/HEIF (iPhone photos) through pillow-heif, once."""
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def read_bytes(source: str | Path | bytes) -> bytes:
    """Returns the file content of ``source`` (a path or bytes), enforcing the size limit.

    Raises NotAnImage when the path cannot be read, ImageTooLarge when the file is too big.
    """
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise NotAnImage(f"cannot read {path}: {exc.strerror or exc}") from exc
        if size > MAX_FILE_BYTES:
            raise ImageTooLarge(
                f"image too large: {size / 1e6:.0f} MB file (limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
            )
        data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ImageTooLarge(f"image too large: {len(data) / 1e6:.0f} MB file")
    return data


def _open(data: bytes) -> Image.Image:
    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise NotAnImage("not an image (unknown or unsupported format)") from exc
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"image too large: {exc}") from exc
    if image.format not in ALLOWED_FORMATS:
        raise NotAnImage(f"unsupported image format {image.format}")
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        raise ImageTooLarge(
            f"image too large: {image.width}x{image.height} = "
            f"{pixels / 1e6:.0f} megapixels (limit {MAX_PIXELS / 1e6:.0f})"
        )
    return image


def _decode(image: Image.Image) -> Image.Image:
    """Decodes the pixels, applies EXIF orientation and converts to RGB."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.draft("RGB", (WORK_LONG_SIDE, WORK_LONG_SIDE))  # JPEG: decode at reduced scale
            image.load()
            image = ImageOps.exif_transpose(image)
            return image.convert("RGB")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise TruncatedImage(f"truncated or corrupt image: {exc}") from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageTooLarge(f"image too large: {exc}") from exc


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Reads JPEG/PNG/WebP/HEIC bytes or a path into an upright RGB ``uint8`` array.

    The long side is reduced to at most ``WORK_LONG_SIDE`` pixels.
    Raises NotAnImage, TruncatedImage, ImageTooLarge or BlankImage.
    """
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    image = _decode(_open(read_bytes(source)))
    scale = WORK_LONG_SIDE / max(image.size)
    if scale < 1:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)),
            Image.Resampling.LANCZOS,
            reducing_gap=3.0,  # a cheap box reduction first, Lanczos on the last 3x
        )
    array = np.asarray(image)
    if is_blank(array):
        raise BlankImage("no registration card found: the image is blank or black")
    return array


def is_blank(array: np.ndarray) -> bool:
    """True when the picture has (almost) no contrast: blank, black or fully blurred."""
    small = array[:: max(1, array.shape[0] // 200), :: max(1, array.shape[1] // 200)]
    small = small.mean(axis=2) if small.ndim == 3 else small
    return float(small.std()) < 4.0 or float(small.max()) < 25.0
